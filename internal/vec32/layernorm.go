package vec32

// Row kernels of layer normalisation (Ba, Kiros & Hinton 2016, "Layer
// Normalization"): for a row x of D elements with mean μ and r = 1/√(σ²+ε),
// x̂ = (x − μ)·r and y = x̂ ⊙ w + b. The sums are in float32 (see rows.go).

// MeanVar returns the mean of x and its biased (population) variance
// Σ(x − mean)²/len(x), in two passes; 0, 0 for an empty x.
func MeanVar(x []float32) (mean, variance float32) {
	if len(x) == 0 {
		return 0, 0
	}
	n := float32(len(x))
	mean = kern.sum(x) / n
	return mean, kern.sumSqDev(x, mean) / n
}

// Normalize sets dst[i] = (x[i] − mean)·rstd·w[i] + b[i], the layer norm of
// a row given its mean and rstd = 1/√(variance + ε); b may be nil (no bias).
// dst, x, w and b (if not nil) must have the same length; dst may be x.
func Normalize(dst, x, w, b []float32, mean, rstd float32) {
	checkLen("Normalize", len(x), dst, w)
	if b != nil {
		checkLen("Normalize", len(x), b)
	}
	kern.normalize(dst, x, w, b, mean, rstd)
}

// NormalizeGrad sets dx to the gradient with respect to the row x of
// Normalize (mean and rstd being functions of x) given the output gradient
// g:
//
//	dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)),  ĝ = g ⊙ w, x̂ = (x − mean)·rstd.
//
// dx, x, w and g must have the same length; dx may be x or g.
func NormalizeGrad(dx, x, w, g []float32, mean, rstd float32) {
	checkLen("NormalizeGrad", len(x), dx, w, g)
	if len(x) == 0 {
		return
	}
	sg, sgx := kern.lnGradSums(x, w, g, mean)
	n := float32(len(x))
	// dx = rstd·ĝ − rstd·Σĝ/n − (x − mean)·rstd³·Σĝ(x − mean)/n
	kern.lnGradApply(dx, x, w, g, mean, rstd, -rstd*rstd*rstd*sgx/n, -rstd*sg/n)
}

// NormalizeGainGrad adds g ⊙ x̂, x̂ = (x − mean)·rstd, to acc: the
// contribution of one row to the gradient of Normalize with respect to w.
// acc, x and g must have the same length.
func NormalizeGainGrad(acc, x, g []float32, mean, rstd float32) {
	checkLen("NormalizeGainGrad", len(x), acc, g)
	kern.gainGrad(acc, x, g, mean, rstd)
}

// Go kernels of the layer-norm rows.

func sumSqDevGo(x []float32, c float32) float32 {
	return sum4(len(x), func(i int) float32 { d := x[i] - c; return d * d })
}

func normalizeGo(dst, x, w, b []float32, mean, rstd float32) {
	dst, w = dst[:len(x)], w[:len(x)]
	for i, v := range x {
		var bi float32
		if b != nil {
			bi = b[i]
		}
		dst[i] = (v-mean)*rstd*w[i] + bi
	}
}

// lnGradSumsGo returns Σ g⊙w and Σ g⊙w⊙(x − mean).
func lnGradSumsGo(x, w, g []float32, mean float32) (sg, sgx float32) {
	w, g = w[:len(x)], g[:len(x)]
	sg = sum4(len(x), func(i int) float32 { return g[i] * w[i] })
	sgx = sum4(len(x), func(i int) float32 { return g[i] * w[i] * (x[i] - mean) })
	return sg, sgx
}

// lnGradApplyGo sets dx = a·g⊙w + b·(x − mean) + c.
func lnGradApplyGo(dx, x, w, g []float32, mean, a, b, c float32) {
	dx, w, g = dx[:len(x)], w[:len(x)], g[:len(x)]
	for i, v := range x {
		dx[i] = a*(g[i]*w[i]) + (b*(v-mean) + c)
	}
}

func gainGradGo(acc, x, g []float32, mean, rstd float32) {
	acc, g = acc[:len(x)], g[:len(x)]
	for i, v := range x {
		acc[i] += g[i] * ((v - mean) * rstd)
	}
}
