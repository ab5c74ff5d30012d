package optim

import (
	"math"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/graph"
)

// GlobalNorm returns the L2 norm of all the gradients of params taken
// together, √(Σ g²) over every element of every gradient, as
// torch.nn.utils.clip_grad_norm_ measures it. Frozen parameters and
// parameters without a gradient are left out.
func GlobalNorm(params []*graph.Param) float64 {
	var sum float64
	for _, p := range params {
		if p.Frozen() {
			continue
		}
		if g, err := gradOf(p); err == nil {
			g32, g64 := elems(g)
			sum += sumSquares(g32) + sumSquares(g64)
		}
	}
	return math.Sqrt(sum)
}

// GlobalNormClip is the Optimizer returned by ClipByGlobalNorm.
type GlobalNormClip struct {
	wrapper
	MaxNorm  float64 // largest global gradient norm passed on, > 0
	lastNorm float64
}

// ClipByGlobalNorm returns an optimizer that rescales the gradients of the
// trainable parameters in place so that their global norm (GlobalNorm) is at
// most maxNorm, then calls opt.Step (Pascanu et al. 2013, "On the difficulty
// of training recurrent neural networks"). When the norm N exceeds maxNorm
// every gradient is multiplied by maxNorm/N, so the clipped norm is maxNorm up
// to rounding; smaller gradients are left untouched. Unlike
// torch.nn.utils.clip_grad_norm_ it adds no 1e-6 to N, and a non-finite norm
// is an error. Steps, State and SetState are opt's. The concrete type is
// *GlobalNormClip, whose LastNorm reports the norm before clipping.
func ClipByGlobalNorm(opt Optimizer, maxNorm float64) Optimizer {
	return &GlobalNormClip{wrapper: wrapper{inner: opt, name: "ClipByGlobalNorm"}, MaxNorm: maxNorm}
}

// LastNorm returns the global gradient norm seen by the last Step, before
// clipping (0 before the first Step).
func (c *GlobalNormClip) LastNorm() float64 { return c.lastNorm }

// Step clips the gradients of params and lets the wrapped optimizer update
// params.
func (c *GlobalNormClip) Step(params []*graph.Param) error {
	if !(c.MaxNorm > 0) || math.IsInf(c.MaxNorm, 0) {
		return errors.Errorf("optim: ClipByGlobalNorm: maxNorm must be positive and finite, got %v", c.MaxNorm)
	}
	if err := c.check(params); err != nil {
		return err
	}
	norm := GlobalNorm(params)
	c.lastNorm = norm
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return errors.Errorf("optim: ClipByGlobalNorm: the global gradient norm is %v (gradients with a NaN, an infinity or an overflowing norm: %q)", norm, nonFinite(params))
	}
	if norm > c.MaxNorm {
		scale := c.MaxNorm / norm
		for _, p := range params {
			if !p.Frozen() {
				g32, g64 := elems(p.Grad())
				scaleBy(g32, scale)
				scaleBy(g64, scale)
			}
		}
	}
	return c.inner.Step(params)
}

// ValueClip is the Optimizer returned by ClipByValue.
type ValueClip struct {
	wrapper
	Limit float64 // largest gradient magnitude passed on, > 0
}

// ClipByValue returns an optimizer that clamps every gradient element of the
// trainable parameters to [−limit, limit] in place, then calls opt.Step, as
// torch.nn.utils.clip_grad_value_. Steps, State and SetState are opt's.
func ClipByValue(opt Optimizer, limit float64) Optimizer {
	return &ValueClip{wrapper: wrapper{inner: opt, name: "ClipByValue"}, Limit: limit}
}

// Step clamps the gradients of params and lets the wrapped optimizer update
// params.
func (c *ValueClip) Step(params []*graph.Param) error {
	if !(c.Limit > 0) || math.IsInf(c.Limit, 0) {
		return errors.Errorf("optim: ClipByValue: limit must be positive and finite, got %v", c.Limit)
	}
	if err := c.check(params); err != nil {
		return err
	}
	for _, p := range params {
		if !p.Frozen() {
			g32, g64 := elems(p.Grad())
			clamp(g32, c.Limit)
			clamp(g64, c.Limit)
		}
	}
	return c.inner.Step(params)
}

// wrapper delegates Steps, State and SetState to the optimizer it wraps.
type wrapper struct {
	inner Optimizer
	name  string
}

// Steps returns the wrapped optimizer's update count.
func (w *wrapper) Steps() int {
	if w.inner == nil {
		return 0
	}
	return w.inner.Steps()
}

// State returns the wrapped optimizer's state.
func (w *wrapper) State() (*State, error) {
	if w.inner == nil {
		return nil, errors.Errorf("optim: %s: nil optimizer", w.name)
	}
	return w.inner.State()
}

// SetState restores the wrapped optimizer's state.
func (w *wrapper) SetState(s *State) error {
	if w.inner == nil {
		return errors.Errorf("optim: %s: nil optimizer", w.name)
	}
	return w.inner.SetState(s)
}

// check reports a nil wrapped optimizer or a trainable parameter whose
// gradient cannot be clipped, before any gradient is changed.
func (w *wrapper) check(params []*graph.Param) error {
	if w.inner == nil {
		return errors.Errorf("optim: %s: nil optimizer", w.name)
	}
	for _, p := range params {
		if !p.Frozen() {
			if _, err := gradOf(p); err != nil {
				return errors.Wrapf(err, "optim: %s", w.name)
			}
		}
	}
	return nil
}

// nonFinite returns the names of the trainable parameters whose gradient
// holds a NaN or an infinity, or whose squared norm overflows.
func nonFinite(params []*graph.Param) []string {
	var names []string
	for _, p := range params {
		if p.Frozen() {
			continue
		}
		g32, g64 := elems(p.Grad())
		if s := sumSquares(g32) + sumSquares(g64); math.IsNaN(s) || math.IsInf(s, 0) {
			names = append(names, p.Name())
		}
	}
	return names
}

func sumSquares[T float](x []T) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}

func scaleBy[T float](x []T, scale float64) {
	for i, v := range x {
		x[i] = T(float64(v) * scale)
	}
}

func clamp[T float](x []T, limit float64) {
	for i, v := range x {
		x[i] = T(math.Max(-limit, math.Min(limit, float64(v))))
	}
}
