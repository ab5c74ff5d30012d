package vec32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// lnRow holds the operands of one layer-norm row test, in float64 too.
type lnRow struct {
	x, w, b, g         []float32
	mean, rstd         float32
	x64, w64, b64, g64 []float64
}

// lnCase is one layer-norm kernel: run writes into out (which aliases one of
// the operands when alias says so) and want returns the float64 result and
// the scale of each element's error.
type lnCase struct {
	name    string
	aliases []string // operands out may be: "" (none), "x", "g"
	run     func(out []float32, r lnRow)
	want    func(r lnRow) (want, scale []float64)
	tol     float64 // at most 1.5 times the largest error TestLayerNormRows measures with either kernel set
}

var lnCases = []lnCase{
	{"Normalize", []string{"", "x"}, func(out []float32, r lnRow) { Normalize(out, r.x, r.w, r.b, r.mean, r.rstd) },
		func(r lnRow) ([]float64, []float64) { return refNormalize(r, true) }, 2e-7}, // measured 0.495 of 3e-7 (Go), 0.401 (AVX2)
	{"NormalizeNoBias", []string{"", "x"}, func(out []float32, r lnRow) { Normalize(out, r.x, r.w, nil, r.mean, r.rstd) },
		func(r lnRow) ([]float64, []float64) { return refNormalize(r, false) }, 2e-7}, // 0.498 of 3e-7, both
	{"NormalizeGrad", []string{"", "x", "g"}, func(out []float32, r lnRow) { NormalizeGrad(out, r.x, r.w, r.g, r.mean, r.rstd) },
		refNormalizeGrad, 2e-7}, // 0.148 of 1e-6 (Go), 0.129 (AVX2)
	{"NormalizeGainGrad", []string{""}, func(out []float32, r lnRow) { NormalizeGainGrad(out, r.x, r.g, r.mean, r.rstd) },
		func(r lnRow) ([]float64, []float64) {
			want, scale := make([]float64, len(r.x)), make([]float64, len(r.x))
			for i, v := range r.x64 {
				p := r.g64[i] * (v - float64(r.mean)) * float64(r.rstd)
				want[i] = -7 + p // out starts as −7
				scale[i] = 7 + math.Abs(p)
			}
			return want, scale
		}, 1.2e-7}, // 0.433 of 2e-7 (Go), 0.367 (AVX2)
}

func refNormalize(r lnRow, bias bool) (want, scale []float64) {
	want, scale = make([]float64, len(r.x)), make([]float64, len(r.x))
	for i, v := range r.x64 {
		y := (v - float64(r.mean)) * float64(r.rstd) * r.w64[i]
		scale[i] = math.Abs(y)
		if bias {
			y += r.b64[i]
			scale[i] += math.Abs(r.b64[i])
		}
		want[i] = y
	}
	return want, scale
}

func refNormalizeGrad(r lnRow) (want, scale []float64) {
	n := float64(len(r.x))
	rs, mu := float64(r.rstd), float64(r.mean)
	var sg, sgx, ag, agx float64
	for i, v := range r.x64 {
		gh := r.g64[i] * r.w64[i]
		xh := (v - mu) * rs
		sg, sgx = sg+gh, sgx+gh*xh
		ag, agx = ag+math.Abs(gh), agx+math.Abs(gh*xh)
	}
	want, scale = make([]float64, len(r.x)), make([]float64, len(r.x))
	for i, v := range r.x64 {
		gh := r.g64[i] * r.w64[i]
		xh := (v - mu) * rs
		want[i] = rs * (gh - sg/n - xh*sgx/n)
		scale[i] = rs * (math.Abs(gh) + ag/n + math.Abs(xh)*agx/n)
	}
	return want, scale
}

// TestLayerNormRows checks every layer-norm kernel on every length 0…70 at
// alignments 0…3, separate and in place, against float64, and that nothing
// outside the output is written.
func TestLayerNormRows(t *testing.T) {
	const maxN, pad = 70, 8
	rng := rand.New(rand.NewPCG(7, 8))
	src := make([][]float32, 4) // x, w, b, g
	for k := range src {
		src[k] = make([]float32, maxN+pad)
		for i := range src[k] {
			src[k][i] = float32(rng.NormFloat64() + float64(k%2)) // x, b centred at 0; w, g at 1
		}
	}
	eachKernelSet(t, func(t *testing.T) {
		for _, c := range lnCases {
			for n := 0; n <= maxN; n++ {
				for off := 0; off < 4; off++ {
					for _, alias := range c.aliases {
						checkLNRow(t, c, src, n, off, alias)
					}
				}
			}
		}
	})
}

func checkLNRow(t *testing.T, c lnCase, src [][]float32, n, off int, alias string) {
	t.Helper()
	name := fmt.Sprintf("%s n=%d off=%d alias=%q", c.name, n, off, alias)
	bufs := make([][]float32, len(src))
	for k := range src {
		bufs[k] = append([]float32(nil), src[k]...)
	}
	r := lnRow{x: bufs[0][off : off+n], w: bufs[1][off : off+n], b: bufs[2][off : off+n], g: bufs[3][off : off+n]}
	r.x64, r.w64, r.b64, r.g64 = to64(r.x), to64(r.w), to64(r.b), to64(r.g)
	var v float32
	r.mean, v = MeanVar(r.x)
	r.rstd = float32(1 / math.Sqrt(float64(v)+1e-5))
	want, scale := c.want(r)
	obuf := make([]float32, len(src[0]))
	for i := range obuf {
		obuf[i] = -7
	}
	orig := obuf
	switch alias {
	case "x":
		obuf, orig = bufs[0], src[0]
	case "g":
		obuf, orig = bufs[3], src[3]
	}
	c.run(obuf[off:off+n], r)
	for i := range obuf {
		if i < off || i >= off+n {
			if obuf[i] != orig[i] && !(alias == "" && obuf[i] == -7) {
				t.Fatalf("%s: wrote %g outside the output at buffer index %d", name, obuf[i], i)
			}
			continue
		}
		if d := math.Abs(float64(obuf[i]) - want[i-off]); !(d <= c.tol*scale[i-off]) {
			t.Fatalf("%s: element %d = %g, want %g (error %.3g > %.3g)", name, i-off, obuf[i], want[i-off], d, c.tol*scale[i-off])
		}
	}
}

// TestMeanVar checks mean and variance against float64, including rows with
// a large common offset (where a one-pass Σx² − (Σx)² would cancel).
func TestMeanVar(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	eachKernelSet(t, func(t *testing.T) {
		if m, v := MeanVar(nil); m != 0 || v != 0 {
			t.Errorf("MeanVar(nil) = %g, %g, want 0, 0", m, v)
		}
		for _, offset := range []float64{0, 1000} {
			for n := 1; n <= 300; n += 7 {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(offset + rng.NormFloat64())
				}
				var s, ss float64
				for _, v := range x {
					s += float64(v)
				}
				mu := s / float64(n)
				for _, v := range x {
					ss += (float64(v) - mu) * (float64(v) - mu)
				}
				m, v := MeanVar(x)
				if d := math.Abs(float64(m) - mu); d > 3e-7*(offset+3) {
					t.Errorf("n=%d offset %g: mean %g, want %g", n, offset, m, mu)
				}
				// the float32 mean's rounding (≤ offset·6e-8) enters the variance squared
				want := ss / float64(n)
				if d := math.Abs(float64(v) - want); d > 1e-6*want+offset*offset*1e-14 {
					t.Errorf("n=%d offset %g: variance %g, want %g", n, offset, v, want)
				}
			}
		}
	})
}
