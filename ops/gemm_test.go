package ops

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gorgonia.org/tensor"
)

// TestGEMMRows checks the row-split product against a naive one for every
// transpose combination, with work large enough to be split and beta ≠ 0.
func TestGEMMRows(t *testing.T) {
	const m, n, k = 71, 64, 64
	rng := rand.New(rand.NewPCG(5, 6))
	randT := func(shape ...int) *tensor.Dense {
		v := make([]float64, shape[0]*shape[1])
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
	}
	for _, ta := range []blas.Transpose{blas.NoTrans, blas.Trans} {
		for _, tb := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			t.Run(fmt.Sprintf("%c%c", ta, tb), func(t *testing.T) {
				a, b, c := randT(m, k), randT(k, n), randT(m, n)
				if ta == blas.Trans {
					a = randT(k, m)
				}
				if tb == blas.Trans {
					b = randT(n, k)
				}
				at := func(i, l int) float64 { // op(a)[i,l]
					if ta == blas.Trans {
						return a.Float64s()[l*m+i]
					}
					return a.Float64s()[i*k+l]
				}
				bt := func(l, j int) float64 { // op(b)[l,j]
					if tb == blas.Trans {
						return b.Float64s()[j*k+l]
					}
					return b.Float64s()[l*n+j]
				}
				want := make([]float64, m*n)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						s := 0.5 * c.Float64s()[i*n+j]
						for l := 0; l < k; l++ {
							s += at(i, l) * bt(l, j)
						}
						want[i*n+j] = s
					}
				}
				gemmRows(ta, tb, m, n, k, a, b, 0.5, c)
				if i := firstMismatch(c.Float64s(), want, 1e-12); i >= 0 {
					t.Fatalf("element %d: %v, want %v", i, c.Float64s()[i], want[i])
				}
			})
		}
	}
}
