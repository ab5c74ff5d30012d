//go:build !amd64 || purego

package sgemm

// kernels lists the micro-kernels this CPU can run: only the Go kernel
// outside amd64 (or with the purego build tag).
func kernels() []*kernel { return []*kernel{goKernel} }

// packT8 is the 8×8 block transpose of packCols, which has no fast version
// here.
var packT8 func(dst []float32, ldd int, src []float32, lds, n int)
