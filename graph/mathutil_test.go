package graph

import "math"

var sqrt12 = math.Sqrt(12)

func sqrtf(x float64) float64 { return math.Sqrt(x) }
func sqrt6(fan int) float64   { return math.Sqrt(6 / float64(fan)) }
func abs(x float64) float64   { return math.Abs(x) }
func meanStd(v []float64) (float64, float64) {
	var s, ss float64
	for _, x := range v {
		s += x
	}
	mean := s / float64(len(v))
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(v)))
}
