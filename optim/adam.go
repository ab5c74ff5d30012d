package optim

import (
	"math"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/internal/vec32"
)

// Adam is the Adam optimizer of Kingma & Ba 2015 ("Adam: A Method for
// Stochastic Optimization", Algorithm 1), as torch.optim.Adam computes it.
// For the t-th update of a parameter θ with gradient ∇θ and moments m (slot
// "exp_avg") and v (slot "exp_avg_sq"), both starting at 0:
//
//	g ← ∇θ + λθ      (λ = WeightDecay, for parameters whose Decays() is true)
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	θ ← θ − lr·m̂/(√v̂ + ε),  m̂ = m/(1−β1ᵗ),  v̂ = v/(1−β2ᵗ)
//
// t counts the optimizer's updates (Steps()+1), shared by all parameters.
//
// Unlike the other optimizers, Adam and AdamW update float32 parameters in
// float32 arithmetic (internal/vec32.Adam: AVX2 where the CPU has it, 8
// elements at a time): the scalars 1−β, lr/(1−β1ᵗ) and √(1−β2ᵗ) are computed
// in float64 and rounded once, and each element's update differs from the
// float64 computation by a few float32 roundings.
// Float64 parameters are updated in float64.
type Adam struct {
	Beta1       float64 // β1 in [0, 1), default 0.9
	Beta2       float64 // β2 in [0, 1), default 0.999
	Eps         float64 // ε ≥ 0, default 1e-8
	WeightDecay float64 // L2 coefficient λ added to the gradient, default 0; see AdamW for decoupled decay
	core
}

// NewAdam returns Adam with learning-rate schedule lr and PyTorch's defaults
// β1 = 0.9, β2 = 0.999, ε = 1e-8.
func NewAdam(lr Schedule) *Adam {
	return &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, core: newCore("adam", lr, "exp_avg", "exp_avg_sq")}
}

// Step updates params from their gradients.
func (o *Adam) Step(params []*graph.Param) error {
	return run(&o.core, params, adamRule{beta1: o.Beta1, beta2: o.Beta2, eps: o.Eps, l2: o.WeightDecay},
		adam32, adam64)
}

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter 2019,
// "Decoupled Weight Decay Regularization"), as torch.optim.AdamW computes it.
// For the t-th update of a parameter θ with gradient g = ∇θ:
//
//	θ ← θ − lr·λ·θ   (λ = WeightDecay, only for parameters whose Decays() is true)
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	θ ← θ − lr·m̂/(√v̂ + ε),  m̂ = m/(1−β1ᵗ),  v̂ = v/(1−β2ᵗ)
//
// Biases, norm gains and other 1-D parameters do not decay by default (see
// graph.Param.Decays). Float32 parameters are updated in float32 arithmetic,
// as with Adam.
type AdamW struct {
	Beta1       float64 // β1 in [0, 1), default 0.9
	Beta2       float64 // β2 in [0, 1), default 0.999
	Eps         float64 // ε ≥ 0, default 1e-8
	WeightDecay float64 // decoupled decay λ ≥ 0 (PyTorch's default is 0.01; nanoGPT uses 0.1)
	core
}

// NewAdamW returns AdamW with learning-rate schedule lr, decoupled weight
// decay weightDecay and PyTorch's defaults β1 = 0.9, β2 = 0.999, ε = 1e-8.
func NewAdamW(lr Schedule, weightDecay float64) *AdamW {
	return &AdamW{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay,
		core: newCore("adamw", lr, "exp_avg", "exp_avg_sq")}
}

// Step updates params from their gradients.
func (o *AdamW) Step(params []*graph.Param) error {
	return run(&o.core, params, adamRule{beta1: o.Beta1, beta2: o.Beta2, eps: o.Eps, decoupled: o.WeightDecay},
		adam32, adam64)
}

type adamRule struct {
	beta1, beta2, eps float64
	l2, decoupled     float64 // coupled (Adam) and decoupled (AdamW) weight decay
}

func (r adamRule) check() error {
	return firstError(unitInterval("Beta1", r.beta1), unitInterval("Beta2", r.beta2),
		nonNegative("Eps", r.eps), nonNegative("WeightDecay", r.l2), nonNegative("WeightDecay", r.decoupled))
}

// adamCoeffs are the scalars of update u, in float64.
type adamCoeffs struct {
	stepSize, sqrtBC2 float64 // lr/(1−β1ᵗ) and √(1−β2ᵗ)
	l2, shrink        float64 // coupled decay λ and decoupled factor 1 − lr·λ
}

func (r adamRule) coeffs(u update) adamCoeffs {
	t := float64(u.t)
	return adamCoeffs{
		stepSize: u.lr / (1 - math.Pow(r.beta1, t)),
		sqrtBC2:  math.Sqrt(1 - math.Pow(r.beta2, t)),
		l2:       u.decay(r.l2),
		shrink:   1 - u.lr*u.decay(r.decoupled),
	}
}

// adam32 updates a float32 parameter in float32 arithmetic with
// vec32.Adam (AVX2 where the CPU has it), the coefficients computed in
// float64 and rounded once.
func adam32(r adamRule, u update, w, g []float32, slots [][]float32) {
	c := r.coeffs(u)
	vec32.Adam(w, g[:len(w)], slots[0][:len(w)], slots[1][:len(w)], vec32.AdamCoeffs{
		Beta1: float32(r.beta1), OneMinusBeta1: float32(1 - r.beta1),
		Beta2: float32(r.beta2), OneMinusBeta2: float32(1 - r.beta2),
		L2: float32(c.l2), Shrink: float32(c.shrink),
		StepSize: float32(c.stepSize), SqrtBC2: float32(c.sqrtBC2), Eps: float32(r.eps),
	})
}

// adam64 updates a float64 parameter; the operations are those of
// vec32.Adam, in float64.
func adam64(r adamRule, u update, w, g []float64, slots [][]float64) {
	c := r.coeffs(u)
	g, m, v := g[:len(w)], slots[0][:len(w)], slots[1][:len(w)]
	for i, wi := range w {
		gi := g[i] + c.l2*wi
		m[i] = r.beta1*m[i] + (1-r.beta1)*gi
		v[i] = r.beta2*v[i] + (1-r.beta2)*gi*gi
		w[i] = wi*c.shrink - c.stepSize*m[i]/(math.Sqrt(v[i])/c.sqrtBC2+r.eps)
	}
}
