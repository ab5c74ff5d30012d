package vec32

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// adamCases are coefficient sets of Adam and AdamW updates: PyTorch's
// defaults at the first update, a late update with coupled L2 decay, and
// AdamW with custom betas and a large ε.
var adamCases = []struct {
	name string
	c    AdamCoeffs
}{
	{"adam t=1", adamTestCoeffs(1e-3, 0.9, 0.999, 1e-8, 0, 0, 1)},
	{"adam l2 t=1000", adamTestCoeffs(3e-4, 0.9, 0.999, 1e-8, 0.01, 0, 1000)},
	{"adamw t=3", adamTestCoeffs(0.05, 0.8, 0.98, 1e-3, 0, 0.5, 3)},
}

// adamTestCoeffs returns the coefficients of update t, computed in float64
// and rounded, as the optimizer computes them.
func adamTestCoeffs(lr, beta1, beta2, eps, l2, decoupled float64, t int) AdamCoeffs {
	return AdamCoeffs{
		Beta1: float32(beta1), OneMinusBeta1: float32(1 - beta1),
		Beta2: float32(beta2), OneMinusBeta2: float32(1 - beta2),
		L2: float32(l2), Shrink: float32(1 - lr*decoupled),
		StepSize: float32(lr / (1 - math.Pow(beta1, float64(t)))),
		SqrtBC2:  float32(math.Sqrt(1 - math.Pow(beta2, float64(t)))),
		Eps:      float32(eps),
	}
}

// adamOperands returns n random parameters, gradients and moments like those
// of training: gradients over five orders of magnitude with a quarter of them
// zero, and a quarter of the moments zero (a first update).
func adamOperands(rng *rand.Rand, n int) (w, g, m, v []float32) {
	w, g, m, v = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
		s := math.Pow(10, -4+5*rng.Float64())
		if rng.IntN(4) > 0 {
			g[i] = float32(rng.NormFloat64() * s)
		}
		if rng.IntN(4) > 0 {
			m[i] = float32(rng.NormFloat64() * s)
			v[i] = float32(math.Abs(rng.NormFloat64()) * s * s)
		}
	}
	return w, g, m, v
}

// adamErrors returns the errors of one element's update (w1, m1, v1 from
// w, g, m, v) against float64 arithmetic on the same float32 operands, in
// units of the first-order bound of float32 rounding (u = 2⁻²⁴ per
// operation): for m and v the bound of their formulas from the operands, and
// for w that of its formula from the kernel's own m1 and v1, so that the
// rounding of the moments, which the next update inherits, is not counted
// twice.
func adamErrors(c AdamCoeffs, w, g, m, v, w1, m1, v1 float32) (ew, em, ev float64) {
	const u = 0x1p-24
	b1, c1, b2, c2 := float64(c.Beta1), float64(c.OneMinusBeta1), float64(c.Beta2), float64(c.OneMinusBeta2)
	l2w := float64(c.L2) * float64(w)
	gi := float64(g) + l2w
	wantM := b1*float64(m) + c1*gi
	wantV := b2*float64(v) + c2*gi*gi
	// gᵢ carries u·(|λw| + |gᵢ|); each product and sum one more u.
	boundM := u * (math.Abs(b1*float64(m)) + c1*(math.Abs(l2w)+2*math.Abs(gi)) + math.Abs(wantM))
	boundV := u * (b2*float64(v) + c2*(2*math.Abs(gi)*math.Abs(l2w)+4*gi*gi) + wantV)
	ws := float64(w) * float64(c.Shrink)
	step := float64(c.StepSize) * float64(m1) / (math.Sqrt(float64(v1))/float64(c.SqrtBC2) + float64(c.Eps))
	wantW := ws - step
	// w·Shrink and the difference one u each, the step five (√, two
	// divisions, the sum with ε, the product).
	boundW := u * (math.Abs(ws) + math.Abs(wantW) + 5*math.Abs(step))
	rel := func(got float32, want, bound float64) float64 {
		d := math.Abs(float64(got) - want)
		if d == 0 {
			return 0
		}
		return d / bound
	}
	return rel(w1, wantW, boundW), rel(m1, wantM, boundM), rel(v1, wantV, boundV)
}

