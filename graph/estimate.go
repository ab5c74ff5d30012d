package graph

import (
	"reflect"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/pkg/errors"
)

// NewShapeModel returns a model that holds shapes only: its parameters get no
// values and no initialisation, so building a model's graph on it allocates
// nothing of the size of the model, only the graph's nodes. It serves to
// estimate the memory of a configuration (EstimateTraining,
// EstimateForward) before anything of that size is allocated. A shape model
// cannot be compiled or run.
func NewShapeModel(dtype tensor.Dtype) *Model {
	m := NewModel(dtype, 0)
	m.shapeOnly = true
	return m
}

// Memory is an estimate, in bytes, of what a compiled program holds while it
// runs. Activations counts the tape machine's registers as Gorgonia's
// compiler allocates them for the program (a register serves several
// intermediate results whose lifetimes do not overlap), each at the size of
// the largest result it holds; programs keep those buffers from run to run.
type Memory struct {
	Params      int64 // the parameters' values
	Grads       int64 // their gradients (training programs)
	Activations int64 // the intermediate results of the forward (and backward) pass
	Inputs      int64 // the values fed to the program's inputs (one batch)
}

// Total returns the sum of the parts.
func (m Memory) Total() int64 { return m.Params + m.Grads + m.Activations + m.Inputs }

// EstimateTraining returns the memory the training program of loss would
// hold, on a shape model: loss is differentiated symbolically with respect
// to every unfrozen parameter (once per graph, as Compile does), and every
// node of the forward and backward pass is counted at its shape. Optimizer
// state (moments) is the caller's to add: a multiple of Params.
func (m *Model) EstimateTraining(loss *gorgonia.Node) (Memory, error) {
	if !m.shapeOnly {
		return Memory{}, errors.New("graph: EstimateTraining needs a shape model (NewShapeModel)")
	}
	if loss == nil || !loss.IsScalar() {
		return Memory{}, errors.New("graph: EstimateTraining: the loss must be a scalar node")
	}
	var wrt gorgonia.Nodes
	var grads int64
	for _, p := range m.params {
		if !p.frozen {
			wrt = append(wrt, p.node)
			grads += nodeBytes(p.node)
		}
	}
	if len(wrt) == 0 {
		return Memory{}, errors.New("graph: EstimateTraining: no trainable parameters")
	}
	gradNodes, err := gorgonia.Grad(loss, wrt...)
	if err != nil {
		return Memory{}, errors.Wrap(err, "graph: EstimateTraining: differentiating the loss")
	}
	m.compiled = true
	mem, err := m.count(append(gorgonia.Nodes{loss}, gradNodes...))
	mem.Grads = grads
	return mem, err
}

// EstimateForward returns the memory a forward-only program of outputs would
// hold (CompileForward), on a shape model.
func (m *Model) EstimateForward(outputs ...*gorgonia.Node) (Memory, error) {
	if !m.shapeOnly {
		return Memory{}, errors.New("graph: EstimateForward needs a shape model (NewShapeModel)")
	}
	if len(outputs) == 0 {
		return Memory{}, errors.New("graph: EstimateForward: no outputs")
	}
	return m.count(outputs)
}

// count compiles the program computing roots as Compile does and sums its
// registers: parameters and inputs at their sizes, every other register at
// the size of the largest result it holds. A result whose op returns a view
// of its input (Reshape) or writes over it takes no memory of its own.
func (m *Model) count(roots gorgonia.Nodes) (Memory, error) {
	leaves := m.g.ExactSubgraphRoots(roots...).Inputs()
	_, locMap, err := gorgonia.CompileFunction(m.g, leaves, roots)
	if err != nil {
		return Memory{}, errors.Wrap(err, "graph: estimating memory: compiling the program")
	}
	params := make(map[*gorgonia.Node]bool, len(m.params))
	for _, p := range m.params {
		params[p.node] = true
	}
	inputs := make(map[*gorgonia.Node]bool, len(m.inputs))
	for _, n := range m.inputs {
		inputs[n] = true
	}
	var mem Memory
	largest := map[int64]int64{} // register → bytes
	iter := reflect.ValueOf(locMap).MapRange()
	for iter.Next() {
		n := iter.Key().Interface().(*gorgonia.Node)
		b := nodeBytes(n)
		switch op := n.Op(); {
		case params[n]:
			mem.Params += b
		case inputs[n]:
			mem.Inputs += b
		case op != nil && (op.ReturnsPtr() || op.OverwritesInput() >= 0):
		default:
			// A register is a struct whose first field is its number
			// (the field registers.go reads too).
			id := iter.Value().Field(0).Int()
			largest[id] = max(largest[id], b)
		}
	}
	for _, b := range largest {
		mem.Activations += b
	}
	return mem, nil
}

// nodeBytes returns the size of n's value: its elements times the size of
// its element type (8 bytes for integer ids).
func nodeBytes(n *gorgonia.Node) int64 {
	elems := int64(1)
	for _, d := range n.Shape() {
		elems *= int64(d)
	}
	size := int64(8)
	if dt := n.Dtype(); dt.Size() > 0 {
		size = int64(dt.Size())
	}
	return elems * size
}
