package ops

import "github.com/gorgonet/gorgonet/internal/vec32"

// Float32 kernel of the exact GELU: math.Erf dominated the
// profile of a Transformer training step (~30% of it with OpenBLAS), and a
// table lookup with interpolation after it still took ~15% (2.7 ns per
// element). In float32 the kernel is vec32.GELU (forward) or vec32.GELUGrad
// (backward): piecewise polynomials of Φ(x) and GELU′(x) = Φ(x) + x·φ(x)
// evaluated 8 lanes at a time with AVX2+FMA (0.45 ns per element on 1M
// elements), within 1.2e-7 of the float64 function (scaled by max(1, |x|);
// see package vec32 for the method and measured errors). Float64 keeps
// math.Erf, so float64 gradient checks see the exact function.

// geluKernel32 writes GELU(x) into dst when g is nil, else g ⊙ GELU'(x), on
// all CPUs for large tensors.
func geluKernel32(dst, x, g []float32) {
	parallelFor(len(x), 8*len(x), func(lo, hi int) {
		if g == nil {
			vec32.GELU(dst[lo:hi], x[lo:hi])
			return
		}
		vec32.GELUGrad(dst[lo:hi], x[lo:hi], g[lo:hi])
	})
}
