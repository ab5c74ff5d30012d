//go:build openblas

package ops

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
import "C"

import "os"

// With OpenBLAS, gorgonet's matrix products split their rows between
// goroutines themselves (gemmRows) and OpenBLAS runs single-threaded in each:
// OpenBLAS's own worker threads busy-wait between calls, which took a quarter
// of the CPU of a Transformer training step on two shared cores
// (BENCHMARKS.md). Setting OPENBLAS_NUM_THREADS keeps OpenBLAS's threading.
func init() {
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
	}
}
