package vec32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// rowCase describes a row kernel for the shared tests: run calls it on x, y
// (and dst when it writes one) and returns its scalar result (0 if none);
// ref returns the float64 dst and scalar, and the magnitude the scalar's
// error is measured against (Σ|terms| for sums, the maximum for Max and
// Softmax).
type rowCase struct {
	name   string
	writes bool
	run    func(dst, x, y []float32) float32
	ref    func(x, y []float64) (dst []float64, r, scale float64)
	// tol is the allowed error of the scalar, relative to scale; tol and
	// elemTol are at most 1.5 times the largest errors TestRowLengths
	// measures with either kernel set (ExpSum: 0.584 of 3e-7 with the Go
	// kernels; SoftmaxGrad: 0.254 of 3e-7·|y|·(|g|+Σ|y g|)).
	tol float64
	// elemTol returns the allowed error of dst[i] = want from x[i], y[i].
	elemTol func(x, y, want, scale float64) float64
}

// expTol is the error bound of exp(t) where t is the float32 result of k
// roundings of a value of magnitude |t|: Exp's own expBound plus the
// conditioning of exp, |t|·6e-8 per rounding (relative).
func expTol(t float64, k int, want float64) float64 {
	return (expBound + float64(k)*0x1p-24*math.Abs(t)) * want
}

var rowCases = []rowCase{
	{"Max", false, func(_, x, _ []float32) float32 { return Max(x) },
		func(x, _ []float64) ([]float64, float64, float64) {
			m := math.Inf(-1)
			for _, v := range x {
				m = math.Max(m, v)
			}
			return nil, m, math.Abs(m)
		}, 0, nil},
	{"Sum", false, func(_, x, _ []float32) float32 { return Sum(x) },
		func(x, _ []float64) ([]float64, float64, float64) {
			var s, a float64
			for _, v := range x {
				s, a = s+v, a+math.Abs(v)
			}
			return nil, s, a
		}, 8e-8, nil}, // measured 0.187 of 3e-7 (AVX2), 0.178 (Go)
	{"Dot", false, func(_, x, y []float32) float32 { return Dot(x, y) },
		func(x, y []float64) ([]float64, float64, float64) {
			var s, a float64
			for i, v := range x {
				s, a = s+v*y[i], a+math.Abs(v*y[i])
			}
			return nil, s, a
		}, 9e-8, nil}, // measured 0.213 of 3e-7 (AVX2), 0.218 (Go)
	{"Scale", true, func(dst, x, _ []float32) float32 { Scale(dst, x, 1.7); return 0 },
		func(x, _ []float64) ([]float64, float64, float64) {
			d := make([]float64, len(x))
			for i, v := range x {
				d[i] = float64(float32(1.7)) * v
			}
			return d, 0, 0
		}, 0, func(_, _, want, _ float64) float64 { return 0x1p-24 * math.Abs(want) }},
	{"ExpSum", true, func(dst, x, _ []float32) float32 { return ExpSum(dst, x, 0.8, 0.5) },
		func(x, _ []float64) ([]float64, float64, float64) {
			d := make([]float64, len(x))
			var s float64
			for i, v := range x {
				d[i] = math.Exp(float64(float32(0.8)) * (v - 0.5))
				s += d[i]
			}
			return d, s, s
		}, 2.5e-7, func(x, _, want, _ float64) float64 { return expTol(0.8*(x-0.5), 2, want) }},
	{"Softmax", true, func(dst, x, _ []float32) float32 { Softmax(dst, x); return 0 },
		func(x, _ []float64) ([]float64, float64, float64) { return refSoftmax(x), 0, maxOf(x) }, 0,
		func(x, _, want, m float64) float64 { return softmaxTol(x-m, want) }},
	{"SoftmaxGrad", true, func(dst, x, y []float32) float32 { SoftmaxGrad(dst, x, y, 0.6); return 0 },
		func(x, y []float64) ([]float64, float64, float64) {
			var d, a float64
			for i, v := range x {
				d, a = d+v*y[i], a+math.Abs(v*y[i])
			}
			out := make([]float64, len(x))
			for i, v := range x {
				// error scale: |y|·(|g| + Σ|y g|) per element
				out[i] = float64(float32(0.6)) * v * (y[i] - d)
			}
			return out, 0, a
		}, 0, func(y, g, _, sum float64) float64 { return 1.1e-7 * math.Abs(y) * (math.Abs(g) + sum) }},
}

// softmaxTol is the error bound of a softmax output want at x − max = t:
// that of exp, and 4e-7 for the sum, its reciprocal and the product
// (TestSoftmax measures 0.84 of it with the AVX2 kernels, 0.81 with the Go
// kernels and 0.92 with -tags purego).
func softmaxTol(t, want float64) float64 { return expTol(t, 1, want) + 4e-7*want }

func maxOf(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	return m
}

func refSoftmax(x []float64) []float64 {
	m := maxOf(x)
	d := make([]float64, len(x))
	var s float64
	for i, v := range x {
		d[i] = math.Exp(v - m)
		s += d[i]
	}
	for i := range d {
		d[i] /= s
	}
	return d
}

