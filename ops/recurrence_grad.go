package ops

import (
	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// recGradOp runs the backward pass of a recurrence from W_hh, [the mask], the
// forward buffer P and the gradient of the outputs S, and returns the flat
// gradients D (see recLayout).
type recGradOp struct {
	d recDims
}

func (op recGradOp) String() string { return "RecurrenceGrad" + op.d.String() }

// spec: the inputs W_hh, [Ids], [Mask], P and the output gradient; the
// result D.
func (op recGradOp) spec() spec {
	ranks := []int{2}
	if op.d.mask {
		ranks = append(ranks, 2)
	}
	ts := tensorTypes(append(ranks, 1, 1, 1)...)
	if op.d.vocab > 0 {
		ts = append(ts[:1], append([]hm.Type{gorgonia.TensorType{Dims: 2, Of: tensor.Int}}, ts[1:]...)...)
	}
	return spec{types: ts, params: op.d.params()}
}

func (op recGradOp) shape([]tensor.Shape) (tensor.Shape, error) {
	return tensor.Shape{op.d.layout().dSize}, nil
}

func (op recGradOp) compute(o output, values []gorgonia.Value) (gorgonia.Value, error) {
	d := op.d
	l := d.layout()
	w, err := floatInput(op, values, 0)
	if err != nil {
		return nil, err
	}
	dt := w.Dtype()
	if !w.Shape().Eq(tensor.Shape{d.hidden, d.width()}) {
		return nil, errors.Errorf("%v: W_hh is %v, want %v", op, w.Shape(), tensor.Shape{d.hidden, d.width()})
	}
	var mask *tensor.Dense
	var ids []int
	i := 1
	if d.vocab > 0 {
		t, err := denseInput(op, values, 1)
		if err != nil {
			return nil, err
		}
		if t.Dtype() != tensor.Int || t.Shape().TotalSize() != d.batch*d.steps {
			return nil, errors.Errorf("%v: Ids are %v %v, want int (%d, %d)", op, t.Dtype(), t.Shape(), d.batch, d.steps)
		}
		ids = t.Ints()
		i++
	}
	if d.mask {
		if mask, err = flatValue(op, values, i, d.batch*d.steps, dt, "the mask"); err != nil {
			return nil, err
		}
		i++
	}
	p, err := flatValue(op, values, i, l.pSize, dt, "the forward buffer")
	if err != nil {
		return nil, err
	}
	ds, err := flatValue(op, values, i+1, l.sSize, dt, "the output gradient")
	if err != nil {
		return nil, err
	}
	out, err := o.buffer(dt, tensor.Shape{l.dSize})
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		recBackward(d, recGradSlices[float32]{w: elems[float32](w), mask: optElems[float32](mask), ids: ids,
			p: elems[float32](p), ds: elems[float32](ds), out: elems[float32](out)}, recKernels32(blas32.Implementation().Sgemm))
	} else {
		recBackward(d, recGradSlices[float64]{w: elems[float64](w), mask: optElems[float64](mask), ids: ids,
			p: elems[float64](p), ds: elems[float64](ds), out: elems[float64](out)}, recKernels64(blas64.Implementation().Dgemm))
	}
	return out, nil
}
