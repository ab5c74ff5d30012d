package ops

import "math"

// rowMax returns the largest element of row.
func rowMax[T opFloat](row []T) float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		if f := float64(v); f > mx {
			mx = f
		}
	}
	return mx
}

// logSumExp returns m = max(row) and log Σ exp(row − m), whose sum is
// log Σ exp(row). Callers subtract m from elements first and add log Σ last,
// which keeps rows of large equal values (masks of −1e9) exact.
func logSumExp[T opFloat](row []T) (m, logSum float64) {
	m = rowMax(row)
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	return m, math.Log(s)
}
