//go:build !openblas

package ops

import (
	"github.com/gorgonet/gorgonet/internal/sgemm"
	"gonum.org/v1/gonum/blas/blas32"
	"gorgonia.org/gorgonia"
)

// The default build (no cgo) routes float32 matrix products, Gorgonia's and
// tensor's as well as gorgonet's own ops, through internal/sgemm: a
// single-threaded Goto/BLIS SGEMM with AVX-512 and AVX2 assembly kernels,
// whose calls gorgonet splits between goroutines by rows (gemmRows). On CPUs
// without them (and with the purego tag) gonum's pure-Go BLAS is faster than
// sgemm's portable kernel and stays in use. Float64 products always use
// gonum. Build with -tags openblas for OpenBLAS.
func init() {
	if sgemm.KernelName() == "Go" {
		return
	}
	gorgonia.Use(sgemm.Implementation{}) // gorgonia's and tensor's products
	blas32.Use(sgemm.Implementation{})   // gorgonet's own ops (Affine, BMM)
}

// BLASName names the BLAS implementation this build uses for float32 products:
// "gorgonet-sgemm (AVX-512)" or "(AVX2)" with internal/sgemm's assembly
// kernels, else "gonum".
var BLASName = blasName()

func blasName() string {
	if k := sgemm.KernelName(); k != "Go" {
		return "gorgonet-sgemm (" + k + ")"
	}
	return "gonum"
}
