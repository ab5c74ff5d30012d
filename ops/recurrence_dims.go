package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// recDims holds everything a recurrence's ops need to know: the cell, the
// sizes, the optional inputs and the direction and layout.
type recDims struct {
	cell                           RecurrentCell
	batch, steps, hidden           int
	vocab                          int // rows of Table, or 0 for XP
	bias, mask, reverse, timeMajor bool
}

func (d recDims) gates() int { return d.cell.Gates() }

// width returns G·H, the width of a row of gates.
func (d recDims) width() int { return d.gates() * d.hidden }

// saved returns the number of H-blocks of activations the forward pass
// saves per step and row for the backward pass: i, f, g, o, tanh(c') for
// an LSTM; r, z, n, hw_n for a GRU; h' for an Elman cell.
func (d recDims) saved() int {
	switch d.cell {
	case RecurrentLSTM:
		return 5
	case RecurrentGRU:
		return 4
	}
	return 1
}

// seqShape returns the shape of a sequence tensor with rows of width w.
func (d recDims) seqShape(w int) tensor.Shape {
	if d.timeMajor {
		return tensor.Shape{d.steps, d.batch, w}
	}
	return tensor.Shape{d.batch, d.steps, w}
}

// row returns the row of batch element b at step t in the sequence layout.
func (d recDims) row(b, t int) int {
	if d.timeMajor {
		return t*d.batch + b
	}
	return b*d.steps + t
}

// batchStride returns the number of rows from (b,t) to (b+1,t).
func (d recDims) batchStride() int {
	if d.timeMajor {
		return 1
	}
	return d.steps
}

// at returns the step processed i-th: i, or T−1−i with reverse.
func (d recDims) at(i int) int {
	if d.reverse {
		return d.steps - 1 - i
	}
	return i
}

// params returns the dims as hash parameters.
func (d recDims) params() []uint64 {
	return []uint64{uint64(d.cell), uint64(d.batch), uint64(d.steps), uint64(d.hidden), uint64(d.vocab),
		boolParam(d.bias), boolParam(d.mask), boolParam(d.reverse), boolParam(d.timeMajor)}
}

func (d recDims) String() string {
	s := fmt.Sprintf("%v{B=%d, T=%d, H=%d", d.cell, d.batch, d.steps, d.hidden)
	if d.vocab > 0 {
		s += fmt.Sprintf(", table of %d", d.vocab)
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{d.bias, "bias"}, {d.mask, "mask"}, {d.reverse, "reverse"}, {d.timeMajor, "time-major"}} {
		if f.on {
			s += ", " + f.name
		}
	}
	return s + "}"
}

// inputTypes returns the types of the op's inputs XP (or Table and Ids),
// W_hh, [b_hh], H0, [C0], [Mask], then of the extra ones: each of extra
// is the rank of a float tensor.
func (d recDims) inputTypes(extra ...int) []hm.Type {
	ranks := []int{3}
	if d.vocab > 0 {
		ranks[0] = 2
	}
	ranks = append(ranks, 2)
	if d.bias {
		ranks = append(ranks, 1)
	}
	ranks = append(ranks, 2)
	if d.cell == RecurrentLSTM {
		ranks = append(ranks, 2)
	}
	if d.mask {
		ranks = append(ranks, 2)
	}
	ts := tensorTypes(append(ranks, extra...)...)
	if d.vocab > 0 {
		ts = append(ts[:1], append([]hm.Type{gorgonia.TensorType{Dims: 2, Of: tensor.Int}}, ts[1:]...)...)
	}
	return ts
}

// arity returns the number of inputs of the forward op.
func (d recDims) arity() int { return len(d.inputTypes()) }

// recLayout gives the offsets of the parts of the three flat buffers of a
// recurrence, with R = B·T rows in the sequence layout (recDims.row), N =
// G·H and A = recDims.saved().
//
// The forward buffer P (recForwardOp):
//
//	hp  [R,H]   the hidden state before each step
//	cp  [R,H]   the cell state before each step (LSTM)
//	act [R,A·H] the saved activations of each step
//	hT  [B,H]   the final hidden state;  cT [B,H] the final cell state (LSTM)
//	z   [B,N]   scratch: h·W_hh (+ b_hh) of the current step
//
// The outputs S (recOutputOp): y [R,H], then hT [B,H] and cT [B,H] (LSTM).
//
// The gradients D (recGradOp): dxp [R,N], dW [H,N], db [N] (with b_hh), dh0
// [B,H], dc0 [B,H] (LSTM), then for a GRU the scratch dn [R,H] (the
// gradient of n's pre-activation, which enters dxp and r ⊙ · enters dW),
// and with a Table its gradient dtable [V,N] (dxp is scratch then).
type recLayout struct {
	hp, cp, act, hT, cT, z, pSize     int
	sY, sH, sC, sSize                 int
	dXP, dW, dB, dH0, dC0, dN, dTable int
	dSize                             int
}

