package vec32

import (
	"fmt"
	"math"
	"testing"
)

// Float64 references.
func refPhi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func refGELU(x float64) float64 {
	if math.IsInf(x, -1) {
		return 0
	}
	return x * refPhi(x)
}

func refGELUDeriv(x float64) float64 {
	switch {
	case math.IsInf(x, -1):
		return 0
	case math.IsInf(x, 1):
		return 1
	}
	return refPhi(x) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
}

func refSigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// geluDerivKernel is GELUGrad with g = 1, as a unary kernel.
func geluDerivKernel(dst, x []float32) {
	g := make([]float32, len(x))
	for i := range g {
		g[i] = 1
	}
	GELUGrad(dst, x, g)
}

// expBound is the largest relative error of Exp (measured 7.57e-8 with the
// AVX2 kernels, 9.72e-8 with the Go kernels, the same with -tags purego).
const expBound = 1.1e-7

// unaries lists the elementwise kernels with their error measure and the
// bound each must meet: at most 1.5 times the larger of the maximum errors
// measured over TestUnaryAccuracy's sweeps with the AVX2 and the Go kernel
// sets (given after each; Intel Xeon with AVX-512, go test -v -run
// TestUnaryAccuracy), so that a kernel losing even half a bit of accuracy
// fails. They are tighter than specified (exp 3e-7 relative, GELU 2e-7
// scaled by max(1,|x|), sigmoid and tanh 1e-6 absolute).
var unaries = []unary{
	{"Exp", Exp, math.Exp, relErr, expBound},
	{"GELU", GELU, refGELU, scaledErr, 1.5e-7},                  // 1.11e-7 both
	{"GELUGrad", geluDerivKernel, refGELUDeriv, absErr, 1.5e-7}, // 1.15e-7 both
	{"Sigmoid", Sigmoid, refSigmoid, absErr, 1.2e-7},            // 8.91e-8 both
	{"Tanh", Tanh, math.Tanh, absErr, 1.2e-7},                   // 8.91e-8 AVX2, 8.94e-8 Go
	{"TanhRel", Tanh, math.Tanh, relErr, 2.1e-7},                // 1.56e-7 AVX2, 1.48e-7 Go
}

// TestUnaryAccuracy measures the maximum error of every kernel against
// float64 math over dense sweeps: 1e6 points of [−10, 10], 1e6 of the range
// where exp is finite and nonzero, 1e6 bit patterns spread over all float32
// values (every exponent, both signs, ±Inf, NaN), and the neighbourhoods of
// exp's overflow (88.72) and of its normal (−87.34) and subnormal (−103.28)
// underflows.
func TestUnaryAccuracy(t *testing.T) {
	sweeps := []struct {
		name string
		x    []float32
	}{
		{"[-10,10]", sweep(-10, 10, 1_000_000)},
		{"[-103,88.7]", sweep(-103, 88.72, 1_000_000)},
		{"bits", bitSweep(4099)},
		{"[88.70,88.73]", sweep(88.70, 88.73, 10_000)},
		{"[-104,-87]", sweep(-104, -87, 100_000)},
	}
	eachKernelSet(t, func(t *testing.T) {
		for _, u := range unaries {
			for _, s := range sweeps {
				worst, at := maxErr(u, s.x)
				t.Logf("%-8s %-12s max error %.3g at x = %g", u.name, s.name, worst, at)
				if !(worst <= u.bound) {
					t.Errorf("%s over %s: max error %.3g at x = %g, want ≤ %.3g", u.name, s.name, worst, at, u.bound)
				}
			}
		}
	})
}

// TestUnarySpecial checks special values, saturation and limits exactly.
func TestUnarySpecial(t *testing.T) {
	cases := []struct {
		name string
		fn   func(dst, x []float32)
		x    []float32
		want []float32
	}{
		{"Exp", Exp,
			[]float32{0, -inf32, inf32, nan32, -200, -1e30, -maxF32, 89, 88.7229, 1e30, maxF32, -104},
			[]float32{1, 0, inf32, nan32, 0, 0, 0, inf32, inf32, inf32, inf32, 0}},
		{"GELU", GELU,
			[]float32{0, -inf32, inf32, nan32, 6, 10, 1e30, maxF32, -6.5, -1e30, -maxF32},
			[]float32{0, 0, inf32, nan32, 6, 10, 1e30, maxF32, 0, 0, 0}},
		{"GELUGrad", geluDerivKernel,
			[]float32{0, -inf32, inf32, nan32, 6, 1e30, -6, -1e30},
			[]float32{0.5, 0, 1, nan32, 1, 1, 0, 0}},
		{"Sigmoid", Sigmoid,
			[]float32{0, -inf32, inf32, nan32, 1e4, -1e4, maxF32, -maxF32, 17},
			[]float32{0.5, 0, 1, nan32, 1, 0, 1, 0, 1}},
		{"Tanh", Tanh,
			[]float32{0, -inf32, inf32, nan32, 10, -10, 1e30, -maxF32, 1e-20, -1e-30, f32(1)},
			[]float32{0, -1, 1, nan32, 1, -1, 1, -1, 1e-20, -1e-30, f32(1)}},
	}
	eachKernelSet(t, func(t *testing.T) {
		for _, c := range cases {
			got := make([]float32, len(c.x))
			c.fn(got, c.x)
			for i, x := range c.x {
				if !sameFloat(got[i], c.want[i], false) {
					t.Errorf("%s(%g) = %g (%#x), want %g (%#x)", c.name, x, got[i], math.Float32bits(got[i]), c.want[i], math.Float32bits(c.want[i]))
				}
			}
		}
	})
}

