package optim

import (
	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/graph"
)

// SGD is plain stochastic gradient descent, torch.optim.SGD without
// momentum. For each parameter θ with gradient ∇θ:
//
//	g ← ∇θ + λθ      (λ = WeightDecay, for parameters whose Decays() is true)
//	θ ← θ − lr·g
type SGD struct {
	// WeightDecay is the L2 coefficient λ added to the gradient (PyTorch's
	// weight_decay, default 0).
	WeightDecay float64
	core
}

// NewSGD returns plain SGD with learning-rate schedule lr.
func NewSGD(lr Schedule) *SGD { return &SGD{core: newCore("sgd", lr)} }

// Step updates params from their gradients.
func (o *SGD) Step(params []*graph.Param) error {
	return run(&o.core, params, sgdRule{l2: o.WeightDecay}, sgdKernel[float32], sgdKernel[float64])
}

type sgdRule struct{ l2 float64 }

func (r sgdRule) check() error { return nonNegative("WeightDecay", r.l2) }

func sgdKernel[T float](r sgdRule, u update, w, g []T, _ [][]T) {
	l2 := u.decay(r.l2)
	g = g[:len(w)]
	for i, wi := range w {
		w[i] = T(float64(wi) - u.lr*(float64(g[i])+l2*float64(wi)))
	}
}

// Momentum is stochastic gradient descent with heavy-ball momentum (Polyak
// 1964; Sutskever et al. 2013) in the form of torch.optim.SGD(momentum=μ),
// dampening 0. For each parameter θ with gradient ∇θ and buffer v (slot
// "momentum_buffer", starting at 0, so v = g after the first update):
//
//	g ← ∇θ + λθ      (λ = WeightDecay, for parameters whose Decays() is true)
//	v ← μv + g
//	θ ← θ − lr·v
type Momentum struct {
	Momentum    float64 // μ ≥ 0
	WeightDecay float64 // L2 coefficient λ added to the gradient, default 0
	core
}

// NewMomentum returns SGD with momentum μ = momentum (0.9 is usual) and
// learning-rate schedule lr.
func NewMomentum(lr Schedule, momentum float64) *Momentum {
	return &Momentum{Momentum: momentum, core: newCore("momentum", lr, "momentum_buffer")}
}

// Step updates params from their gradients.
func (o *Momentum) Step(params []*graph.Param) error {
	return run(&o.core, params, momentumRule{mu: o.Momentum, l2: o.WeightDecay},
		momentumKernel[float32], momentumKernel[float64])
}

// Nesterov is stochastic gradient descent with Nesterov momentum (Nesterov
// 1983, as reformulated by Sutskever et al. 2013) in the form of
// torch.optim.SGD(momentum=μ, nesterov=True). For each parameter θ with
// gradient ∇θ and buffer v (slot "momentum_buffer", starting at 0):
//
//	g ← ∇θ + λθ      (λ = WeightDecay, for parameters whose Decays() is true)
//	v ← μv + g
//	θ ← θ − lr·(g + μv)
type Nesterov struct {
	Momentum    float64 // μ > 0
	WeightDecay float64 // L2 coefficient λ added to the gradient, default 0
	core
}

// NewNesterov returns SGD with Nesterov momentum μ = momentum and
// learning-rate schedule lr.
func NewNesterov(lr Schedule, momentum float64) *Nesterov {
	return &Nesterov{Momentum: momentum, core: newCore("nesterov", lr, "momentum_buffer")}
}

// Step updates params from their gradients.
func (o *Nesterov) Step(params []*graph.Param) error {
	return run(&o.core, params, momentumRule{mu: o.Momentum, l2: o.WeightDecay, nesterov: true},
		momentumKernel[float32], momentumKernel[float64])
}

type momentumRule struct {
	mu, l2   float64
	nesterov bool
}

func (r momentumRule) check() error {
	if r.nesterov && !(r.mu > 0) {
		return errors.Errorf("Nesterov momentum must be positive, got %v", r.mu)
	}
	return firstError(nonNegative("Momentum", r.mu), nonNegative("WeightDecay", r.l2))
}

func momentumKernel[T float](r momentumRule, u update, w, g []T, slots [][]T) {
	l2 := u.decay(r.l2)
	g, v := g[:len(w)], slots[0][:len(w)]
	for i, wi := range w {
		gi := float64(g[i]) + l2*float64(wi)
		v[i] = T(r.mu*float64(v[i]) + gi)
		step := float64(v[i])
		if r.nesterov {
			step = gi + r.mu*step
		}
		w[i] = T(float64(wi) - u.lr*step)
	}
}
