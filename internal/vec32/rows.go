package vec32

import "math"

// Row kernels: reductions and the softmax of one row. The sums are
// accumulated in float32 (8 or 16 partial sums with AVX2, 4 in the Go
// kernels), so their rounding error grows like √n·6e-8 relative to Σ|x|
// rather than n·6e-8; for rows of up to a few thousand elements that is
// below 1e-6.

// Max returns the largest element of x, ignoring NaNs; −Inf when x is empty
// or all NaN.
func Max(x []float32) float32 { return kern.max(x) }

// Sum returns Σ_i x[i].
func Sum(x []float32) float32 { return kern.sum(x) }

// Dot returns Σ_i x[i]·y[i]. x and y must have the same length.
func Dot(x, y []float32) float32 {
	checkLen("Dot", len(x), y)
	return kern.dot(x, y)
}

// Scale sets dst[i] = a·x[i]. dst and x must have the same length; dst may be x.
func Scale(dst, x []float32, a float32) {
	checkLen("Scale", len(x), dst)
	kern.scale(dst, x, a)
}

// ExpSum sets dst[i] = exp(scale·(x[i] − shift)), with exp as in Exp, and
// returns Σ_i dst[i]: the numerator and denominator of a softmax with
// temperature 1/scale when shift is the row's maximum. dst and x must have
// the same length; dst may be x.
func ExpSum(dst, x []float32, scale, shift float32) float32 {
	checkLen("ExpSum", len(x), dst)
	return kern.expSum(dst, x, scale, shift)
}

// Softmax sets dst to the softmax of the row x, dst[i] = exp(x[i] − m)/Σ_j
// exp(x[j] − m) with m = Max(x), so no exp overflows. A row containing +Inf,
// or whose elements are all −Inf, gives NaNs, as in PyTorch. dst and x must
// have the same length; dst may be x. The error relative to the float64
// softmax is within 6e-7 + |x[i] − m|·6e-8, the second term being float32's
// rounding of x[i] − m (TestSoftmax: at most 0.8 of that bound on rows of
// 1…300 elements of N(0, 3²)).
func Softmax(dst, x []float32) {
	checkLen("Softmax", len(x), dst)
	if len(x) == 0 {
		return
	}
	s := kern.expSum(dst, x, 1, kern.max(x))
	kern.scale(dst, dst, 1/s)
}

// SoftmaxGrad sets dst[i] = scale·y[i]·(g[i] − Σ_j y[j]·g[j]), the gradient
// with respect to x of a softmax y = softmax(scale·x) whose output gradient
// is g. dst, y and g must have the same length; dst may be y or g.
func SoftmaxGrad(dst, y, g []float32, scale float32) {
	checkLen("SoftmaxGrad", len(y), dst, g)
	kern.softmaxGrad(dst, y, g, scale)
}

// Go kernels of the row functions.

func maxGo(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	return m
}

// sum4 returns Σ_i f(i) for i < n over 4 partial sums.
func sum4(n int, f func(i int) float32) float32 {
	var s [4]float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s[0] += f(i)
		s[1] += f(i + 1)
		s[2] += f(i + 2)
		s[3] += f(i + 3)
	}
	for ; i < n; i++ {
		s[0] += f(i)
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

func sumGo(x []float32) float32 { return sum4(len(x), func(i int) float32 { return x[i] }) }

func dotGo(x, y []float32) float32 {
	y = y[:len(x)]
	return sum4(len(x), func(i int) float32 { return x[i] * y[i] })
}

func scaleGo(dst, x []float32, a float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = a * v
	}
}

func expSumGo(dst, x []float32, scale, shift float32) float32 {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = exp32(scale * (v - shift))
	}
	return sumGo(dst)
}

func softmaxGradGo(dst, y, g []float32, scale float32) {
	dst, g = dst[:len(y)], g[:len(y)]
	d := dotGo(y, g)
	for i, v := range y {
		dst[i] = scale * v * (g[i] - d)
	}
}
