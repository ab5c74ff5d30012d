//go:build openblas

package ops

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
	"gorgonia.org/gorgonia"
)

// With the build tag "openblas" (cgo, Debian's libopenblas-dev), gorgonet
// routes Gorgonia's and tensor's matrix products through OpenBLAS instead of
// gonum's pure-Go BLAS (BENCHMARKS.md compares both).
func init() {
	gorgonia.Use(netlib.Implementation{}) // gorgonia's and tensor's products
	blas32.Use(netlib.Implementation{})   // gorgonet's own ops (Affine)
	blas64.Use(netlib.Implementation{})
}

// BLASName names the BLAS implementation this build uses.
const BLASName = "openblas"
