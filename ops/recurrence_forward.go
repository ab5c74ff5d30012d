package ops

import (
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// recForwardOp runs the recurrence and returns the flat buffer P (see
// recLayout). It is not differentiable: recOutputOp reads P and carries the
// gradient.
type recForwardOp struct {
	d recDims
}

func (op recForwardOp) String() string { return "Recurrence" + op.d.String() }
func (op recForwardOp) spec() spec     { return spec{types: op.d.inputTypes(1), params: op.d.params()} }
func (op recForwardOp) shape([]tensor.Shape) (tensor.Shape, error) {
	return tensor.Shape{op.d.layout().pSize}, nil
}

// diffWRT: none of the inputs; gorgonia still sees an op with a gradient
// (a gorgonia.SDOp), whose gradient recOutputOp carries.
func (op recForwardOp) diffWRT() []bool { return make([]bool, op.d.arity()) }
func (op recForwardOp) symDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, errors.Errorf("%v: the saved buffer has no gradient (the recurrence's output operation carries it)", op)
}

func (op recForwardOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	v, err := op.d.forwardValues(op, values)
	if err != nil {
		return nil, err
	}
	p, err := out.buffer(v.dtype(), tensor.Shape{op.d.layout().pSize})
	if err != nil {
		return nil, err
	}
	if p.Dtype() == tensor.Float32 {
		recForward(op.d, recSlices[float32](v), elems[float32](p), recKernels32(blas32.Implementation().Sgemm))
	} else {
		recForward(op.d, recSlices[float64](v), elems[float64](p), recKernels64(blas64.Implementation().Dgemm))
	}
	return p, nil
}
