package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The float32 kernels of LayerNorm, Softmax/LogSoftmax and CrossEntropy use
// package vec32; the tests here compare them with the float64
// kernels on the same data, at sizes that split the work over goroutines
// (parallelFor) and over several lnGainBlock blocks, which the
// fused-versus-unfused graph tests (small shapes) do not reach.

// randRows returns rows·d float64 values of N(mu, sd²) and their float32 copy.
func randRows(rng *rand.Rand, n int, mu, sd float64) ([]float64, []float32) {
	x64, x32 := make([]float64, n), make([]float32, n)
	for i := range x64 {
		x32[i] = float32(mu + sd*rng.NormFloat64())
		x64[i] = float64(x32[i])
	}
	return x64, x32
}

// checkClose32 fails unless |got − want| ≤ tol·max(1, |want|) everywhere.
func checkClose32(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	var worst float64
	for i, w := range want {
		e := math.Abs(float64(got[i])-w) / math.Max(1, math.Abs(w))
		if !(e <= tol) {
			t.Fatalf("%s[%d] = %g, float64 kernel %g (error %.3g > %.3g)", name, i, got[i], w, e, tol)
		}
		worst = math.Max(worst, e)
	}
	t.Logf("%s: max error %.3g", name, worst)
}

// TestLayerNorm32 checks the float32 LayerNorm kernels (forward, gradient
// wrt x and gain, with and without bias) against the float64 ones on 300
// rows of 128 (parallel, 5 gain blocks).
func TestLayerNorm32(t *testing.T) {
	const rows, d, eps = 300, 128, 1e-5
	rng := rand.New(rand.NewPCG(1, 2))
	x64, x32 := randRows(rng, rows*d, 0.5, 2)
	g64, g32 := randRows(rng, rows*d, 0, 1)
	w64, w32 := randRows(rng, d, 1, 0.3)
	b64, b32 := randRows(rng, d, 0, 0.3)
	for _, bias := range []bool{true, false} {
		t.Run(fmt.Sprintf("bias=%v", bias), func(t *testing.T) {
			bb64, bb32 := b64, b32
			if !bias {
				bb64, bb32 = nil, nil
			}
			y64, y32 := make([]float64, rows*d), make([]float32, rows*d)
			layerNormForward(y64, x64, w64, bb64, eps)
			layerNormForward32(y32, x32, w32, bb32, eps)
			checkClose32(t, "y", y32, y64, 1e-6)
		})
	}
	dx64, dx32 := make([]float64, rows*d), make([]float32, rows*d)
	layerNormGradInput(dx64, x64, w64, g64, eps)
	layerNormGradInput32(dx32, x32, w32, g32, eps)
	checkClose32(t, "dx", dx32, dx64, 2e-6)
	dw64, dw32 := make([]float64, d), make([]float32, d)
	layerNormGradGain(dw64, x64, g64, eps)
	layerNormGradGain32(dw32, x32, g32, eps)
	// dw_j = Σ_rows g·x̂ cancels (random signs): its float32 error is
	// relative to Σ_rows |g·x̂|, each term rounding at ~1e-7 relative.
	scale := make([]float64, d)
	for r := 0; r < rows; r++ {
		mean, rstd := lnStats(x64[r*d:(r+1)*d], eps)
		for j := range scale {
			scale[j] += math.Abs(g64[r*d+j] * (x64[r*d+j] - mean) * rstd)
		}
	}
	for j, w := range dw64 {
		if e := math.Abs(float64(dw32[j]) - w); !(e <= 1e-7*scale[j]) {
			t.Fatalf("dw[%d] = %g, float64 kernel %g: error %.3g > 1e-7·Σ|g·x̂| = %.3g", j, dw32[j], w, e, 1e-7*scale[j])
		}
	}
}

// TestSoftmax32 checks the float32 Softmax, LogSoftmax and their gradients,
// and CrossEntropy's loss and gradient, against the float64 kernels on 200
// rows of 96 (the Transformer benchmark's vocabulary).
func TestSoftmax32(t *testing.T) {
	const rows, v = 200, 96
	rng := rand.New(rand.NewPCG(3, 4))
	x64, x32 := randRows(rng, rows*v, 0, 3)
	g64, g32 := randRows(rng, rows*v, 0, 1)
	for _, log := range []bool{false, true} {
		t.Run(fmt.Sprintf("log=%v", log), func(t *testing.T) {
			y64, y32 := make([]float64, rows*v), make([]float32, rows*v)
			softmaxRows(y64, x64, v, log)
			softmaxRows(y32, x32, v, log)
			checkClose32(t, "y", y32, y64, 1e-6)
			dx64, dx32 := make([]float64, rows*v), make([]float32, rows*v)
			softmaxGradRows(dx64, y64, g64, v, log)
			softmaxGradRows(dx32, y32, g32, v, log)
			checkClose32(t, "dx", dx32, dx64, 2e-6)
			// in place: dst = src, dx = g
			softmaxRows(x32, x32, v, log)
			checkClose32(t, "y in place", x32, y64, 1e-6)
			softmaxGradRows(g32, y32, g32, v, log)
			checkClose32(t, "dx in place", g32, dx64, 2e-6)
			for i := range x64 { // restore
				x32[i], g32[i] = float32(x64[i]), float32(g64[i])
			}
		})
	}
	targets := make([]int, rows)
	for i := range targets {
		targets[i] = rng.IntN(v + 1)
		if targets[i] == v {
			targets[i] = -1 // ignored
		}
	}
	l64, l32 := crossEntropyLoss(x64, targets, v, -1), crossEntropyLoss(x32, targets, v, -1)
	if math.Abs(l32-l64) > 1e-6*l64 {
		t.Errorf("cross-entropy loss float32 %g, float64 %g", l32, l64)
	}
	d64, d32 := make([]float64, rows*v), make([]float32, rows*v)
	crossEntropyGrad(d64, x64, targets, v, -1, 0.7)
	crossEntropyGrad(d32, x32, targets, v, -1, 0.7)
	checkClose32(t, "cross-entropy grad", d32, d64, 1e-6)
}
