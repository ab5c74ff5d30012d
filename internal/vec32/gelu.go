package vec32

// Constants of the GELU kernels; the pieces are in coeffs.go.
const (
	geluWidth    = float32(geluSat) / geluPieces // width w of a piece
	geluInvWidth = 1 / geluWidth                 // maps |x| to the piece index ⌊|x|/w⌋
	// geluClamp bounds |x| inside the last, constant piece (index 7), so that
	// the index is at most 7 and the polynomial variable stays finite.
	geluClamp = geluSat + geluWidth/2
)

// GELU sets dst[i] = x[i]·Φ(x[i]) for every i, the exact Gaussian Error
// Linear Unit (Hendrycks & Gimpel 2016) with Φ the standard normal CDF,
// Φ(x) = ½(1 + erf(x/√2)) (Abramowitz & Stegun 7.1.1, 26.2.29). dst and x
// must have the same length; dst may be x.
//
// Method: Φ(|x|) − ½ is a piecewise polynomial of degree 8 on 7 pieces of
// [0, 6) (near-minimax fit, absolute error 1.2e-10 in float64, coeffs.go),
// Φ(x) = ½ ± (Φ(|x|) − ½) by the sign of x, and Φ is exactly 0 or 1 for
// |x| ≥ 6 (where 1 − Φ(6) = 1e-9): GELU(x) = x there, and GELU(−Inf) = 0,
// GELU(+Inf) = +Inf, GELU(NaN) = NaN. Measured maximum of
// |GELU(x) − x·Φ(x)|/max(1, |x|) against float64 math.Erf (dense sweep over
// [−10, 10], [−103, 88.7] and 1e6 bit patterns over all float32s): 1.1e-7
// with AVX2+FMA and in the Go fallback, mostly float32's own rounding of Φ
// and of the product (the table kernel it replaced in package graph was
// checked to 1e-6).
func GELU(dst, x []float32) {
	checkLen("GELU", len(x), dst)
	kern.gelu(dst, x)
}

// GELUGrad sets dst[i] = g[i]·GELU′(x[i]) for every i, the backward pass of
// GELU, with GELU′(x) = Φ(x) + x·φ(x) and φ the standard normal density.
// dst, x and g must have the same length; dst may be x or g.
//
// Method: as GELU, with GELU′(|x|) − ½ as the piecewise polynomial
// (absolute error of the fit 8.5e-10) and GELU′(−a) = 1 − GELU′(a);
// GELU′ is 0 or 1 for |x| ≥ 6 (where |x|·φ(x) ≤ 4e-8). Measured maximum
// absolute error of GELU′ against float64 math (same sweeps): 1.15e-7 with
// AVX2+FMA and in the Go fallback.
func GELUGrad(dst, x, g []float32) {
	checkLen("GELUGrad", len(x), dst, g)
	kern.geluGrad(dst, x, g)
}

// geluPiece evaluates the odd extension of tab's piecewise polynomial at x:
// sign(x)·P(|x|) (P = Φ − ½ or GELU′ − ½). x is not NaN.
func geluPiece(tab *geluTable, x float32) float32 {
	a := min(abs32(x), geluClamp)
	i := int(a * geluInvWidth)
	t := a - tab[0][i]
	p := tab[geluDegree+1][i]
	for j := geluDegree; j >= 1; j-- {
		p = p*t + tab[j][i]
	}
	if x < 0 {
		return -p
	}
	return p
}

// gelu32 is the scalar GELU of the Go kernels.
func gelu32(x float32) float32 {
	if x != x {
		return x
	}
	return max(x, -geluClamp) * (0.5 + geluPiece(&geluPhiTab, x))
}

// geluGradGo is the Go kernel of GELUGrad.
func geluGradGo(dst, x, g []float32) {
	dst, g = dst[:len(x)], g[:len(x)]
	for i, v := range x {
		if v != v {
			dst[i] = v
			continue
		}
		dst[i] = g[i] * (0.5 + geluPiece(&geluDerivTab, v))
	}
}

// abs32 returns |x|.
func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
