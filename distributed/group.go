package distributed

import (
	"fmt"
	"sync"

	"github.com/pkg/errors"
)

// NewGroup returns the communicators of size ranks living in one process,
// one per goroutine: comms[r] is rank r. They implement every collective
// operation in memory, summing in rank order (so every rank gets the same
// bits), and check that all ranks pass buffers of the same length. They let
// data-parallel code be tested without MPI.
func NewGroup(size int) ([]Comm, error) {
	if size < 1 {
		return nil, errors.Errorf("distributed: NewGroup: size %d, need at least 1", size)
	}
	g := &group{size: size, bufs: make([]interface{}, size)}
	g.cond = sync.NewCond(&g.mu)
	comms := make([]Comm, size)
	for r := range comms {
		comms[r] = &member{g: g, rank: r}
	}
	return comms, nil
}

// group is the state the members of a NewGroup share: a reusable barrier
// (arrived, generation) and the buffers of the collective in progress.
type group struct {
	size       int
	mu         sync.Mutex
	cond       *sync.Cond
	arrived    int
	generation int
	bufs       []interface{}
	err        error
}

// member is one rank of a group.
type member struct {
	g    *group
	rank int
}

func (m *member) Rank() int { return m.rank }
func (m *member) Size() int { return m.g.size }

// AllReduceFloat32 sums the bufs of all ranks into every buf.
func (m *member) AllReduceFloat32(buf []float32) error {
	return m.collective(buf, len(buf), func(bufs []interface{}) {
		sum := make([]float32, len(buf))
		for _, b := range bufs {
			for i, v := range b.([]float32) {
				sum[i] += v
			}
		}
		for _, b := range bufs {
			copy(b.([]float32), sum)
		}
	})
}

// AllReduceFloat64 sums the bufs of all ranks into every buf.
func (m *member) AllReduceFloat64(buf []float64) error {
	return m.collective(buf, len(buf), func(bufs []interface{}) {
		sum := make([]float64, len(buf))
		for _, b := range bufs {
			for i, v := range b.([]float64) {
				sum[i] += v
			}
		}
		for _, b := range bufs {
			copy(b.([]float64), sum)
		}
	})
}

// BroadcastFloat32 copies root's buf into every buf.
func (m *member) BroadcastFloat32(buf []float32, root int) error {
	if err := checkRoot(root, m.g.size); err != nil {
		return err
	}
	return m.collective(buf, len(buf), func(bufs []interface{}) {
		for _, b := range bufs {
			copy(b.([]float32), bufs[root].([]float32))
		}
	})
}

// BroadcastFloat64 copies root's buf into every buf.
func (m *member) BroadcastFloat64(buf []float64, root int) error {
	if err := checkRoot(root, m.g.size); err != nil {
		return err
	}
	return m.collective(buf, len(buf), func(bufs []interface{}) {
		for _, b := range bufs {
			copy(b.([]float64), bufs[root].([]float64))
		}
	})
}

// Barrier waits for every rank.
func (m *member) Barrier() error { return m.collective(nil, 0, func([]interface{}) {}) }

// collective deposits buf, waits until every rank has deposited its own,
// lets the last rank to arrive apply op to all of them (when their lengths
// agree) and returns once op is done.
func (m *member) collective(buf interface{}, n int, op func(bufs []interface{})) error {
	g := m.g
	g.mu.Lock()
	defer g.mu.Unlock()
	gen := g.generation
	g.bufs[m.rank] = buf
	g.arrived++
	if g.arrived == g.size {
		g.err = nil
		for r, b := range g.bufs {
			if l := lengthOf(b); l != n || fmt.Sprintf("%T", b) != fmt.Sprintf("%T", buf) {
				g.err = errors.Errorf("distributed: collective operation with a %T of %d values on rank %d but a %T of %d on rank %d", buf, n, m.rank, b, l, r)
			}
		}
		if g.err == nil {
			op(g.bufs)
		}
		g.arrived = 0
		g.generation++
		g.cond.Broadcast()
	} else {
		for gen == g.generation {
			g.cond.Wait()
		}
	}
	return g.err
}

// lengthOf returns the length of a []float32 or []float64 (0 for nil).
func lengthOf(b interface{}) int {
	switch b := b.(type) {
	case []float32:
		return len(b)
	case []float64:
		return len(b)
	}
	return 0
}
