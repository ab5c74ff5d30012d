package distributed_test

import (
	"strings"
	"sync"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/distributed"
	"github.com/gorgonet/gorgonet/graph"
)

// onRanks runs f on every rank of a group of size, one goroutine each, and
// returns their errors.
func onRanks(t *testing.T, size int, f func(c distributed.Comm) error) []error {
	t.Helper()
	comms, err := distributed.NewGroup(size)
	if err != nil {
		t.Fatal(err)
	}
	errs := make([]error, size)
	var wg sync.WaitGroup
	for r, c := range comms {
		wg.Add(1)
		go func(r int, c distributed.Comm) {
			defer wg.Done()
			errs[r] = f(c)
		}(r, c)
	}
	wg.Wait()
	return errs
}

func TestLocal(t *testing.T) {
	var c distributed.Comm = distributed.Local{}
	b := []float32{1, 2}
	if c.Rank() != 0 || c.Size() != 1 || c.AllReduceFloat32(b) != nil || b[0] != 1 || c.Barrier() != nil {
		t.Errorf("Local: rank %d size %d buf %v", c.Rank(), c.Size(), b)
	}
	if err := c.BroadcastFloat64([]float64{1}, 1); err == nil {
		t.Error("Local: broadcast from rank 1 gave no error")
	}
}

func TestGroupCollectives(t *testing.T) {
	for _, size := range []int{1, 2, 3} {
		errs := onRanks(t, size, func(c distributed.Comm) error {
			b32 := []float32{float32(c.Rank()), 1}
			b64 := []float64{float64(c.Rank()), 2}
			if err := c.AllReduceFloat32(b32); err != nil {
				return err
			}
			if err := c.AllReduceFloat64(b64); err != nil {
				return err
			}
			sum := float64(size * (size - 1) / 2)
			if float64(b32[0]) != sum || b32[1] != float32(size) || b64[0] != sum || b64[1] != 2*float64(size) {
				t.Errorf("size %d rank %d: sums %v %v", size, c.Rank(), b32, b64)
			}
			root := size - 1
			v := []float64{float64(c.Rank())}
			if err := c.BroadcastFloat64(v, root); err != nil {
				return err
			}
			if v[0] != float64(root) {
				t.Errorf("size %d rank %d: broadcast from %d gave %v", size, c.Rank(), root, v)
			}
			return c.Barrier()
		})
		for r, err := range errs {
			if err != nil {
				t.Errorf("size %d rank %d: %v", size, r, err)
			}
		}
	}
}

func TestGroupErrors(t *testing.T) {
	if _, err := distributed.NewGroup(0); err == nil {
		t.Error("NewGroup(0): no error")
	}
	errs := onRanks(t, 2, func(c distributed.Comm) error {
		return c.AllReduceFloat32(make([]float32, 1+c.Rank()))
	})
	for r, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "values on rank") {
			t.Errorf("rank %d: all-reduce of buffers of different lengths gave %v", r, err)
		}
	}
}

func TestShardRows(t *testing.T) {
	global := tensor.New(tensor.WithShape(4, 2), tensor.WithBacking([]int{0, 1, 2, 3, 4, 5, 6, 7}))
	for _, tc := range []struct {
		rank, size int
		want       []int
		err        string
	}{
		{0, 1, []int{0, 1, 2, 3, 4, 5, 6, 7}, ""},
		{0, 2, []int{0, 1, 2, 3}, ""},
		{1, 2, []int{4, 5, 6, 7}, ""},
		{3, 4, []int{6, 7}, ""},
		{0, 3, nil, "cannot be cut into 3"},
		{2, 2, nil, "rank 2 of 2"},
	} {
		got, err := distributed.ShardRows(global, tc.rank, tc.size)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("rank %d of %d: error %v, want %q", tc.rank, tc.size, err, tc.err)
			}
		case err != nil:
			t.Errorf("rank %d of %d: %v", tc.rank, tc.size, err)
		default:
			if s := got.Shape(); s[0] != len(tc.want)/2 || s[1] != 2 || !equalInts(got.Ints(), tc.want) {
				t.Errorf("rank %d of %d: %v %v, want %v", tc.rank, tc.size, s, got.Ints(), tc.want)
			}
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAgreement: the mean loss and the stop request reach every rank, and
// Identical and Broadcast report replicas that differ.
func TestAgreement(t *testing.T) {
	errs := onRanks(t, 3, func(c distributed.Comm) error {
		mean, stop, err := distributed.MeanAcross(c, float64(c.Rank()), c.Rank() == 2)
		if err != nil {
			return err
		}
		if mean != 1 || !stop {
			t.Errorf("rank %d: mean %v stop %v, want 1 true", c.Rank(), mean, stop)
		}
		m := graph.NewModel(graph.Float32, 1)
		p, err := m.NewParamFrom("w", tensor.Shape{2}, []float64{1, float64(c.Rank() % 2)})
		if err != nil {
			return err
		}
		if err := distributed.Identical(c, m.Params()); err == nil {
			t.Errorf("rank %d: Identical missed a difference", c.Rank())
		}
		if err := distributed.Broadcast(c, m.Params()); err != nil {
			return err
		}
		if p.Value().Float32s()[1] != 0 {
			t.Errorf("rank %d: Broadcast left %v", c.Rank(), p.Value().Data())
		}
		if err := distributed.Identical(c, m.Params()); err != nil {
			t.Errorf("rank %d: after Broadcast: %v", c.Rank(), err)
		}
		other := graph.NewModel(graph.Float32, 1)
		if _, err := other.NewParam("w", tensor.Shape{1 + c.Rank()}, graph.Zeros()); err != nil {
			return err
		}
		if err := distributed.Broadcast(c, other.Params()); err == nil || (c.Rank() != 0 && !strings.Contains(err.Error(), "differ from rank 0")) {
			t.Errorf("rank %d: Broadcast over different models gave %v", c.Rank(), err)
		}
		return nil
	})
	for r, err := range errs {
		if err != nil {
			t.Errorf("rank %d: %v", r, err)
		}
	}
}
