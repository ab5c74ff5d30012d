package graph

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Feeds maps input names (as given to Model.Input and Model.IndexInput) to
// the values fed for one run. Each value's shape and element type must match
// the input's exactly.
type Feeds map[string]tensor.Tensor

// Input declares a named input of the model's element type and the given
// shape, fed through Feeds at every run of a program that uses it.
func (m *Model) Input(name string, shape ...int) (*gorgonia.Node, error) {
	return m.newInput(name, m.dtype, shape)
}

// IndexInput declares a named input of integer ids (tensor.Int), such as
// token ids for an Embedding or class targets for CrossEntropy.
func (m *Model) IndexInput(name string, shape ...int) (*gorgonia.Node, error) {
	return m.newInput(name, tensor.Int, shape)
}

func (m *Model) newInput(name string, dt tensor.Dtype, shape tensor.Shape) (*gorgonia.Node, error) {
	if name == "" {
		return nil, errors.New("graph: input with an empty name")
	}
	if _, dup := m.inputs[name]; dup {
		return nil, errors.Errorf("graph: input %q already exists", name)
	}
	if _, dup := m.byName[name]; dup {
		return nil, errors.Errorf("graph: input %q has the name of a parameter", name)
	}
	if err := checkShape(shape); err != nil {
		return nil, errors.Wrapf(err, "graph: input %q", name)
	}
	n := gorgonia.NewTensor(m.g, dt, len(shape), gorgonia.WithShape(shape.Clone()...), gorgonia.WithName(name))
	m.inputs[name] = n
	return n, nil
}

// InputNode returns the node of the named input.
func (m *Model) InputNode(name string) (*gorgonia.Node, bool) {
	n, ok := m.inputs[name]
	return n, ok
}

// Const returns a node holding a fixed copy of t (a mask, a positional table):
// it is part of the graph but is neither trained nor fed. Gorgonia's own
// NewConstant(tensor) has no graph, so a broadcast over it fails to build
// (TestTrapConstantAsBroadcastOperand).
func (m *Model) Const(name string, t *tensor.Dense) *gorgonia.Node {
	c := t.Clone().(*tensor.Dense)
	return gorgonia.NewTensor(m.g, c.Dtype(), c.Dims(), gorgonia.WithShape(c.Shape().Clone()...),
		gorgonia.WithName(name), gorgonia.WithValue(c))
}

// ConstOf is Const of the tensor fill returns, of element type dt and shape
// shape: on a shape model (NewShapeModel) fill is not called and the node
// has no value, so a large table costs nothing when memory is estimated.
func (m *Model) ConstOf(name string, dt tensor.Dtype, shape tensor.Shape, fill func() *tensor.Dense) *gorgonia.Node {
	if m.shapeOnly {
		return gorgonia.NewTensor(m.g, dt, len(shape), gorgonia.WithShape(shape.Clone()...), gorgonia.WithName(name))
	}
	return m.Const(name, fill())
}

// LimitIndices declares that the integer input ids must hold values in
// [0, limit): every program that feeds it checks the values first and returns
// an error naming the input, the position and the value, instead of letting a
// gather read out of bounds. Layers that look ids up (Embedding) call it.
// Nodes that are not inputs declared with IndexInput are left alone, and the
// tightest limit wins.
func (m *Model) LimitIndices(ids *gorgonia.Node, limit int) {
	for _, n := range m.inputs {
		if n == ids {
			if old, ok := m.indexLimits[n]; !ok || limit < old {
				m.indexLimits[n] = limit
			}
			return
		}
	}
}

// checkIndices checks fed ids against the limit declared with LimitIndices.
func (m *Model) checkIndices(name string, n *gorgonia.Node, v tensor.Tensor) error {
	limit, ok := m.indexLimits[n]
	if !ok {
		return nil
	}
	ids, ok := v.Data().([]int)
	if !ok {
		return nil
	}
	for i, id := range ids {
		if id < 0 || id >= limit {
			return errors.Errorf("graph: input %q: value %d at flat position %d is outside [0, %d)", name, id, i, limit)
		}
	}
	return nil
}

// let binds the fed values to the program's inputs, checking names, shapes
// and element types first so that a mismatch is an error naming the input.
func (p *Program) let(feeds Feeds) error {
	for name := range feeds {
		if _, ok := p.inputs[name]; !ok {
			return errors.Errorf("graph: fed %q, which is not an input of this program (inputs: %v)", name, p.inputNames())
		}
	}
	for name, n := range p.inputs {
		v, ok := feeds[name]
		if !ok {
			return errors.Errorf("graph: input %q not fed", name)
		}
		if !v.Shape().Eq(n.Shape()) {
			return errors.Errorf("graph: input %q fed shape %v, want %v", name, v.Shape(), n.Shape())
		}
		if v.Dtype() != n.Dtype() {
			return errors.Errorf("graph: input %q fed %v, want %v", name, v.Dtype(), n.Dtype())
		}
		if err := p.model.checkIndices(name, n, v); err != nil {
			return err
		}
		if err := gorgonia.Let(n, v); err != nil {
			return errors.Wrapf(err, "graph: feeding input %q", name)
		}
	}
	return nil
}
