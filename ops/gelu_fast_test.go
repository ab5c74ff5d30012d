package ops

import (
	"math"
	"testing"
)

// TestGELUKernel32 checks the float32 kernel (vec32's piecewise polynomials,
// split over goroutines for large tensors) against the float64 one
// (math.Erf) on a fine grid over [−12, 12], value and gradient, within 2e-7
// relative to max(1, |want|), and that NaN stays NaN.
func TestGELUKernel32(t *testing.T) {
	const n = 48001 // 8n ≥ parallelMinWork: the split over goroutines is exercised
	x32, g32 := make([]float32, n), make([]float32, n)
	for i := range x32 {
		x32[i] = float32(-12 + 24*float64(i)/(n-1))
		if i == n/3 {
			x32[i] = float32(math.NaN())
		}
		g32[i] = float32(1 + float64(i%7)/3)
	}
	for _, tc := range []struct {
		name string
		g    []float32
		want func(x, g float64) float64
	}{
		{"forward", nil, func(x, _ float64) float64 { return gelu(x, false) }},
		{"gradient", g32, func(x, g float64) float64 { return g * geluDeriv(x, false) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make([]float32, n)
			geluKernel32(got, x32, tc.g)
			for i, v := range got {
				g := 1.0
				if tc.g != nil {
					g = float64(tc.g[i])
				}
				want := tc.want(float64(x32[i]), g)
				if math.IsNaN(want) && math.IsNaN(float64(v)) {
					continue
				}
				if !closeTo(float64(v), want, 2e-7) || math.IsNaN(float64(v)) {
					t.Fatalf("x=%v: got %v, want %v", x32[i], v, want)
				}
			}
		})
	}
}

// BenchmarkGELU32 times the float32 GELU kernels over the activations of one
// Transformer-config FFN layer (B·T = 2048 rows of 512).
func BenchmarkGELU32(b *testing.B) {
	x, g, y := make([]float32, 2048*512), make([]float32, 2048*512), make([]float32, 2048*512)
	for i := range x {
		x[i] = float32(i%1000)/250 - 2
		g[i] = 1
	}
	for _, bc := range []struct {
		name string
		run  func()
	}{
		{"forward", func() { geluKernel(y, x, false) }},
		{"gradient", func() { geluGradKernel(y, x, g, false) }},
		{"forward_erf", func() {
			for i, v := range x {
				y[i] = float32(gelu(float64(v), false))
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			for i := 0; i < b.N; i++ {
				bc.run()
			}
		})
	}
}
