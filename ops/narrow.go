package ops

import (
	"fmt"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Narrow returns the elements of x at positions [start, start+length) along
// axis, like torch.narrow: for x of shape [d0, …, dk, …] and axis k, the
// result has shape [d0, …, length, …]. A negative axis counts from the last
// (−1 is the last axis). The result is a copy, and its gradient scatters the
// output gradient into zeros of the shape of x.
//
// Use it instead of gorgonia.Slice to split one node into parts (LSTM gates,
// attention heads): gorgonia v0.9.18 hashes Slice's start and end as a byte,
// so slices of one node at offsets 256 apart are merged into one node
// (see traps_test.go). Narrow's hash holds every parameter at full width.
func Narrow(x *gorgonia.Node, axis, start, length int) (*gorgonia.Node, error) {
	if err := checkFloatNode("Narrow", x); err != nil {
		return nil, err
	}
	shape := x.Shape()
	if axis < -len(shape) || axis >= len(shape) {
		return nil, errors.Errorf("ops: Narrow: axis %d out of range for %q of shape %v", axis, x.Name(), shape)
	}
	if axis < 0 {
		axis += len(shape)
	}
	if start < 0 || length < 1 || start > shape[axis]-length {
		return nil, errors.Errorf("ops: Narrow: [%d, %d+%d) is not a non-empty range within axis %d (size %d) of %q of shape %v",
			start, start, length, axis, shape[axis], x.Name(), shape)
	}
	op := narrowOp{axis: axis, start: start, length: length}
	y, err := apply(op, x)
	return y, errors.Wrapf(err, "ops: %v", op)
}

// narrowOp copies positions [start, start+length) along axis.
type narrowOp struct {
	axis, start, length int
}

func (op narrowOp) spec() spec {
	return spec{types: unaryType(), params: []uint64{uint64(op.axis), uint64(op.start), uint64(op.length)}}
}

func (op narrowOp) String() string {
	return fmt.Sprintf("Narrow{axis=%d, start=%d, length=%d}", op.axis, op.start, op.length)
}

func (op narrowOp) shape(in []tensor.Shape) (tensor.Shape, error) { return op.narrowed(in[0]) }

// narrowed returns the shape of the result for input shape in.
func (op narrowOp) narrowed(in tensor.Shape) (tensor.Shape, error) {
	if op.axis >= len(in) || op.start+op.length > in[op.axis] {
		return nil, errors.Errorf("%v: input shape %v is too small", op, in)
	}
	out := in.Clone()
	out[op.axis] = op.length
	return out, nil
}

func (op narrowOp) compute(o output, values []gorgonia.Value) (gorgonia.Value, error) {
	x, err := floatInput(op, values, 0)
	if err != nil {
		return nil, err
	}
	shape, err := op.narrowed(x.Shape())
	if err != nil {
		return nil, err
	}
	out, err := o.buffer(x.Dtype(), shape)
	if err != nil {
		return nil, err
	}
	op.copy(x, out, false)
	return out, nil
}

// copy copies the narrowed positions of wide to narrow or, with scatter set,
// back from narrow to wide; wide has the input's shape.
func (op narrowOp) copy(wide, narrow *tensor.Dense, scatter bool) {
	shape := wide.Shape()
	inner := 1
	for _, d := range shape[op.axis+1:] {
		inner *= d
	}
	if wide.Dtype() == tensor.Float32 {
		narrowBlocks(elems[float32](wide), elems[float32](narrow), shape[op.axis], inner, op.start, op.length, scatter)
	} else {
		narrowBlocks(elems[float64](wide), elems[float64](narrow), shape[op.axis], inner, op.start, op.length, scatter)
	}
}

// narrowBlocks copies, in every block of dim·inner elements of wide, the
// length·inner elements from offset start·inner to the next block of narrow,
// or the other way round when scatter is set.
func narrowBlocks[T opFloat](wide, narrow []T, dim, inner, start, length int, scatter bool) {
	n := length * inner
	for o := 0; o*n < len(narrow); o++ {
		w := wide[(o*dim+start)*inner:][:n]
		s := narrow[o*n:][:n]
		if scatter {
			copy(w, s)
		} else {
			copy(s, w)
		}
	}
}

func (op narrowOp) diffWRT() []bool { return []bool{true} }

// symDiff returns the gradient with respect to x: the output gradient
// scattered into zeros of the shape of x.
func (op narrowOp) symDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(narrowDiffOp{fwd: op, in: inputs[0].Shape()}, grad)
	if err != nil {
		return nil, errors.Wrapf(err, "%v gradient", op)
	}
	return gorgonia.Nodes{dx}, nil
}

// narrowDiffOp scatters the gradient of the Narrow fwd into zeros of shape in.
type narrowDiffOp struct {
	fwd narrowOp
	in  tensor.Shape
}

func (op narrowDiffOp) spec() spec {
	return spec{types: unaryType(), params: append(op.fwd.spec().params, shapeParams(op.in)...)}
}

func (op narrowDiffOp) String() string {
	return fmt.Sprintf("NarrowGrad{axis=%d, start=%d, length=%d, shape=%v}", op.fwd.axis, op.fwd.start, op.fwd.length, op.in)
}

func (op narrowDiffOp) shape(in []tensor.Shape) (tensor.Shape, error) {
	g := in[0]
	if want, err := op.fwd.narrowed(op.in); err != nil || !g.Eq(want) {
		return nil, errors.Errorf("%v: output gradient of shape %v", op, g)
	}
	return op.in.Clone(), nil
}

func (op narrowDiffOp) compute(o output, values []gorgonia.Value) (gorgonia.Value, error) {
	g, err := floatInput(op, values, 0)
	if err != nil {
		return nil, err
	}
	if want, _ := op.fwd.narrowed(op.in); !g.Shape().Eq(want) {
		return nil, errors.Errorf("%v: output gradient of shape %v, want %v", op, g.Shape(), want)
	}
	out, err := o.buffer(g.Dtype(), op.in)
	if err != nil {
		return nil, err
	}
	out.Zero()
	op.fwd.copy(out, g, true)
	return out, nil
}
