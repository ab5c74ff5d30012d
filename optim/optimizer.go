package optim

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// Optimizer is a graph.Optimizer whose state can be saved and restored.
//
// Step updates the values of the trainable parameters it is given in place
// from their gradients (both of the parameter's shape), skipping frozen
// parameters. A trainable parameter without a gradient, an invalid
// hyper-parameter or an invalid learning rate is an error, and then no
// parameter is changed.
type Optimizer interface {
	graph.Optimizer
	// Steps returns the number of updates applied so far; the next update
	// uses the learning rate of step Steps()+1.
	Steps() int
	// State returns a copy of the optimizer's state.
	State() (*State, error)
	// SetState replaces the optimizer's state by a copy of s, which must come
	// from an optimizer of the same kind.
	SetState(s *State) error
}

// float is the element type of a model's tensors.
type float interface{ ~float32 | ~float64 }

// update is what an update rule needs besides the tensors.
type update struct {
	lr     float64 // learning rate of this update
	t      int     // number of this update, from 1
	decays bool    // whether weight decay applies to the parameter
}

// decay returns lambda for a parameter that decays and 0 for one that does not.
func (u update) decay(lambda float64) float64 {
	if u.decays {
		return lambda
	}
	return 0
}

// rule is an optimizer's hyper-parameters for one Step.
type rule interface {
	// check reports an invalid hyper-parameter.
	check() error
}

// kernel applies an update rule to one parameter: w and g are its values and
// gradient, slots its state buffers in the order of core.slots, all of one
// length. It computes in float64 and stores in T (except Adam's float32
// kernel, which computes in float32: optim/adam.go).
type kernel[R rule, T float] func(r R, u update, w, g []T, slots [][]T)

// core is what every optimizer shares: its kind, schedule, update count and
// per-parameter state. Optimizers embed it and get Steps, State and SetState.
type core struct {
	kind  string
	lr    Schedule
	slots []string // names of the per-parameter state buffers, e.g. "exp_avg"
	steps int
	state map[string]*buffers // by parameter name
}

func newCore(kind string, lr Schedule, slots ...string) core {
	return core{kind: kind, lr: lr, slots: slots, state: map[string]*buffers{}}
}

// Steps returns the number of updates applied so far.
func (c *core) Steps() int { return c.steps }

// run performs one Step: it checks the hyper-parameters, the learning rate
// and every trainable parameter's gradient and state before changing
// anything, then applies k32 or k64 to each trainable parameter.
func run[R rule](c *core, params []*graph.Param, r R, k32 kernel[R, float32], k64 kernel[R, float64]) error {
	if err := r.check(); err != nil {
		return errors.Wrapf(err, "optim: %s", c.kind)
	}
	if c.lr == nil {
		return errors.Errorf("optim: %s: nil learning-rate schedule", c.kind)
	}
	t := c.steps + 1
	lr := c.lr.Rate(t)
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return errors.Errorf("optim: %s: learning rate %v at step %d (check the schedule's configuration)", c.kind, lr, t)
	}
	for _, p := range params {
		if !p.Frozen() {
			if err := c.prepare(p); err != nil {
				return err
			}
		}
	}
	forEachParam(params, ruleUpdate[R]{c: c, r: r, lr: lr, t: t, k32: k32, k64: k64})
	c.steps = t
	return nil
}

// ruleUpdate is one Step's update of a rule, applied parameter by parameter.
type ruleUpdate[R rule] struct {
	c   *core
	r   R
	lr  float64
	t   int
	k32 kernel[R, float32]
	k64 kernel[R, float64]
}

// apply updates one trainable parameter.
func (u ruleUpdate[R]) apply(p *graph.Param) {
	var s32 [][]float32
	var s64 [][]float64
	if b := u.c.state[p.Name()]; b != nil {
		s32, s64 = b.f32, b.f64
	}
	up := update{lr: u.lr, t: u.t, decays: p.Decays()}
	w32, w64 := elems(p.Value())
	g32, g64 := elems(p.Grad())
	if w32 != nil {
		u.k32(u.r, up, w32, g32, s32)
	} else {
		u.k64(u.r, up, w64, g64, s64)
	}
}

// parallelMinElements is the number of parameter elements below which
// forEachParam works on the calling goroutine only.
const parallelMinElements = 1 << 16

// forEachParam applies u to every trainable parameter, spreading them over up
// to GOMAXPROCS goroutines when they are large enough to pay for it. Each
// parameter is updated by one goroutine, element by element in order, so the
// result does not depend on the split (TestParallelUpdateMatchesSerial).
func forEachParam[U interface{ apply(*graph.Param) }](params []*graph.Param, u U) {
	total, trained := 0, 0
	for _, p := range params {
		if !p.Frozen() {
			total += p.Value().Shape().TotalSize()
			trained++
		}
	}
	workers := min(runtime.GOMAXPROCS(0), trained)
	if workers < 2 || total < parallelMinElements {
		for _, p := range params {
			if !p.Frozen() {
				u.apply(p)
			}
		}
		return
	}
	shared := u // only this branch lets the update escape to the heap
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(params); i = int(next.Add(1)) - 1 {
				if !params[i].Frozen() {
					shared.apply(params[i])
				}
			}
		}()
	}
	wg.Wait()
}

// prepare checks p's value and gradient and makes its state buffers ready:
// zeros on its first update, the restored values after SetState.
func (c *core) prepare(p *graph.Param) error {
	g, err := gradOf(p)
	if err != nil {
		return errors.Wrapf(err, "optim: %s", c.kind)
	}
	w := p.Value()
	dt, n := w.Dtype(), w.DataSize()
	if g.Dtype() != dt || g.DataSize() != n {
		return errors.Errorf("optim: %s: parameter %q is %v %v but its gradient is %v %v",
			c.kind, p.Name(), dt, w.Shape(), g.Dtype(), g.Shape())
	}
	if len(c.slots) == 0 {
		return nil
	}
	b := c.state[p.Name()]
	switch {
	case b == nil:
		c.state[p.Name()] = newBuffers(dt, n, len(c.slots))
	case b.restored != nil:
		for i, s := range b.restored {
			if len(s) != n {
				return errors.Errorf("optim: %s: restored state %q has %d values but parameter %q has %d (shape %v)",
					c.kind, slotKey(c.slots[i], p.Name()), len(s), p.Name(), n, w.Shape())
			}
		}
		restored := b.restored
		*b = *newBuffers(dt, n, len(c.slots))
		b.load(restored)
	case b.dtype != dt || b.size != n:
		return errors.Errorf("optim: %s: parameter %q is %v with %d values but its optimizer state is %v with %d",
			c.kind, p.Name(), dt, n, b.dtype, b.size)
	}
	return nil
}

// gradOf returns the gradient of a trainable parameter, or an error naming
// it when it has none or it is not float32 or float64.
func gradOf(p *graph.Param) (*tensor.Dense, error) {
	g := p.Grad()
	if g == nil {
		return nil, errors.Errorf("parameter %q has no gradient: the backward pass did not reach it (freeze it, or step with a program whose loss uses it)", p.Name())
	}
	if dt := g.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, errors.Errorf("parameter %q has a %v gradient; optimizers support float32 and float64", p.Name(), dt)
	}
	return g, nil
}

// elems returns t's elements as []float32 or as []float64, the other result
// being nil. t must be float32 or float64. Unlike t.Data() it does not
// allocate.
func elems(t *tensor.Dense) ([]float32, []float64) {
	if t.Dtype() == tensor.Float32 {
		return t.Float32s(), nil
	}
	return nil, t.Float64s()
}