// TestUnaryLengths checks every length 0…70 at every alignment 0…3 (in
// elements) of x and dst, separate and in place: the results must equal, bit
// for bit, those of one long call (so the masked tail does the arithmetic of
// the main loop), and no element outside dst may be written.
func TestUnaryLengths(t *testing.T) {
	const maxN, pad = 70, 8
	src := make([]float32, maxN+pad)
	for i := range src {
		src[i] = float32(i%23)/3 - 3.5 + float32(i)/97
	}
	eachKernelSet(t, func(t *testing.T) {
		for _, u := range unaries[:5] {
			want := make([]float32, len(src))
			u.fn(want, src)
			for n := 0; n <= maxN; n++ {
				for off := 0; off < 4; off++ {
					for _, inPlace := range []bool{false, true} {
						name := fmt.Sprintf("%s n=%d off=%d inPlace=%v", u.name, n, off, inPlace)
						xbuf := append([]float32(nil), src...)
						dbuf := make([]float32, len(src))
						for i := range dbuf {
							dbuf[i] = -7 // guard
						}
						x := xbuf[off : off+n]
						dst := dbuf[off : off+n]
						if inPlace {
							dst = x
							dbuf = xbuf
						}
						u.fn(dst, x)
						for i := range dbuf {
							inside := i >= off && i < off+n
							switch {
							case inside && dbuf[i] != want[i]:
								t.Fatalf("%s: element %d = %g, want %g", name, i-off, dbuf[i], want[i])
							case !inside && !inPlace && dbuf[i] != -7:
								t.Fatalf("%s: wrote %g outside dst at buffer index %d", name, dbuf[i], i)
							case !inside && inPlace && dbuf[i] != src[i]:
								t.Fatalf("%s: wrote %g outside x at buffer index %d", name, dbuf[i], i)
							}
						}
					}
				}
			}
			// and the long call itself is accurate
			for i, v := range src {
				if e := u.err(want[i], u.ref(float64(v)), float64(v)); !(e <= u.bound) {
					t.Errorf("%s(%g) = %g, error %.3g > %.3g", u.name, v, want[i], e, u.bound)
				}
			}
		}
	})
}

// TestGELUGrad checks the product with g, in place on g and on x.
func TestGELUGrad(t *testing.T) {
	x := sweep(-8, 8, 1001)
	g := make([]float32, len(x))
	for i := range g {
		g[i] = float32(i%13) - 6.25
	}
	eachKernelSet(t, func(t *testing.T) {
		for _, alias := range []string{"none", "x", "g"} {
			xc, gc := append([]float32(nil), x...), append([]float32(nil), g...)
			dst := make([]float32, len(x))
			switch alias {
			case "x":
				dst = xc
			case "g":
				dst = gc
			}
			GELUGrad(dst, xc, gc)
			for i, v := range x {
				want := float64(g[i]) * refGELUDeriv(float64(v))
				if e := math.Abs(float64(dst[i])-want) / math.Max(1, math.Abs(float64(g[i]))); e > 2e-7 {
					t.Fatalf("alias %s: GELUGrad(x=%g, g=%g) = %g, want %g", alias, v, g[i], dst[i], want)
				}
			}
		}
	})
}

// TestLengthMismatch checks that mismatched slices panic rather than read
// or write out of bounds.
func TestLengthMismatch(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"Exp", func() { Exp(make([]float32, 3), make([]float32, 4)) }},
		{"GELU", func() { GELU(make([]float32, 5), make([]float32, 4)) }},
		{"GELUGrad", func() { GELUGrad(make([]float32, 4), make([]float32, 4), make([]float32, 3)) }},
		{"Sigmoid", func() { Sigmoid(nil, make([]float32, 1)) }},
		{"Tanh", func() { Tanh(make([]float32, 1), nil) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with mismatched lengths did not panic", c.name)
				}
			}()
			c.f()
		}()
	}
}
