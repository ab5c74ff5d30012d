package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// PaddingMask returns a node of shape [B,T] and element type dt (the model's)
// that is 1 where ids [B,T] (tensor.Int) differs from padID and 0 where it
// equals it: the key-padding mask of a batch of padded sequences
// (MaskedSoftmax), computed in the graph from the fed ids, so no mask has to
// be fed. It is not differentiable (ids are integers).
func PaddingMask(ids *gorgonia.Node, padID int, dt tensor.Dtype) (*gorgonia.Node, error) {
	if ids == nil || ids.Dtype() != tensor.Int || ids.Shape().Dims() != 2 {
		desc := "nil"
		if ids != nil {
			desc = fmt.Sprintf("%v of shape %v", ids.Dtype(), ids.Shape())
		}
		return nil, errors.Errorf("ops: PaddingMask: ids must be tensor.Int of shape [B,T], got %s", desc)
	}
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, errors.Errorf("ops: PaddingMask: element type must be Float32 or Float64, got %v", dt)
	}
	n, err := apply(paddingMaskOp{pad: padID, dt: dt}, ids)
	return n, errors.Wrap(err, "ops: PaddingMask")
}

// paddingMaskOp is the op of PaddingMask.
type paddingMaskOp struct {
	pad int
	dt  tensor.Dtype // Float32 or Float64
}

func (op paddingMaskOp) String() string {
	return fmt.Sprintf("PaddingMask{pad=%d, dt=%v}", op.pad, op.dt)
}
func (op paddingMaskOp) spec() spec {
	return spec{types: []hm.Type{gorgonia.TensorType{Dims: 2, Of: tensor.Int}, gorgonia.TensorType{Dims: 2, Of: op.dt}},
		params: []uint64{uint64(op.pad), boolParam(op.dt == tensor.Float32)}}
}
func (op paddingMaskOp) shape(in []tensor.Shape) (tensor.Shape, error) { return in[0], nil }

func (op paddingMaskOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	ids, err := denseInput(op, values, 0)
	if err != nil {
		return nil, err
	}
	if ids.Dtype() != tensor.Int {
		return nil, errors.Errorf("%v: ids are %v, want tensor.Int", op, ids.Dtype())
	}
	m, err := out.buffer(op.dt, ids.Shape())
	if err != nil {
		return nil, err
	}
	if op.dt == tensor.Float32 {
		paddingMask(m.Float32s(), ids.Ints(), op.pad)
	} else {
		paddingMask(m.Float64s(), ids.Ints(), op.pad)
	}
	return m, nil
}

// paddingMask sets m[i] to 1 where ids[i] is not pad and to 0 where it is.
func paddingMask[T opFloat](m []T, ids []int, pad int) {
	for i, id := range ids {
		if id != pad {
			m[i] = 1
		} else {
			m[i] = 0
		}
	}
}

// diffWRT: none; the mask is constant (its ids are integers). It is still a
// gorgonia.SDOp, as gorgonia's gradient analysis requires of every op on the
// path from the parameters to a loss (the mask feeds attention weights).
func (op paddingMaskOp) diffWRT() []bool { return []bool{false} }

// symDiff returns no gradient; gorgonia does not call it (diffWRT is false).
func (op paddingMaskOp) symDiff(inputs gorgonia.Nodes, _, _ *gorgonia.Node) (gorgonia.Nodes, error) {
	return make(gorgonia.Nodes, len(inputs)), nil
}
