package vec32

// AddTo sets dst[i] += x[i] for every i: the accumulation of one row into a
// sum of rows (the bias gradient of a fully connected layer, Σ_rows dy).
// dst and x must have the same length; dst may be x (doubling it).
//
// Each element is one float32 addition, correctly rounded, in every kernel
// set, so the result is the same bits with AVX2 and in the Go fallback, and a
// sum of rows taken by repeated AddTo does not depend on how the columns are
// split.
func AddTo(dst, x []float32) {
	checkLen("AddTo", len(x), dst)
	kern.addTo(dst, x)
}

func addToGo(dst, x []float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] += v
	}
}
