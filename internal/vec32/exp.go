package vec32

import "math"

// Constants of the exp kernels (Cody & Waite range reduction).
const (
	expHi  = 89                    // exp(x) overflows to +Inf above 88.72; clamping keeps n small
	expLo  = -104                  // exp(x) rounds to 0 below −103.97
	log2e  = 1.4426950408889634    // 1/ln2, rounded to float32 where used
	ln2Hi  = 0.693145751953125     // ln2 with 12 trailing zero bits: n·ln2Hi is exact for |n| ≤ 2^11
	ln2Lo  = 1.428606765330187e-06 // ln2 − ln2Hi
	expOne = 1
)

// Exp sets dst[i] = exp(x[i]) for every i. dst and x must have the same length;
// dst may be x.
//
// Method: x = n·ln2 + r with n = round(x/ln2) and r reduced in two steps
// (Cody & Waite 1980), |r| ≤ ln2/2; exp(r) ≈ 1 + r + Σ_{j=2..6} c_j r^j, a
// near-minimax fit (relative error 3.1e-9, coeffs.go); 2^n is built in the
// exponent bits as 2^⌊n/2⌋·2^(n−⌊n/2⌋), so results down to the subnormals
// are scaled exactly. x is first clamped to [−104, 89]: large negatives give
// 0, large positives +Inf; exp(−Inf) = 0, exp(+Inf) = +Inf, exp(NaN) = NaN.
// Measured maximum relative error against float64 math.Exp (TestUnaryAccuracy:
// 1e6 points of [−10, 10] and of [−103, 88.72], 1e6 bit patterns over all
// float32s, and the overflow and underflow neighbourhoods, where subnormal
// results are measured in units of the smallest normal): 7.6e-8 (about one
// ulp) with AVX2+FMA, 9.7e-8 in the Go fallback (no fused multiply-add).
func Exp(dst, x []float32) {
	checkLen("Exp", len(x), dst)
	kern.exp(dst, x)
}

// exp32 is the scalar exp of the Go kernels, the algorithm of Exp.
func exp32(x float32) float32 {
	if x != x {
		return x
	}
	x = min(max(x, expLo), expHi)
	n := float32(math.RoundToEven(float64(x * log2e)))
	r := x - n*ln2Hi
	r -= n * ln2Lo
	p := expPoly[4]
	for j := 3; j >= 0; j-- {
		p = p*r + expPoly[j]
	}
	p = (p*r+1)*r + 1
	return scale2(p, int32(n))
}

// scale2 returns p·2^n for |n| ≤ 150 as two exact power-of-two factors, so
// that only the last product rounds (into the subnormals or to ±Inf).
func scale2(p float32, n int32) float32 {
	n1 := n >> 1
	return p * pow2(n1) * pow2(n-n1)
}

// pow2 returns 2^n for −126 ≤ n ≤ 127.
func pow2(n int32) float32 { return math.Float32frombits(uint32(n+127) << 23) }