// TestAdam runs Adam on every length 0…70 at alignments 0…3 with each
// coefficient set, checks every element against float64 arithmetic on the
// same operands (within 1.0001 times the first-order bound of float32
// rounding; the excess over 1 allows for second-order terms), checks that
// nothing outside the slices is written and that every kernel set gives the
// same bits.
func TestAdam(t *testing.T) {
	const maxN, pad = 70, 8
	rng := rand.New(rand.NewPCG(9, 10))
	w0, g0, m0, v0 := adamOperands(rng, maxN+pad)
	var worst [3]float64
	for _, ac := range adamCases {
		for n := 0; n <= maxN; n++ {
			for off := 0; off < 4; off++ {
				name := fmt.Sprintf("%s n=%d off=%d", ac.name, n, off)
				var first [][]float32
				eachKernelSet(t, func(t *testing.T) {
					w, g := append([]float32(nil), w0...), append([]float32(nil), g0...)
					m, v := append([]float32(nil), m0...), append([]float32(nil), v0...)
					Adam(w[off:off+n], g[off:off+n], m[off:off+n], v[off:off+n], ac.c)
					for i := range w {
						if i < off || i >= off+n {
							if !sameFloat(w[i], w0[i], true) || !sameFloat(m[i], m0[i], true) || !sameFloat(v[i], v0[i], true) || g[i] != g0[i] {
								t.Fatalf("%s: wrote outside the slices at buffer index %d", name, i)
							}
							continue
						}
						ew, em, ev := adamErrors(ac.c, w0[i], g0[i], m0[i], v0[i], w[i], m[i], v[i])
						for k, e := range []float64{ew, em, ev} {
							worst[k] = math.Max(worst[k], e)
							if !(e <= 1.0001) {
								t.Fatalf("%s: element %d (w %g g %g m %g v %g): w %g m %g v %g, error %.3g of the bound in %s",
									name, i-off, w0[i], g0[i], m0[i], v0[i], w[i], m[i], v[i], e, []string{"w", "m", "v"}[k])
							}
						}
					}
					if first == nil {
						first = [][]float32{w, m, v}
						return
					}
					for k, s := range [][]float32{w, m, v} {
						for i := range s {
							if !sameFloat(s[i], first[k][i], true) {
								t.Fatalf("%s: %s[%d] = %g, but %g with the first kernel set", name, []string{"w", "m", "v"}[k], i, s[i], first[k][i])
							}
						}
					}
				})
			}
		}
	}
	t.Logf("max error in units of the bound: w %.3g, m %.3g, v %.3g", worst[0], worst[1], worst[2])
}

// TestAdamZeroGradient: with zero gradient and moments and no coupled L2
// decay an update only shrinks the parameters (AdamW's decay; Adam leaves
// them alone), exactly, and the moments stay zero.
func TestAdamZeroGradient(t *testing.T) {
	eachKernelSet(t, func(t *testing.T) {
		for _, ac := range adamCases {
			ac.c.L2 = 0
			for _, n := range []int{1, 7, 8, 9, 33} {
				w, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
				for i := range w {
					w[i] = float32(i) - 3.25
				}
				Adam(w, g, m, v, ac.c)
				for i := range w {
					if want := (float32(i) - 3.25) * ac.c.Shrink; w[i] != want || m[i] != 0 || v[i] != 0 {
						t.Fatalf("%s n=%d: element %d: w %g m %g v %g, want %g 0 0", ac.name, n, i, w[i], m[i], v[i], want)
					}
				}
			}
		}
	})
}

// TestAdamLengths: Adam panics when the lengths differ.
func TestAdamLengths(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for lengths 3 and 4")
		}
	}()
	s := make([]float32, 3)
	Adam(s, s, s, make([]float32, 4), adamCases[0].c)
}

// TestAdamLargeGradient: a gradient of 3e20, whose square is beyond float32's
// range, still gives a finite second moment ((1−β2)·g·g = 9e37) and the first
// update moves the parameter by lr against the gradient's sign.
func TestAdamLargeGradient(t *testing.T) {
	c := adamCases[0].c // t = 1, lr = 1e-3
	eachKernelSet(t, func(t *testing.T) {
		w, g, m, v := []float32{1, 1}, []float32{3e20, -3e20}, make([]float32, 2), make([]float32, 2)
		Adam(w, g, m, v, c)
		for i, want := range []float64{1 - 1e-3, 1 + 1e-3} {
			if math.IsInf(float64(v[i]), 0) || math.Abs(float64(w[i])-want) > 1e-6 {
				t.Errorf("element %d: w %g (want %g), v %g", i, w[i], want, v[i])
			}
		}
	})
}
