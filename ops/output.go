package ops

import (
	"fmt"
	"slices"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// output is where a kernel writes its result: the tape machine's register
// buffer prealloc (UsePreallocDo) or, when prealloc is nil, a new tensor (Do).
type output struct {
	op       fmt.Stringer // the op, named in errors
	prealloc gorgonia.Value
}

// buffer returns the buffer for a result of dtype dt and the given shape
// (outputFor). A reused buffer holds old values: the kernel must write every
// element.
func (o output) buffer(dt tensor.Dtype, shape tensor.Shape) (*tensor.Dense, error) {
	return outputFor(o.op, o.prealloc, dt, shape)
}

// unary returns the first input x of an op whose result has x's dtype and
// shape (a float tensor), and the buffer for that result.
func (o output) unary(values []gorgonia.Value) (y, x *tensor.Dense, err error) {
	if x, err = floatInput(o.op, values, 0); err != nil {
		return nil, nil, err
	}
	y, err = o.buffer(x.Dtype(), x.Shape())
	return y, x, err
}

// gradient returns the two inputs of the gradient op of an elementwise or
// row-wise op, a forward value a and the output gradient g (gradInputs), and
// the buffer for a result of their dtype and shape.
func (o output) gradient(values []gorgonia.Value) (dx, a, g *tensor.Dense, err error) {
	if a, g, err = gradInputs(o.op, values); err != nil {
		return nil, nil, nil, err
	}
	dx, err = o.buffer(a.Dtype(), a.Shape())
	return dx, a, g, err
}

// newOutput allocates an op's result.
func newOutput(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	return tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
}

// reuseOutput returns prealloc as the buffer for an op's result if it is a
// tensor of dtype and size that owns its contiguous memory, reshaped to shape
// if needed (a register of the tape machine holds values of different shapes
// in turn: [B,T,D], [B·T,D], [B,T,H,d]). Otherwise it returns an error, on
// which Gorgonia's tape machine falls back to Do.
func reuseOutput(op fmt.Stringer, prealloc gorgonia.Value, dt tensor.Dtype, shape tensor.Shape) (*tensor.Dense, error) {
	d, ok := prealloc.(*tensor.Dense)
	if !ok || d.Dtype() != dt || d.IsMaterializable() || d.DataSize() != shape.TotalSize() || d.Shape().TotalSize() != shape.TotalSize() {
		return nil, errors.Errorf("%v: preallocated %T cannot hold a %v %v result", op, prealloc, dt, shape)
	}
	// Not Shape.Eq, which takes (1,N) and (N,1) for (N): the op would read
	// the buffer's shape, and the tape machine get a value of another rank.
	if !slices.Equal(d.Shape(), shape) {
		if err := d.Reshape(shape...); err != nil {
			return nil, errors.Wrapf(err, "%v: reshaping the preallocated buffer", op)
		}
	}
	return d, nil
}

// outputFor returns the buffer for an op's result: a new tensor when
// prealloc is nil (Do), else prealloc checked by reuseOutput (UsePreallocDo).
func outputFor(op fmt.Stringer, prealloc gorgonia.Value, dt tensor.Dtype, shape tensor.Shape) (*tensor.Dense, error) {
	if prealloc == nil {
		return newOutput(dt, shape), nil
	}
	return reuseOutput(op, prealloc, dt, shape)
}

// scalarOf wraps a float64 result as a gorgonia scalar value of dtype dt.
func scalarOf(dt tensor.Dtype, v float64) gorgonia.Value {
	if dt == tensor.Float32 {
		return gorgonia.NewF32(float32(v))
	}
	return gorgonia.NewF64(v)
}