func (d recDims) layout() recLayout {
	var l recLayout
	rows, h, n := d.batch*d.steps, d.hidden, d.width()
	lstm := d.cell == RecurrentLSTM
	next := func(off *int, size int, present bool) int {
		at := *off
		if present {
			*off += size
		}
		return at
	}
	var p int
	l.hp = next(&p, rows*h, true)
	l.cp = next(&p, rows*h, lstm)
	l.act = next(&p, rows*d.saved()*h, true)
	l.hT = next(&p, d.batch*h, true)
	l.cT = next(&p, d.batch*h, lstm)
	l.z = next(&p, d.batch*n, true)
	l.pSize = p
	var s int
	l.sY = next(&s, rows*h, true)
	l.sH = next(&s, d.batch*h, true)
	l.sC = next(&s, d.batch*h, lstm)
	l.sSize = s
	var g int
	l.dXP = next(&g, rows*n, true)
	l.dW = next(&g, h*n, true)
	l.dB = next(&g, n, d.bias)
	l.dH0 = next(&g, d.batch*h, true)
	l.dC0 = next(&g, d.batch*h, lstm)
	l.dN = next(&g, rows*h, d.cell == RecurrentGRU)
	l.dTable = next(&g, d.vocab*n, d.vocab > 0)
	l.dSize = g
	return l
}

// recValues are the inputs of a recurrence's ops as contiguous tensors; the
// optional ones are nil when absent.
type recValues struct {
	xp, table, w, b, h0, c0, mask *tensor.Dense
	ids                           []int
}

// forwardValues checks the first values (XP or Table and Ids, W_hh, [b_hh],
// H0, [C0], [Mask]) against d and returns them.
func (d recDims) forwardValues(op fmt.Stringer, values []gorgonia.Value) (recValues, error) {
	var v recValues
	n := d.arity()
	if len(values) < n {
		return v, errors.Errorf("%v: run on %d values, want at least %d", op, len(values), n)
	}
	var ts []*tensor.Dense
	for i := 0; i < n; i++ {
		if d.vocab > 0 && i == 1 {
			ids, err := denseInput(op, values, i)
			if err != nil {
				return v, err
			}
			if ids.Dtype() != tensor.Int || !ids.Shape().Eq(tensor.Shape{d.batch, d.steps}) {
				return v, errors.Errorf("%v: Ids are %v %v, want int (%d, %d)", op, ids.Dtype(), ids.Shape(), d.batch, d.steps)
			}
			v.ids = ids.Ints()
			for k, id := range v.ids {
				if id < 0 || id >= d.vocab {
					return v, errors.Errorf("%v: Ids[%d, %d] = %d is outside [0, %d)", op, k/d.steps, k%d.steps, id, d.vocab)
				}
			}
			continue
		}
		t, err := floatInput(op, values, i)
		if err != nil {
			return v, err
		}
		ts = append(ts, t)
	}
	i := 0
	take := func(present bool) *tensor.Dense {
		if !present {
			return nil
		}
		i++
		return ts[i-1]
	}
	first := take(true)
	if d.vocab > 0 {
		v.table = first
	} else {
		v.xp = first
	}
	v.w, v.b, v.h0 = take(true), take(d.bias), take(true)
	v.c0, v.mask = take(d.cell == RecurrentLSTM), take(d.mask)
	h := tensor.Shape{d.batch, d.hidden}
	for _, c := range []struct {
		what string
		t    *tensor.Dense
		want tensor.Shape
	}{
		{"XP", v.xp, d.seqShape(d.width())},
		{"Table", v.table, tensor.Shape{d.vocab, d.width()}},
		{"W_hh", v.w, tensor.Shape{d.hidden, d.width()}},
		{"b_hh", v.b, tensor.Shape{d.width()}},
		{"H0", v.h0, h},
		{"C0", v.c0, h},
		{"Mask", v.mask, tensor.Shape{d.batch, d.steps}},
	} {
		if c.t != nil && (c.t.Dtype() != first.Dtype() || !c.t.Shape().Eq(c.want)) {
			return v, errors.Errorf("%v: %s is %v %v, want %v %v", op, c.what, c.t.Dtype(), c.t.Shape(), first.Dtype(), c.want)
		}
	}
	return v, nil
}

// dtype returns the element type of the recurrence.
func (v recValues) dtype() tensor.Dtype { return v.w.Dtype() }

// flatValue returns values[i] as a 1-D float tensor of size elements and
// dtype dt.
func flatValue(op fmt.Stringer, values []gorgonia.Value, i, size int, dt tensor.Dtype, what string) (*tensor.Dense, error) {
	if i >= len(values) {
		return nil, errors.Errorf("%v: %d values, no %s", op, len(values), what)
	}
	t, err := floatInput(op, values, i)
	if err != nil {
		return nil, err
	}
	if t.Dtype() != dt || t.Shape().TotalSize() != size {
		return nil, errors.Errorf("%v: %s is %v %v, want %v (%d)", op, what, t.Dtype(), t.Shape(), dt, size)
	}
	return t, nil
}

// optElems returns the elements of d, or nil for a nil tensor.
func optElems[E opFloat](d *tensor.Dense) []E {
	if d == nil {
		return nil
	}
	return elems[E](d)
}
