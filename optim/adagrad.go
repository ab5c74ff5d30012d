package optim

import (
	"math"

	"github.com/gorgonet/gorgonet/graph"
)

// Adagrad is the Adagrad optimizer of Duchi, Hazan & Singer 2011 ("Adaptive
// Subgradient Methods for Online Learning and Stochastic Optimization") in
// the form of torch.optim.Adagrad (lr_decay 0, initial accumulator 0). For a
// parameter θ with gradient ∇θ and sum of squares s (slot "sum", starting
// at 0):
//
//	g ← ∇θ + λθ      (λ = WeightDecay, for parameters whose Decays() is true)
//	s ← s + g²
//	θ ← θ − lr·g/(√s + ε)
type Adagrad struct {
	Eps         float64 // ε ≥ 0, default 1e-10
	WeightDecay float64 // L2 coefficient λ added to the gradient, default 0
	core
}

// NewAdagrad returns Adagrad with learning-rate schedule lr and PyTorch's
// default ε = 1e-10.
func NewAdagrad(lr Schedule) *Adagrad {
	return &Adagrad{Eps: 1e-10, core: newCore("adagrad", lr, "sum")}
}

// Step updates params from their gradients.
func (o *Adagrad) Step(params []*graph.Param) error {
	return run(&o.core, params, adagradRule{eps: o.Eps, l2: o.WeightDecay},
		adagradKernel[float32], adagradKernel[float64])
}

type adagradRule struct{ eps, l2 float64 }

func (r adagradRule) check() error {
	return firstError(nonNegative("Eps", r.eps), nonNegative("WeightDecay", r.l2))
}

func adagradKernel[T float](r adagradRule, u update, w, g []T, slots [][]T) {
	l2 := u.decay(r.l2)
	g, s := g[:len(w)], slots[0][:len(w)]
	for i, wi := range w {
		gi := float64(g[i]) + l2*float64(wi)
		s[i] = T(float64(s[i]) + gi*gi)
		w[i] = T(float64(wi) - u.lr*gi/(math.Sqrt(float64(s[i]))+r.eps))
	}
}
