package vec32

import "math"

// AdamCoeffs are the scalars of one Adam or AdamW update (Kingma & Ba 2015,
// "Adam: A Method for Stochastic Optimization", Algorithm 1, with the bias
// corrections arranged as torch.optim.Adam does; Loshchilov & Hutter 2019,
// "Decoupled Weight Decay Regularization", for Shrink). The caller computes
// them in float64 for update t with learning rate lr and rounds each to
// float32; 1−β1 and 1−β2 are passed rounded in their own right, as
// 1 − float32(β2) would lose the precision of 1−β2 (1.3e-5 relative for
// β2 = 0.999).
type AdamCoeffs struct {
	Beta1, OneMinusBeta1 float32 // β1 and 1−β1
	Beta2, OneMinusBeta2 float32 // β2 and 1−β2
	L2                   float32 // coupled weight decay λ (Adam's weight_decay), 0 for none
	Shrink               float32 // decoupled decay factor 1 − lr·λ (AdamW), 1 for none
	StepSize             float32 // lr/(1 − β1ᵗ)
	SqrtBC2              float32 // √(1 − β2ᵗ)
	Eps                  float32 // ε
}

// Adam applies one Adam/AdamW update to the parameters w given their
// gradient g, updating the first and second moments m and v in place; for
// every i, in float32 arithmetic and in this order:
//
//	gᵢ ← g[i] + L2·w[i]
//	m[i] ← β1·m[i] + (1−β1)·gᵢ
//	v[i] ← β2·v[i] + (1−β2)·gᵢ·gᵢ
//	w[i] ← w[i]·Shrink − StepSize·m[i]/(√v[i]/SqrtBC2 + ε)
//
// that is θ ← θ − lr·m̂/(√v̂ + ε) with m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ). w, g, m and
// v must have the same length and must not overlap.
//
// Every operation is one correctly rounded float32 operation (square root and
// divisions included; no fused multiply-adds, no reciprocal approximations),
// so the AVX2 kernel and the Go fallback give the same bits and the result of
// an element does not depend on its position. Against the float64 formula
// on the same float32 operands the errors stay within the first-order bounds
// of float32 rounding (u = 2⁻²⁴ per operation), measured by TestAdam on
// random operands at up to 0.73 of them:
//
//	m: u·(|β1·m| + (1−β1)·(|L2·w| + 2|gᵢ|) + |m′|)
//	v: u·(β2·v + (1−β2)·(2|gᵢ|·|L2·w| + 4gᵢ²) + v′)
//	w: u·(|w·Shrink| + |w′| + 5|step|) with the kernel's m′ and v′
//
// (for w from the rounded moments, which is what the next update sees).
// As (1−β2)·gᵢ is formed before the second factor gᵢ, v overflows to +Inf
// only where the float64 value is beyond float32's range too.
func Adam(w, g, m, v []float32, c AdamCoeffs) {
	checkLen("Adam", len(w), g, m, v)
	kern.adam(w, g, m, v, c)
}

func adamGo(w, g, m, v []float32, c AdamCoeffs) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	// The conversions float32(a*b) round every product on its own: Go may
	// otherwise fuse a*b + c into one FMA (on GOAMD64=v3 and other targets).
	for i, wi := range w {
		gi := g[i] + float32(c.L2*wi)
		mi := float32(c.Beta1*m[i]) + float32(c.OneMinusBeta1*gi)
		vi := float32(c.Beta2*v[i]) + float32(float32(c.OneMinusBeta2*gi)*gi)
		m[i], v[i] = mi, vi
		d := sqrt32(vi)/c.SqrtBC2 + c.Eps
		w[i] = float32(wi*c.Shrink) - float32(c.StepSize*mi)/d
	}
}

// sqrt32 is the correctly rounded float32 square root (rounding the float64
// root to float32 is exact rounding: float64 has more than 2·24+2 bits).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
