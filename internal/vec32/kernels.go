package vec32

import "fmt"

// kernelSet is one implementation of every kernel. The exported functions
// check their arguments and call the set in kern.
type kernelSet struct {
	name string

	exp, sigmoid, tanh, gelu func(dst, x []float32)
	geluGrad                 func(dst, x, g []float32)

	max, sum    func(x []float32) float32
	dot         func(x, y []float32) float32
	scale       func(dst, x []float32, a float32)
	expSum      func(dst, x []float32, scale, shift float32) float32
	softmaxGrad func(dst, y, g []float32, scale float32)

	sumSqDev    func(x []float32, c float32) float32
	normalize   func(dst, x, w, b []float32, mean, rstd float32)
	lnGradSums  func(x, w, g []float32, mean float32) (sg, sgx float32)
	lnGradApply func(dx, x, w, g []float32, mean, a, b, c float32)
	gainGrad    func(acc, x, g []float32, mean, rstd float32)

	addTo func(dst, x []float32)
	adam  func(w, g, m, v []float32, c AdamCoeffs)
}

// kern is the kernel set in use: the fastest this CPU supports, switched by
// the tests to check every set.
var kern = kernelSets()[0]

// goKernels is the portable implementation.
var goKernels = &kernelSet{
	name:     "go",
	exp:      mapGo(exp32),
	sigmoid:  mapGo(sigmoid32),
	tanh:     mapGo(tanh32),
	gelu:     mapGo(gelu32),
	geluGrad: geluGradGo,

	max:         maxGo,
	sum:         sumGo,
	dot:         dotGo,
	scale:       scaleGo,
	expSum:      expSumGo,
	softmaxGrad: softmaxGradGo,

	sumSqDev:    sumSqDevGo,
	normalize:   normalizeGo,
	lnGradSums:  lnGradSumsGo,
	lnGradApply: lnGradApplyGo,
	gainGrad:    gainGradGo,

	addTo: addToGo,
	adam:  adamGo,
}

// mapGo returns the kernel applying f to every element.
func mapGo(f func(float32) float32) func(dst, x []float32) {
	return func(dst, x []float32) {
		dst = dst[:len(x)]
		for i, v := range x {
			dst[i] = f(v)
		}
	}
}

// checkLen panics unless every slice in s has length n.
func checkLen(fn string, n int, s ...[]float32) {
	for _, v := range s {
		if len(v) != n {
			panic(fmt.Sprintf("vec32: %s: slice lengths %d and %d differ", fn, n, len(v)))
		}
	}
}
