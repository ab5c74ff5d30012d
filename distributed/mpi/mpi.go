//go:build mpi

package mpi

/*
#cgo pkg-config: ompi
#include <stdlib.h>
#include <mpi.h>

static int gn_init(void) {
	int done = 0;
	MPI_Initialized(&done);
	if (done) return MPI_SUCCESS;
	int provided = 0;
	int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
	if (rc != MPI_SUCCESS) return rc;
	return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}
static int gn_finalize(void) {
	int done = 0;
	MPI_Finalized(&done);
	if (done) return MPI_SUCCESS;
	return MPI_Finalize();
}
static int gn_rank(int *r) { return MPI_Comm_rank(MPI_COMM_WORLD, r); }
static int gn_size(int *s) { return MPI_Comm_size(MPI_COMM_WORLD, s); }
static int gn_allreduce_f32(float *b, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, b, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}
static int gn_allreduce_f64(double *b, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, b, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
static int gn_bcast_f32(float *b, int n, int root) { return MPI_Bcast(b, n, MPI_FLOAT, root, MPI_COMM_WORLD); }
static int gn_bcast_f64(double *b, int n, int root) { return MPI_Bcast(b, n, MPI_DOUBLE, root, MPI_COMM_WORLD); }
static int gn_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
static int gn_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
static void gn_error_string(int code, char *buf, int *len) { MPI_Error_string(code, buf, len); }
static int gn_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
*/
import "C"

import (
	"os"
	"sync"
	"unsafe"

	"github.com/pkg/errors"
)

// Comm is MPI_COMM_WORLD. Its methods may be called from any goroutine;
// calls are serialised (MPI_THREAD_SERIALIZED).
type Comm struct {
	mu         sync.Mutex
	rank, size int
}

var (
	world     *Comm
	finalized bool
	worldMu   sync.Mutex
)

// Init initialises MPI (MPI_Init_thread, once per process) and returns
// MPI_COMM_WORLD; later calls return the same communicator. A program not
// started by mpirun is a world of one rank (an MPI singleton). Unless
// OMPI_MCA_opal_signal is set, Open MPI is asked not to install its own
// handlers of SIGSEGV, SIGBUS, SIGFPE and SIGILL, which belong to the Go
// runtime.
func Init() (*Comm, error) {
	worldMu.Lock()
	defer worldMu.Unlock()
	if finalized {
		return nil, errors.New("mpi: Init after Finalize: MPI cannot be initialised twice in one process")
	}
	if world != nil {
		return world, nil
	}
	if _, set := os.LookupEnv("OMPI_MCA_opal_signal"); !set {
		os.Setenv("OMPI_MCA_opal_signal", "")
	}
	if err := check(C.gn_init(), "MPI_Init_thread"); err != nil {
		return nil, err
	}
	var r, s C.int
	if err := check(C.gn_rank(&r), "MPI_Comm_rank"); err != nil {
		return nil, err
	}
	if err := check(C.gn_size(&s), "MPI_Comm_size"); err != nil {
		return nil, err
	}
	world = &Comm{rank: int(r), size: int(s)}
	return world, nil
}

// Finalize shuts MPI down (MPI_Finalize); every rank must call it, after
// its last collective operation. It does nothing when MPI is not running.
// MPI cannot be initialised again afterwards.
func Finalize() error {
	worldMu.Lock()
	defer worldMu.Unlock()
	if world == nil {
		return nil
	}
	finalized = true
	world.mu.Lock()
	defer world.mu.Unlock()
	return check(C.gn_finalize(), "MPI_Finalize")
}

// Rank returns this process's rank in MPI_COMM_WORLD.
func (c *Comm) Rank() int { return c.rank }

// Size returns the number of processes in MPI_COMM_WORLD.
func (c *Comm) Size() int { return c.size }

// maxCount is the most elements passed to one MPI call (its count is a C
// int); longer buffers are processed in pieces.
const maxCount = 1 << 30

// AllReduceFloat32 replaces buf, on every rank, by the element-wise sum of
// the bufs of all ranks (MPI_Allreduce with MPI_IN_PLACE and MPI_SUM).
func (c *Comm) AllReduceFloat32(buf []float32) error {
	return c.pieces(len(buf), "MPI_Allreduce(float32)", func(lo, n int) C.int {
		return C.gn_allreduce_f32((*C.float)(unsafe.Pointer(&buf[lo])), C.int(n))
	})
}

// AllReduceFloat64 is AllReduceFloat32 for float64 buffers.
func (c *Comm) AllReduceFloat64(buf []float64) error {
	return c.pieces(len(buf), "MPI_Allreduce(float64)", func(lo, n int) C.int {
		return C.gn_allreduce_f64((*C.double)(unsafe.Pointer(&buf[lo])), C.int(n))
	})
}

// BroadcastFloat32 copies root's buf into every other rank's (MPI_Bcast).
func (c *Comm) BroadcastFloat32(buf []float32, root int) error {
	if err := c.checkRoot(root); err != nil {
		return err
	}
	return c.pieces(len(buf), "MPI_Bcast(float32)", func(lo, n int) C.int {
		return C.gn_bcast_f32((*C.float)(unsafe.Pointer(&buf[lo])), C.int(n), C.int(root))
	})
}

// BroadcastFloat64 is BroadcastFloat32 for float64 buffers.
func (c *Comm) BroadcastFloat64(buf []float64, root int) error {
	if err := c.checkRoot(root); err != nil {
		return err
	}
	return c.pieces(len(buf), "MPI_Bcast(float64)", func(lo, n int) C.int {
		return C.gn_bcast_f64((*C.double)(unsafe.Pointer(&buf[lo])), C.int(n), C.int(root))
	})
}

// Barrier returns once every rank has called it (MPI_Barrier).
func (c *Comm) Barrier() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return check(C.gn_barrier(), "MPI_Barrier")
}

// Abort asks MPI to kill every process of the job with exit status code
// (MPI_Abort): the way out when one rank fails while the others may be
// waiting in a collective operation. It does not return when it succeeds.
func (c *Comm) Abort(code int) error {
	return check(C.gn_abort(C.int(code)), "MPI_Abort")
}

// pieces calls f on consecutive pieces [lo, lo+n) of a buffer of length
// total, at most maxCount elements each, serialised with the other calls.
func (c *Comm) pieces(total int, what string, f func(lo, n int) C.int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for lo := 0; lo < total; lo += maxCount {
		if err := check(f(lo, min(maxCount, total-lo)), what); err != nil {
			return errors.Wrapf(err, "rank %d of %d, %d values", c.rank, c.size, total)
		}
	}
	return nil
}

func (c *Comm) checkRoot(root int) error {
	if root < 0 || root >= c.size {
		return errors.Errorf("mpi: broadcast root %d out of range [0, %d)", root, c.size)
	}
	return nil
}

// check turns an MPI return code into an error carrying MPI's message.
func check(rc C.int, what string) error {
	if rc == C.MPI_SUCCESS {
		return nil
	}
	buf := make([]byte, int(C.gn_max_error_string()))
	var n C.int
	C.gn_error_string(rc, (*C.char)(unsafe.Pointer(&buf[0])), &n)
	return errors.Errorf("mpi: %s failed: %s (code %d)", what, string(buf[:n]), int(rc))
}
