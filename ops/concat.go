package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Concat joins xs along axis, like torch.cat: the inputs have one rank and
// agree on every dimension but axis, and the result's size along axis is the
// sum of theirs. A negative axis counts from the last. The gradient of each
// input is the matching part of the output gradient, cut with Narrow.
//
// Use it instead of gorgonia.Concat wherever the parts can sit 256 or more
// positions apart (time steps of a long sequence, the two directions of a
// bidirectional RNN with 256 hidden units): gorgonia's Concat differentiates
// into Slices, and gorgonia v0.9.18 merges slices of one node whose bounds
// agree modulo 256, which silently corrupts the gradient (TestTrapSliceMergesAt256 in
// traps_test.go pins the merge; TestConcatGradient checks Concat's gradient).
func Concat(axis int, xs ...*gorgonia.Node) (*gorgonia.Node, error) {
	if len(xs) == 0 {
		return nil, errors.New("ops: Concat: no inputs")
	}
	for _, x := range xs {
		if err := checkFloatNode("Concat", x); err != nil {
			return nil, err
		}
	}
	first := xs[0].Shape()
	if axis < -len(first) || axis >= len(first) {
		return nil, errors.Errorf("ops: Concat: axis %d out of range for %q of shape %v", axis, xs[0].Name(), first)
	}
	if axis < 0 {
		axis += len(first)
	}
	op := concatOp{axis: axis, sizes: make([]int, len(xs))}
	for i, x := range xs {
		if x.Dtype() != xs[0].Dtype() || x.Graph() != xs[0].Graph() {
			return nil, errors.Errorf("ops: Concat: input %d %q (%v) does not match input 0 %q (%v) in dtype or graph",
				i, x.Name(), x.Dtype(), xs[0].Name(), xs[0].Dtype())
		}
		if !sameExceptAxis(x.Shape(), first, axis) {
			return nil, errors.Errorf("ops: Concat: along axis %d, input %d %q of shape %v does not fit input 0 %q of shape %v",
				axis, i, x.Name(), x.Shape(), xs[0].Name(), first)
		}
		op.sizes[i] = x.Shape()[axis]
	}
	if len(xs) == 1 {
		return xs[0], nil
	}
	y, err := apply(op, xs...)
	return y, errors.Wrapf(err, "ops: %v", op)
}

// sameExceptAxis reports whether a and b have one rank and agree on every
// dimension but axis.
func sameExceptAxis(a, b tensor.Shape, axis int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if i != axis && a[i] != b[i] {
			return false
		}
	}
	return true
}

// concatOp joins its inputs, of sizes sizes along axis.
type concatOp struct {
	axis  int
	sizes []int
}

func (op concatOp) String() string {
	return fmt.Sprintf("Concat{axis=%d, sizes=%v}", op.axis, op.sizes)
}

// spec: a → … → a, one a for each input and the result.
func (op concatOp) spec() spec {
	s := spec{types: make([]hm.Type, len(op.sizes)+1), params: []uint64{uint64(op.axis)}}
	for i := range s.types {
		s.types[i] = hm.TypeVariable('a')
	}
	for _, n := range op.sizes {
		s.params = append(s.params, uint64(n))
	}
	return s
}

// shape returns the shape of the result for the input shapes.
func (op concatOp) shape(in []tensor.Shape) (tensor.Shape, error) {
	out := in[0].Clone()
	out[op.axis] = 0
	for i, s := range in {
		if op.axis >= len(s) || s[op.axis] != op.sizes[i] || !sameExceptAxis(s, in[0], op.axis) {
			return nil, errors.Errorf("%v: input %d of shape %v does not fit input 0 of shape %v", op, i, s, in[0])
		}
		out[op.axis] += s[op.axis]
	}
	return out, nil
}

func (op concatOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	xs := make([]*tensor.Dense, len(values))
	shapes := make([]tensor.Shape, len(values))
	for i := range values {
		x, err := floatInput(op, values, i)
		if err != nil {
			return nil, err
		}
		if i > 0 && x.Dtype() != xs[0].Dtype() {
			return nil, errors.Errorf("%v: input %d is %v, input 0 is %v", op, i, x.Dtype(), xs[0].Dtype())
		}
		xs[i], shapes[i] = x, x.Shape()
	}
	shape, err := op.shape(shapes)
	if err != nil {
		return nil, err
	}
	y, err := out.buffer(xs[0].Dtype(), shape)
	if err != nil {
		return nil, err
	}
	inner := 1
	for _, d := range shape[op.axis+1:] {
		inner *= d
	}
	if y.Dtype() == tensor.Float32 {
		concatBlocks(elems[float32](y), xs, op.sizes, inner, elems[float32])
	} else {
		concatBlocks(elems[float64](y), xs, op.sizes, inner, elems[float64])
	}
	return y, nil
}

// concatBlocks fills out with the inputs' blocks: for every position of the
// axes before the concatenation axis, sizes[i]·inner elements of input i in turn.
func concatBlocks[T opFloat](out []T, xs []*tensor.Dense, sizes []int, inner int, get func(*tensor.Dense) []T) {
	pos := 0
	for o := 0; pos < len(out); o++ {
		for i, x := range xs {
			n := sizes[i] * inner
			copy(out[pos:pos+n], get(x)[o*n:(o+1)*n])
			pos += n
		}
	}
}

func (op concatOp) diffWRT() []bool { return allInputs(len(op.sizes)) }

// symDiff returns the gradients of the inputs: the parts of the output
// gradient along axis, cut with Narrow.
func (op concatOp) symDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	grads := make(gorgonia.Nodes, len(inputs))
	start := 0
	for i, n := range op.sizes {
		g, err := Narrow(grad, op.axis, start, n)
		if err != nil {
			return nil, errors.Wrapf(err, "%v gradient of input %d", op, i)
		}
		grads[i] = g
		start += n
	}
	return grads, nil
}
