package vec32

// Sigmoid sets dst[i] = 1/(1 + exp(−x[i])) for every i, the logistic
// function. dst and x must have the same length; dst may be x.
//
// Method: exp as in Exp, then one division; saturates to exactly 0 and 1
// (sigmoid(−Inf) = 0, sigmoid(+Inf) = 1, NaN stays NaN; below x ≈ −88, where
// the true value is under 1e-38, the result is 0). Measured maximum absolute
// error against float64 math (the sweeps of GELU): 8.9e-8 with AVX2+FMA and
// in the Go fallback.
func Sigmoid(dst, x []float32) {
	checkLen("Sigmoid", len(x), dst)
	kern.sigmoid(dst, x)
}

// Tanh sets dst[i] = tanh(x[i]) for every i. dst and x must have the same
// length; dst may be x.
//
// Method: for |x| ≥ 0.625, tanh(|x|) = (1 − e)/(1 + e) with e = exp(−2|x|)
// (no cancellation there, and e underflows to 0 for large |x|, giving
// exactly ±1); below, tanh(x) = x + x³·P(x²) with P a near-minimax
// polynomial of degree 4 (relative error 4.4e-9, coeffs.go), which keeps the
// relative accuracy near 0. Measured maximum error against float64 math.Tanh
// (the sweeps of GELU): 8.9e-8 absolute, 1.6e-7 relative, with AVX2+FMA and
// in the Go fallback.
func Tanh(dst, x []float32) {
	checkLen("Tanh", len(x), dst)
	kern.tanh(dst, x)
}

// sigmoid32 is the scalar sigmoid of the Go kernels.
func sigmoid32(x float32) float32 { return 1 / (1 + exp32(-x)) }

// tanh32 is the scalar tanh of the Go kernels.
func tanh32(x float32) float32 {
	a := abs32(x)
	if a < tanhSmall {
		s := x * x
		p := tanhPoly[4]
		for j := 3; j >= 0; j-- {
			p = p*s + tanhPoly[j]
		}
		return x + x*s*p
	}
	e := exp32(-2 * a)
	t := (1 - e) / (1 + e)
	if x < 0 {
		return -t
	}
	return t
}
