package distributed

import "github.com/pkg/errors"

// Comm is a communicator over Size() processes (ranks 0 … Size()−1) that run
// the same program. Every collective operation (AllReduce*, Broadcast*,
// Barrier) must be called by every rank, in the same order and with buffers
// of the same length; it returns when this rank's part is done. An error
// from the transport is returned as a Go error.
type Comm interface {
	// Rank returns this process's index, in [0, Size()).
	Rank() int
	// Size returns the number of processes.
	Size() int
	// AllReduceFloat32 replaces buf, on every rank, by the element-wise sum
	// of the bufs of all ranks.
	AllReduceFloat32(buf []float32) error
	// AllReduceFloat64 is AllReduceFloat32 for float64 buffers.
	AllReduceFloat64(buf []float64) error
	// BroadcastFloat32 copies root's buf into the buf of every other rank.
	BroadcastFloat32(buf []float32, root int) error
	// BroadcastFloat64 is BroadcastFloat32 for float64 buffers.
	BroadcastFloat64(buf []float64, root int) error
	// Barrier returns once every rank has called it.
	Barrier() error
}

// Local is the communicator of a single process: rank 0 of 1. Its
// collective operations leave the buffers as they are.
type Local struct{}

// Rank returns 0.
func (Local) Rank() int { return 0 }

// Size returns 1.
func (Local) Size() int { return 1 }

// AllReduceFloat32 leaves buf unchanged (the sum over one rank).
func (Local) AllReduceFloat32([]float32) error { return nil }

// AllReduceFloat64 leaves buf unchanged (the sum over one rank).
func (Local) AllReduceFloat64([]float64) error { return nil }

// BroadcastFloat32 leaves buf unchanged; root must be 0.
func (Local) BroadcastFloat32(_ []float32, root int) error { return checkRoot(root, 1) }

// BroadcastFloat64 leaves buf unchanged; root must be 0.
func (Local) BroadcastFloat64(_ []float64, root int) error { return checkRoot(root, 1) }

// Barrier returns at once.
func (Local) Barrier() error { return nil }

// checkRoot reports a broadcast root outside [0, size).
func checkRoot(root, size int) error {
	if root < 0 || root >= size {
		return errors.Errorf("distributed: broadcast root %d out of range [0, %d)", root, size)
	}
	return nil
}
