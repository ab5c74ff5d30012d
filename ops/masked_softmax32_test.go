package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gorgonet/gorgonet/internal/vec32"
	"gorgonia.org/tensor"
)

// TestMaskedSoftmax32 compares the float32 masked softmax (package vec32's
// kernels) and its gradient with the float64 kernels on the same
// scores [B,H,T,T], causal or not, with and without key padding (including
// a fully padded sequence, whose rows must be all zero).
func TestMaskedSoftmax32(t *testing.T) {
	const b, h, tt = 3, 2, 37 // T not a multiple of 8: every row has a tail
	shape := tensor.Shape{b, h, tt, tt}
	n := shape.TotalSize()
	rng := rand.New(rand.NewPCG(5, 6))
	x64, x32 := make([]float64, n), make([]float32, n)
	g64, g32 := make([]float64, n), make([]float32, n)
	for i := range x64 {
		x32[i], g32[i] = float32(3*rng.NormFloat64()), float32(rng.NormFloat64())
		x64[i], g64[i] = float64(x32[i]), float64(g32[i])
	}
	keep64, keep32 := make([]float64, b*tt), make([]float32, b*tt)
	for i := range keep64 {
		if i < tt || (i < 2*tt && i%5 != 0) { // sequence 0 all real, 1 partly padded, 2 all padding
			keep64[i], keep32[i] = 1, 1
		}
	}
	const scale = 0.35
	for _, causal := range []bool{false, true} {
		for _, padded := range []bool{false, true} {
			t.Run(fmt.Sprintf("causal=%v/padded=%v", causal, padded), func(t *testing.T) {
				var k64 []float64
				var k32 []float32
				if padded {
					k64, k32 = keep64, keep32
				}
				g := newMaskedGeometry(shape, causal)
				y64, y32 := make([]float64, n), make([]float32, n)
				maskedSoftmaxRows(g, x64, y64, k64, scale, maskedSoftmaxRow[float64])
				maskedSoftmaxRows(g, x32, y32, k32, float32(scale), maskedSoftmaxRow32)
				for i, w := range y64 {
					if (w == 0) != (y32[i] == 0) || math.Abs(float64(y32[i])-w) > 1e-6*w+1e-12 {
						t.Fatalf("y[%d] = %g, float64 kernel %g", i, y32[i], w)
					}
				}
				dx64, dx32 := make([]float64, n), make([]float32, n)
				maskedSoftmaxGradRows(y64, g64, dx64, tt, scale, softmaxGradRow[float64])
				maskedSoftmaxGradRows(y32, g32, dx32, tt, float32(scale), vec32.SoftmaxGrad)
				// dx = scale·y⊙(g − Σ y g) cancels: errors are relative to
				// scale·|y|·(|g| + Σ|y g|), y's own float32 error included.
				for off := 0; off < n; off += tt {
					var s float64
					for j := off; j < off+tt; j++ {
						s += math.Abs(y64[j] * g64[j])
					}
					for i := off; i < off+tt; i++ {
						tol := 1e-6 * scale * y64[i] * (math.Abs(g64[i]) + s)
						if math.Abs(float64(dx32[i])-dx64[i]) > tol {
							t.Fatalf("dx[%d] = %g, float64 kernel %g (tolerance %.3g)", i, dx32[i], dx64[i], tol)
						}
					}
				}
			})
		}
	}
}
