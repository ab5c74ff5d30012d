package ops

import (
	"fmt"
	"slices"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// RecurrentCell selects the cell a Recurrence runs. The gate blocks of its
// weights follow PyTorch's order (and gorgonet's layers.*Cell).
type RecurrentCell int

// The cells of Recurrence.
const (
	// RecurrentTanh is the Elman cell h' = tanh(a) (Elman 1990, "Finding
	// Structure in Time"), G = 1.
	RecurrentTanh RecurrentCell = iota
	// RecurrentReLU is the Elman cell h' = max(a, 0), G = 1.
	RecurrentReLU
	// RecurrentLSTM is the LSTM cell (Hochreiter & Schmidhuber 1997, "Long
	// Short-Term Memory", with the forget gate of Gers et al. 2000), G = 4
	// blocks i, f, g, o:
	//
	//	i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = tanh(a_g)
	//	c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c')
	RecurrentLSTM
	// RecurrentGRU is the gated recurrent unit (Cho et al. 2014, "Learning
	// Phrase Representations using RNN Encoder–Decoder for Statistical
	// Machine Translation") with PyTorch's equations, G = 3 blocks r, z, n:
	//
	//	r = σ(xp_r + hw_r);  z = σ(xp_z + hw_z)
	//	n = tanh(xp_n + r ⊙ hw_n);  h' = n + z ⊙ (h − n)
	//
	// with hw = h·W_hh + b_hh, so that b_hn stays inside r ⊙ (·).
	RecurrentGRU
)

// String returns "Tanh", "ReLU", "LSTM" or "GRU".
func (c RecurrentCell) String() string {
	switch c {
	case RecurrentTanh:
		return "Tanh"
	case RecurrentReLU:
		return "ReLU"
	case RecurrentLSTM:
		return "LSTM"
	case RecurrentGRU:
		return "GRU"
	}
	return fmt.Sprintf("RecurrentCell(%d)", int(c))
}

// Gates returns the number of gate blocks G of the cell: 4 (LSTM), 3 (GRU)
// or 1 (Elman), or 0 for an unknown cell.
func (c RecurrentCell) Gates() int {
	switch c {
	case RecurrentTanh, RecurrentReLU:
		return 1
	case RecurrentLSTM:
		return 4
	case RecurrentGRU:
		return 3
	}
	return 0
}

// RecurrenceInputs are the inputs of Recurrence, for a batch of B sequences
// of T steps, hidden size H and G gate blocks (RecurrentCell.Gates).
type RecurrenceInputs struct {
	// XP holds the input part of every step's gates, x_t·W_ih plus the
	// biases that add to it: [B,T,G·H] (or [T,B,G·H] with TimeMajor).
	XP *gorgonia.Node
	// Table and Ids give the input part instead of XP when the inputs are
	// token ids: XP[b,t] = Table[Ids[b,t]], with Table [V,G·H] (the
	// embedding table projected once: E·W_ih + biases) and Ids a tensor.Int
	// node [B,T] in either layout. The gradient goes to Table; an id
	// outside [0,V) is an error when the program runs.
	Table, Ids *gorgonia.Node
	// WHH is the recurrent weight W_hh [H,G·H] (gorgonet's [in,out] layout:
	// h·W_hh).
	WHH *gorgonia.Node
	// BHH, optional, is the recurrent bias b_hh [G·H], added to h·W_hh at
	// every step. Only the GRU needs it (its n block is multiplied by r);
	// other cells can fold it into XP.
	BHH *gorgonia.Node
	// H0 is the initial hidden state [B,H].
	H0 *gorgonia.Node
	// C0 is the initial cell state [B,H] of an LSTM; nil for other cells.
	C0 *gorgonia.Node
	// Mask, optional, is [B,T] of 1 at real steps and 0 at padding: the
	// state after step t is h + m_t ⊙ (h' − h) (likewise c), so a 0 keeps
	// the state, as layers.RNN's masked runs do.
	Mask *gorgonia.Node
	// Reverse runs the recurrence from step T−1 down to 0 (the backward
	// direction of a bidirectional RNN).
	Reverse bool
	// TimeMajor lays XP and the output Y out [T,B,·] instead of [B,T,·].
	TimeMajor bool
}

// RecurrenceOutputs are the results of Recurrence.
type RecurrenceOutputs struct {
	Y *gorgonia.Node // [B,T,H] (or [T,B,H]): the state h after every step
	H *gorgonia.Node // [B,H]: the final hidden state (after step T−1, or step 0 with Reverse)
	C *gorgonia.Node // [B,H]: the final cell state of an LSTM; nil otherwise
}

// Recurrence runs a recurrent cell over T steps as one fused operation with
// a hand-written backpropagation through time (Werbos 1990,
// "Backpropagation Through Time: What It Does and How to Do It"), in place
// of T unrolled copies of the cell's graph (~14 nodes per LSTM
// step, each with its own buffers and gradient nodes). Per step the forward
// pass computes h_{t−1}·W_hh (+ b_hh) with one matrix product [B,H]×[H,G·H]
// through the build's BLAS, adds XP's step and applies the cell's equations
// (RecurrentCell); the rows of the batch, independent of each other, are
// split between goroutines, each running all T steps for its rows with no
// synchronisation between steps. The backward pass runs the steps in reverse,
// one product dgates_t·W_hhᵀ per step, and computes dW_hh = Σ_t
// h_{t−1}ᵀ·dgates_t as one product over all B·T rows at the end.
//
// Inside, three operations work together: the forward operation saves the
// states before every step and the gate activations (not differentiable,
// so Gorgonia never builds a gradient of that buffer), an output operation
// copies the results Y, H and C out of it, and the output operation's
// gradient runs the backward pass once for all of them and returns the
// gradients of XP (or Table), W_hh, b_hh, H0 and C0 packed in one buffer,
// cut apart with Narrow. H0 (and C0) are required: pass zeros for a zero
// state.
func Recurrence(cell RecurrentCell, in RecurrenceInputs) (RecurrenceOutputs, error) {
	var out RecurrenceOutputs
	d, children, err := recurrenceDims(cell, in)
	if err != nil {
		return out, err
	}
	packed, err := apply(recForwardOp{d: d}, children...)
	if err != nil {
		return out, errors.Wrapf(err, "ops: %v", recForwardOp{d: d})
	}
	op := recOutputOp{d: d}
	s, err := apply(op, append(slices.Clip(children), packed)...)
	if err != nil {
		return out, errors.Wrapf(err, "ops: %v", op)
	}
	l := d.layout()
	if out.Y, err = flatPart(s, l.sY, d.seqShape(d.hidden)); err != nil {
		return out, errors.Wrapf(err, "ops: %v: output Y", op)
	}
	if out.H, err = flatPart(s, l.sH, tensor.Shape{d.batch, d.hidden}); err != nil {
		return out, errors.Wrapf(err, "ops: %v: final H", op)
	}
	if d.cell == RecurrentLSTM {
		if out.C, err = flatPart(s, l.sC, tensor.Shape{d.batch, d.hidden}); err != nil {
			return out, errors.Wrapf(err, "ops: %v: final C", op)
		}
	}
	return out, nil
}

// recurrenceDims checks the inputs of Recurrence and returns their sizes and
// the op's children in order: XP (or Table, Ids), W_hh, [b_hh], H0, [C0],
// [Mask].
func recurrenceDims(cell RecurrentCell, in RecurrenceInputs) (recDims, []*gorgonia.Node, error) {
	name := "Recurrence(" + cell.String() + ")"
	g := cell.Gates()
	if g == 0 {
		return recDims{}, nil, errors.Errorf("ops: Recurrence: unknown cell %v", cell)
	}
	first := in.XP
	if in.XP == nil {
		first = in.Table
	}
	if first == nil || in.WHH == nil || in.H0 == nil || (in.XP != nil) == (in.Table != nil) || (in.Table != nil) != (in.Ids != nil) {
		return recDims{}, nil, errors.Errorf("ops: %s: want XP or else Table and Ids, and WHH and H0; got XP %s, Table %s, Ids %s, WHH %s, H0 %s",
			name, describe(in.XP), describe(in.Table), describe(in.Ids), describe(in.WHH), describe(in.H0))
	}
	for _, n := range []*gorgonia.Node{first, in.WHH, in.H0} {
		if err := checkFloatNode(name, n); err != nil {
			return recDims{}, nil, err
		}
	}
	xs, ws := first.Shape(), in.WHH.Shape()
	d := recDims{cell: cell, reverse: in.Reverse, timeMajor: in.TimeMajor, bias: in.BHH != nil, mask: in.Mask != nil}
	children := []*gorgonia.Node{first}
	if in.XP != nil {
		if xs.Dims() != 3 || ws.Dims() != 2 || ws[1] != g*ws[0] || xs[2] != ws[1] {
			return recDims{}, nil, errors.Errorf("ops: %s: XP %v and WHH %v do not fit: want XP [B,T,%d·H] and WHH [H,%d·H]", name, xs, ws, g, g)
		}
		d.batch, d.steps = xs[0], xs[1]
		if in.TimeMajor {
			d.batch, d.steps = xs[1], xs[0]
		}
	} else {
		is := in.Ids.Shape()
		if xs.Dims() != 2 || ws.Dims() != 2 || ws[1] != g*ws[0] || xs[1] != ws[1] || in.Ids.Dtype() != tensor.Int || is.Dims() != 2 {
			return recDims{}, nil, errors.Errorf("ops: %s: Table %v, Ids %v %v and WHH %v do not fit: want Table [V,%d·H], Ids int [B,T] and WHH [H,%d·H]",
				name, xs, in.Ids.Dtype(), is, ws, g, g)
		}
		d.vocab, d.batch, d.steps = xs[0], is[0], is[1]
		children = append(children, in.Ids)
	}
	d.hidden = ws[0]
	dt := first.Dtype()
	checks := []struct {
		what string
		n    *gorgonia.Node
		s    tensor.Shape
	}{
		{"WHH", in.WHH, ws},
		{"BHH", in.BHH, tensor.Shape{g * d.hidden}},
		{"H0", in.H0, tensor.Shape{d.batch, d.hidden}},
		{"C0", in.C0, tensor.Shape{d.batch, d.hidden}},
		{"Mask", in.Mask, tensor.Shape{d.batch, d.steps}},
	}
	for _, c := range checks {
		if c.n == nil {
			continue
		}
		if err := checkFloatNode(name, c.n); err != nil {
			return recDims{}, nil, err
		}
		if c.n.Dtype() != dt || !c.n.Shape().Eq(c.s) || c.n.Graph() != first.Graph() {
			return recDims{}, nil, errors.Errorf("ops: %s: %s is %v %v, want %v %v in the graph of the inputs", name, c.what, c.n.Dtype(), c.n.Shape(), dt, c.s)
		}
		children = append(children, c.n)
	}
	if (in.C0 != nil) != (cell == RecurrentLSTM) {
		return recDims{}, nil, errors.Errorf("ops: %s: C0 is %s: an LSTM needs C0 [B,H], other cells take none", name, describe(in.C0))
	}
	if in.Ids != nil && in.Ids.Graph() != first.Graph() {
		return recDims{}, nil, errors.Errorf("ops: %s: Ids are not in the graph of the inputs", name)
	}
	return d, children, nil
}

// describe returns "dtype shape" of n, or "nil".
func describe(n *gorgonia.Node) string {
	if n == nil {
		return "nil"
	}
	return fmt.Sprintf("%v %v", n.Dtype(), n.Shape())
}

// flatPart returns elements [off, off+shape.TotalSize()) of the 1-D node x
// reshaped to shape.
func flatPart(x *gorgonia.Node, off int, shape tensor.Shape) (*gorgonia.Node, error) {
	y, err := Narrow(x, 0, off, shape.TotalSize())
	if err != nil {
		return nil, err
	}
	return gorgonia.Reshape(y, shape.Clone())
}
