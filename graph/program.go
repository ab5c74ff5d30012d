package graph

import (
	"fmt"
	"math"
	"sort"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Optimizer updates parameters from their gradients. Implementations live in
// package optim; Program.Step calls Step once per training step, after the
// backward pass, and zeroes the gradients afterwards.
type Optimizer interface {
	Step(params []*Param) error
}

// Program is a compiled tape-machine program over a Model: a training program
// (Model.Compile) or a forward-only one (Model.CompileForward).
type Program struct {
	model   *Model
	vm      gorgonia.VM
	regs    *registers // keeps register buffers across runs; nil: plain Reset
	inputs  map[string]*gorgonia.Node
	outputs []*gorgonia.Node
	values  []gorgonia.Value
	trained []*Param // nil for forward-only programs
	step    int
}

// Compile compiles a training program for the scalar loss: the gradients of
// every trainable (not frozen) parameter, bound to the parameters' dual values.
// Gorgonia differentiates a graph once, so a model has one training program.
// The optional outputs are computed by every run as well and read with
// Outputs after Step, e.g. the final hidden state of a recurrent network that
// the next step is fed (truncated backpropagation through time).
func (m *Model) Compile(loss *gorgonia.Node, outputs ...*gorgonia.Node) (*Program, error) {
	if loss == nil {
		return nil, errors.New("graph: Compile: nil loss")
	}
	if !loss.IsScalar() {
		return nil, errors.Errorf("graph: Compile: loss must be a scalar, got shape %v", loss.Shape())
	}
	if m.compiled {
		return nil, errors.New("graph: Compile: the model already has a training program (gorgonia differentiates a graph once)")
	}
	var trained []*Param
	var wrt gorgonia.Nodes
	for _, p := range m.params {
		if !p.frozen {
			trained = append(trained, p)
			wrt = append(wrt, p.node)
		}
	}
	if len(trained) == 0 {
		return nil, errors.New("graph: Compile: the model has no trainable parameters")
	}
	reach := m.g.ExactSubgraphRoots(loss).AllNodes()
	for _, p := range trained {
		if !reach.Contains(p.node) {
			return nil, errors.Errorf("graph: Compile: parameter %q does not affect the loss; freeze it or leave it out of the model", p.name)
		}
	}
	grads, err := gorgonia.Grad(loss, wrt...)
	if err != nil {
		return nil, errors.Wrap(err, "graph: Compile: differentiating the loss")
	}
	for i, o := range outputs {
		if o == nil {
			return nil, errors.Errorf("graph: Compile: output %d is nil", i)
		}
	}
	m.compiled = true
	return m.compile(append([]*gorgonia.Node{loss}, outputs...), grads, trained)
}

// CompileForward compiles a forward-only program computing outputs, over the
// same parameters as the training program. Build its graph in evaluation mode
// (SetTraining(false)) for inference.
func (m *Model) CompileForward(outputs ...*gorgonia.Node) (*Program, error) {
	if len(outputs) == 0 {
		return nil, errors.New("graph: CompileForward: no outputs")
	}
	for i, o := range outputs {
		if o == nil {
			return nil, errors.Errorf("graph: CompileForward: output %d is nil", i)
		}
	}
	return m.compile(outputs, nil, nil)
}

func (m *Model) compile(outputs, extra []*gorgonia.Node, trained []*Param) (*Program, error) {
	p := &Program{model: m, outputs: outputs, values: make([]gorgonia.Value, len(outputs)), trained: trained}
	roots := make(gorgonia.Nodes, 0, len(outputs)+len(extra))
	for i, o := range outputs {
		roots = append(roots, gorgonia.Read(o, &p.values[i]))
	}
	roots = append(roots, extra...)
	leaves := m.g.ExactSubgraphRoots(roots...).Inputs()
	p.inputs = map[string]*gorgonia.Node{}
	for name, n := range m.inputs {
		if leaves.Contains(n) {
			p.inputs[name] = n
		}
	}
	prog, locMap, err := gorgonia.CompileFunction(m.g, leaves, roots)
	if err != nil {
		return nil, errors.Wrap(err, "graph: compiling the tape-machine program")
	}
	opts := []gorgonia.VMOpt{gorgonia.WithPrecompiled(prog, locMap)}
	if trained != nil {
		bind := make(gorgonia.Nodes, len(trained))
		for i, tp := range trained {
			bind[i] = tp.node
		}
		opts = append(opts, gorgonia.BindDualValues(bind...))
	}
	p.vm = gorgonia.NewTapeMachine(m.g, opts...)
	if keepRegisters {
		p.regs = newRegisters(p.vm, prog, locMap)
	}
	return p, nil
}

// Inputs returns the names of the inputs the program must be fed, sorted.
func (p *Program) Inputs() []string { return p.inputNames() }

func (p *Program) inputNames() []string {
	names := make([]string, 0, len(p.inputs))
	for name := range p.inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Trained returns the parameters a training program computes gradients for.
func (p *Program) Trained() []*Param { return append([]*Param(nil), p.trained...) }

// run feeds the inputs and executes the whole program once.
func (p *Program) run(feeds Feeds) error {
	defer p.reset()
	if err := p.let(feeds); err != nil {
		return err
	}
	if err := p.vm.RunAll(); err != nil {
		return errors.Wrap(err, "graph: running the program")
	}
	return nil
}

// reset readies the machine for the next run, keeping the registers' buffers
// where that is safe (registers.go).
func (p *Program) reset() {
	if p.regs == nil {
		p.vm.Reset()
		return
	}
	p.regs.reset(p.vm, p.trained)
}

// Forward runs the program on feeds and returns its outputs, in the order
// given to CompileForward (for a training program: the loss). The returned
// tensors belong to the program and are overwritten by its next run; Clone
// them to keep them. Scalar outputs come back as 0-d tensors. A training program's Forward also computes (and adds to)
// the gradients; use Step to train.
func (p *Program) Forward(feeds Feeds) ([]*tensor.Dense, error) {
	if err := p.run(feeds); err != nil {
		return nil, err
	}
	return p.Outputs()
}

// Outputs returns the outputs of the program's last run (Forward or Step), in
// the order given to CompileForward, or the loss followed by the outputs given
// to Compile. The tensors belong to the program, as those of Forward.
func (p *Program) Outputs() ([]*tensor.Dense, error) {
	out := make([]*tensor.Dense, len(p.values))
	for i, v := range p.values {
		switch v := v.(type) {
		case *tensor.Dense:
			out[i] = v
		case gorgonia.Scalar:
			out[i] = tensor.New(tensor.FromScalar(v.Data()))
		default:
			return nil, errors.Errorf("graph: output %d is a %T, not a tensor", i, v)
		}
	}
	return out, nil
}

// Step runs one training step: it feeds the batch, runs the forward and
// backward passes, lets opt update the parameters and zeroes the gradients.
// It returns the loss. A non-finite loss is returned with an error and the
// parameters are left unchanged.
func (p *Program) Step(feeds Feeds, opt Optimizer) (float64, error) {
	if p.trained == nil {
		return 0, errors.New("graph: Step on a forward-only program")
	}
	if opt == nil {
		return 0, errors.New("graph: Step: nil optimizer")
	}
	loss, err := p.lossAndGrads(feeds)
	if err != nil {
		return loss, err
	}
	p.step++
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		p.ZeroGrad()
		return loss, errors.Errorf("graph: step %d: loss is %v", p.step, loss)
	}
	if err := opt.Step(p.trained); err != nil {
		return loss, errors.Wrapf(err, "graph: step %d: optimizer", p.step)
	}
	p.ZeroGrad()
	return loss, nil
}

// lossAndGrads runs the forward and backward passes and returns the loss; the
// gradients are left in the parameters' Grad tensors.
func (p *Program) lossAndGrads(feeds Feeds) (float64, error) {
	if err := p.run(feeds); err != nil {
		return 0, err
	}
	return Scalar(p.values[0])
}

// ZeroGrad sets every gradient of the program's parameters to zero.
func (p *Program) ZeroGrad() {
	for _, tp := range p.trained {
		if g := tp.Grad(); g != nil {
			g.Zero()
		}
	}
}

// Scalar returns the single number of a scalar or one-element value, such as
// a loss returned by Program.Forward, as a float64.
func Scalar(v gorgonia.Value) (float64, error) {
	switch d := v.Data().(type) {
	case float64:
		return d, nil
	case float32:
		return float64(d), nil
	case []float64:
		if len(d) == 1 {
			return d[0], nil
		}
	case []float32:
		if len(d) == 1 {
			return float64(d[0]), nil
		}
	}
	return 0, fmt.Errorf("graph: expected a scalar, got %v", v.Shape())
}
