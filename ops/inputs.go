package ops

// Access to the values an op is run on, and checks of the nodes it is
// applied to.

import (
	"fmt"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// checkFloatNode checks at graph-building time that x is a non-scalar tensor
// node of Float32 or Float64; fn names the caller in the error.
func checkFloatNode(fn string, x *gorgonia.Node) error {
	if x == nil {
		return errors.Errorf("ops: %s: nil input node", fn)
	}
	if x.Shape().Dims() == 0 {
		return errors.Errorf("ops: %s: input %q is a scalar; give it shape (1)", fn, x.Name())
	}
	if dt := x.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return errors.Errorf("ops: %s: input %q is %v, want float32 or float64", fn, x.Name(), dt)
	}
	return nil
}

// denseInput returns input i as a *tensor.Dense whose backing array holds its
// elements in row-major order, copying views (slices, transposes) first.
func denseInput(op fmt.Stringer, values []gorgonia.Value, i int) (*tensor.Dense, error) {
	d, ok := values[i].(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("%v: input %d is a %T, want a tensor", op, i, values[i])
	}
	if d.IsMaterializable() {
		var ok bool
		if d, ok = d.Materialize().(*tensor.Dense); !ok {
			return nil, errors.Errorf("%v: input %d could not be made contiguous", op, i)
		}
	}
	if d.DataSize() != d.Shape().TotalSize() {
		return nil, errors.Errorf("%v: input %d holds %d elements for shape %v", op, i, d.DataSize(), d.Shape())
	}
	return d, nil
}

// floatInput is denseInput for inputs of Float32 or Float64.
func floatInput(op fmt.Stringer, values []gorgonia.Value, i int) (*tensor.Dense, error) {
	d, err := denseInput(op, values, i)
	if err != nil {
		return nil, err
	}
	if dt := d.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, errors.Errorf("%v: input %d is %v, want float32 or float64", op, i, dt)
	}
	return d, nil
}

// twoFloatInputs returns inputs 0 and 1 as contiguous float tensors of one dtype.
func twoFloatInputs(op fmt.Stringer, values []gorgonia.Value) (a, b *tensor.Dense, err error) {
	if a, err = floatInput(op, values, 0); err != nil {
		return nil, nil, err
	}
	if b, err = floatInput(op, values, 1); err != nil {
		return nil, nil, err
	}
	if a.Dtype() != b.Dtype() {
		return nil, nil, errors.Errorf("%v: inputs are %v and %v", op, a.Dtype(), b.Dtype())
	}
	return a, b, nil
}

// sameAs checks that input d has the dtype and shape of the reference input.
func sameAs(op fmt.Stringer, d, ref *tensor.Dense, what string) error {
	if d.Dtype() != ref.Dtype() || !d.Shape().Eq(ref.Shape()) {
		return errors.Errorf("%v: %s is %v %v, want %v %v", op, what, d.Dtype(), d.Shape(), ref.Dtype(), ref.Shape())
	}
	return nil
}

// gradInputs returns the two values a gradient op of an elementwise or
// row-wise op is run on (a forward value and the output gradient): float
// tensors of one dtype and shape.
func gradInputs(op fmt.Stringer, values []gorgonia.Value) (a, g *tensor.Dense, err error) {
	if a, err = floatInput(op, values, 0); err != nil {
		return nil, nil, err
	}
	if g, err = floatInput(op, values, 1); err != nil {
		return nil, nil, err
	}
	return a, g, sameAs(op, g, a, "output gradient")
}

// scalarValue returns the number held by a scalar value (a gradient of a
// scalar node comes as *gorgonia.F64, *gorgonia.F32 or a one-element tensor).
func scalarValue(op fmt.Stringer, v gorgonia.Value) (float64, error) {
	f, err := graph.Scalar(v)
	if err != nil {
		return 0, errors.Wrapf(err, "%v", op)
	}
	return f, nil
}
