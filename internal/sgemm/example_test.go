package sgemm_test

import (
	"fmt"

	"github.com/gorgonet/gorgonet/internal/sgemm"
	"gonum.org/v1/gonum/blas"
)

// C = A·Bᵀ for A [2,3] and B [2,3] stored row-major: C[i,j] is the dot
// product of row i of A and row j of B.
func ExampleSgemm() {
	a := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	b := []float32{
		1, 0, 1,
		0, 1, 0,
	}
	c := make([]float32, 2*2)
	sgemm.Sgemm(blas.NoTrans, blas.Trans, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2)
	fmt.Println(c)
	// Output: [4 2 10 5]
}