func to64(x []float32) []float64 {
	d := make([]float64, len(x))
	for i, v := range x {
		d[i] = float64(v)
	}
	return d
}

// TestRowLengths runs every row kernel on every length 0…70 at alignments
// 0…3, separate and in place, against float64 references, and checks that
// nothing outside dst is written.
func TestRowLengths(t *testing.T) {
	const maxN, pad = 70, 8
	rng := rand.New(rand.NewPCG(3, 4))
	xs, ys := make([]float32, maxN+pad), make([]float32, maxN+pad)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64() * 2)
		ys[i] = float32(rng.NormFloat64())
	}
	eachKernelSet(t, func(t *testing.T) {
		for _, rc := range rowCases {
			for n := 0; n <= maxN; n++ {
				for off := 0; off < 4; off++ {
					for _, inPlace := range []bool{false, true} {
						if inPlace && !rc.writes {
							continue
						}
						checkRow(t, rc, xs, ys, n, off, inPlace)
					}
				}
			}
		}
	})
}

func checkRow(t *testing.T, rc rowCase, xs, ys []float32, n, off int, inPlace bool) {
	t.Helper()
	name := fmt.Sprintf("%s n=%d off=%d inPlace=%v", rc.name, n, off, inPlace)
	xbuf, ybuf := append([]float32(nil), xs...), append([]float32(nil), ys...)
	dbuf := make([]float32, len(xs))
	for i := range dbuf {
		dbuf[i] = -7
	}
	x, y := xbuf[off:off+n], ybuf[off:off+n]
	wantD, wantR, scale := rc.ref(to64(x), to64(y))
	dst := dbuf[off : off+n]
	if inPlace {
		dst, dbuf = x, xbuf
	}
	r := rc.run(dst, x, y)
	if d := math.Abs(float64(r) - wantR); d != 0 && !(d <= rc.tol*scale) && !(math.IsInf(wantR, -1) && math.IsInf(float64(r), -1)) {
		t.Fatalf("%s: result %g, want %g (error %.3g > %.3g)", name, r, wantR, d, rc.tol*scale)
	}
	if !rc.writes {
		return
	}
	for i := range dbuf {
		inside := i >= off && i < off+n
		if !inside {
			if want := map[bool]float32{false: -7, true: xs[i]}[inPlace]; dbuf[i] != want {
				t.Fatalf("%s: wrote %g outside dst at buffer index %d", name, dbuf[i], i)
			}
			continue
		}
		want := wantD[i-off]
		tol := rc.elemTol(float64(xs[i]), float64(ys[i]), want, scale)
		if d := math.Abs(float64(dbuf[i]) - want); !(d <= tol) {
			t.Fatalf("%s: dst[%d] = %g, want %g (error %.3g > %.3g)", name, i-off, dbuf[i], want, d, tol)
		}
	}
}

// TestMaxSpecial checks that Max ignores NaNs and handles infinities.
func TestMaxSpecial(t *testing.T) {
	cases := []struct {
		x    []float32
		want float32
	}{
		{nil, -inf32},
		{[]float32{nan32}, -inf32},
		{[]float32{nan32, -3, nan32, -5, -4, -6, -7, -8, -9, -3.5}, -3},
		{[]float32{-inf32, -inf32, -inf32}, -inf32},
		{[]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, inf32, 0}, inf32},
		{[]float32{-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -14, -15, -16, -0.5}, -0.5},
	}
	eachKernelSet(t, func(t *testing.T) {
		for _, c := range cases {
			if got := Max(c.x); got != c.want {
				t.Errorf("Max(%v) = %g, want %g", c.x, got, c.want)
			}
		}
	})
}

// TestSoftmax checks the accuracy over random rows of 1…300 elements, in
// units of the bound softmaxTol, 5.1e-7 + |x − max|·6e-8 (relative), and rows with −Inf (masked) entries and rows of
// huge values, which must not overflow.
func TestSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	eachKernelSet(t, func(t *testing.T) {
		var worst float64
		for n := 1; n <= 300; n++ {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(rng.NormFloat64() * 3)
			}
			got := make([]float32, n)
			Softmax(got, x)
			x64 := to64(x)
			m := maxOf(x64)
			for i, w := range refSoftmax(x64) {
				worst = math.Max(worst, math.Abs(float64(got[i])-w)/softmaxTol(x64[i]-m, w))
			}
		}
		t.Logf("max error %.3g of the bound", worst)
		if worst > 1 {
			t.Errorf("max error %.3g of the bound", worst)
		}
		for _, c := range []struct {
			x, want []float32
		}{
			{[]float32{0, -inf32, 0, -inf32}, []float32{0.5, 0, 0.5, 0}},
			{[]float32{1e30, 1e30, -1e30}, []float32{0.5, 0.5, 0}},
			{[]float32{3e38, -3e38}, []float32{1, 0}},
			{[]float32{7}, []float32{1}},
		} {
			got := make([]float32, len(c.x))
			Softmax(got, c.x)
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("Softmax(%v) = %v, want %v", c.x, got, c.want)
					break
				}
			}
		}
	})
}
