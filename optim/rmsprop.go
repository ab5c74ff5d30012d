package optim

import (
	"math"

	"github.com/gorgonet/gorgonet/graph"
)

// RMSProp is the RMSProp optimizer (Hinton, Srivastava & Swersky, lecture 6e
// of "Neural Networks for Machine Learning", 2012) in the form of
// torch.optim.RMSprop without momentum and not centered. For a parameter θ
// with gradient ∇θ and running mean square v (slot "square_avg", starting
// at 0):
//
//	g ← ∇θ + λθ      (λ = WeightDecay, for parameters whose Decays() is true)
//	v ← α·v + (1−α)·g²
//	θ ← θ − lr·g/(√v + ε)
type RMSProp struct {
	Alpha       float64 // smoothing constant α in [0, 1), default 0.99
	Eps         float64 // ε ≥ 0, default 1e-8
	WeightDecay float64 // L2 coefficient λ added to the gradient, default 0
	core
}

// NewRMSProp returns RMSProp with learning-rate schedule lr and PyTorch's
// defaults α = 0.99, ε = 1e-8.
func NewRMSProp(lr Schedule) *RMSProp {
	return &RMSProp{Alpha: 0.99, Eps: 1e-8, core: newCore("rmsprop", lr, "square_avg")}
}

// Step updates params from their gradients.
func (o *RMSProp) Step(params []*graph.Param) error {
	return run(&o.core, params, rmsRule{alpha: o.Alpha, eps: o.Eps, l2: o.WeightDecay},
		rmsKernel[float32], rmsKernel[float64])
}

type rmsRule struct{ alpha, eps, l2 float64 }

func (r rmsRule) check() error {
	return firstError(unitInterval("Alpha", r.alpha), nonNegative("Eps", r.eps), nonNegative("WeightDecay", r.l2))
}

func rmsKernel[T float](r rmsRule, u update, w, g []T, slots [][]T) {
	l2 := u.decay(r.l2)
	g, v := g[:len(w)], slots[0][:len(w)]
	for i, wi := range w {
		gi := float64(g[i]) + l2*float64(wi)
		v[i] = T(r.alpha*float64(v[i]) + (1-r.alpha)*gi*gi)
		w[i] = T(float64(wi) - u.lr*gi/(math.Sqrt(float64(v[i]))+r.eps))
	}
}
