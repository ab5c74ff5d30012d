package ops

import (
	"slices"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// recOutputOp copies the outputs S = [y | hT | cT] out of the forward
// buffer P, its last input; its other inputs are the recurrence's, so that
// its gradient is theirs.
type recOutputOp struct {
	d recDims
}

func (op recOutputOp) String() string { return "RecurrenceOutput" + op.d.String() }
func (op recOutputOp) spec() spec     { return spec{types: op.d.inputTypes(1, 1), params: op.d.params()} }
func (op recOutputOp) shape([]tensor.Shape) (tensor.Shape, error) {
	return tensor.Shape{op.d.layout().sSize}, nil
}

// arity: the recurrence's inputs and P.
func (op recOutputOp) arity() int { return op.d.arity() + 1 }

// diffWRT: every input but the Ids, the mask and P.
func (op recOutputOp) diffWRT() []bool {
	n := op.arity()
	diff := allInputs(n)
	for _, i := range op.notDiff(n) {
		diff[i] = false
	}
	return diff
}

// notDiff returns the positions of the Ids, the mask and P among n inputs.
func (op recOutputOp) notDiff(n int) []int {
	var not []int
	if op.d.vocab > 0 {
		not = append(not, 1)
	}
	if op.d.mask {
		not = append(not, n-2)
	}
	return append(not, n-1)
}

// symDiff runs the backward pass (recGradOp) once and cuts its result into
// the gradients of XP (or Table), W_hh, b_hh, H0 and C0; the Ids, the mask
// and P get nil.
func (op recOutputOp) symDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	n := op.arity()
	d := op.d
	gradIn := gorgonia.Nodes{inputs[1]} // W_hh
	if d.vocab > 0 {
		gradIn = gorgonia.Nodes{inputs[2], inputs[1]} // W_hh, Ids
	}
	if d.mask {
		gradIn = append(gradIn, inputs[n-2])
	}
	gradIn = append(gradIn, inputs[n-1], grad)
	packed, err := apply(recGradOp{d: d}, gradIn...)
	if err != nil {
		return nil, errors.Wrapf(err, "%v gradient", op)
	}
	l := d.layout()
	h := tensor.Shape{d.batch, d.hidden}
	first := struct {
		off   int
		shape tensor.Shape
	}{l.dXP, d.seqShape(d.width())}
	if d.vocab > 0 {
		first.off, first.shape = l.dTable, tensor.Shape{d.vocab, d.width()}
	}
	parts := []struct {
		off   int
		shape tensor.Shape
		on    bool
	}{
		{first.off, first.shape, true},
		{l.dW, tensor.Shape{d.hidden, d.width()}, true},
		{l.dB, tensor.Shape{d.width()}, d.bias},
		{l.dH0, h, true},
		{l.dC0, h, d.cell == RecurrentLSTM},
	}
	out := make(gorgonia.Nodes, n)
	not := op.notDiff(n)
	k := 0
	for _, p := range parts {
		if !p.on {
			continue
		}
		for slices.Contains(not, k) {
			k++
		}
		if out[k], err = flatPart(packed, p.off, p.shape); err != nil {
			return nil, errors.Wrapf(err, "%v gradient of input %d", op, k)
		}
		k++
	}
	return out, nil
}

func (op recOutputOp) compute(o output, values []gorgonia.Value) (gorgonia.Value, error) {
	v, err := op.d.forwardValues(op, values)
	if err != nil {
		return nil, err
	}
	l := op.d.layout()
	dt := v.dtype()
	p, err := flatValue(op, values, len(values)-1, l.pSize, dt, "the forward buffer")
	if err != nil {
		return nil, err
	}
	s, err := o.buffer(dt, tensor.Shape{l.sSize})
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		recOutputs(op.d, elems[float32](p), elems[float32](s))
	} else {
		recOutputs(op.d, elems[float64](p), elems[float64](s))
	}
	return s, nil
}
