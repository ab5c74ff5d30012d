package graph

import (
	"fmt"
	"hash"
	"slices"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
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
// of T unrolled copies of the cell's graph (issue 8: ~14 nodes per LSTM
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
	packed, err := gorgonia.ApplyOp(recForwardOp{d: d}, children...)
	if err != nil {
		return out, errors.Wrapf(err, "graph: %v", recForwardOp{d: d})
	}
	op := recOutputOp{d: d}
	s, err := gorgonia.ApplyOp(op, append(slices.Clip(children), packed)...)
	if err != nil {
		return out, errors.Wrapf(err, "graph: %v", op)
	}
	l := d.layout()
	if out.Y, err = flatPart(s, l.sY, d.seqShape(d.hidden)); err != nil {
		return out, errors.Wrapf(err, "graph: %v: output Y", op)
	}
	if out.H, err = flatPart(s, l.sH, tensor.Shape{d.batch, d.hidden}); err != nil {
		return out, errors.Wrapf(err, "graph: %v: final H", op)
	}
	if d.cell == RecurrentLSTM {
		if out.C, err = flatPart(s, l.sC, tensor.Shape{d.batch, d.hidden}); err != nil {
			return out, errors.Wrapf(err, "graph: %v: final C", op)
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
		return recDims{}, nil, errors.Errorf("graph: Recurrence: unknown cell %v", cell)
	}
	first := in.XP
	if in.XP == nil {
		first = in.Table
	}
	if first == nil || in.WHH == nil || in.H0 == nil || (in.XP != nil) == (in.Table != nil) || (in.Table != nil) != (in.Ids != nil) {
		return recDims{}, nil, errors.Errorf("graph: %s: want XP or else Table and Ids, and WHH and H0; got XP %s, Table %s, Ids %s, WHH %s, H0 %s",
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
			return recDims{}, nil, errors.Errorf("graph: %s: XP %v and WHH %v do not fit: want XP [B,T,%d·H] and WHH [H,%d·H]", name, xs, ws, g, g)
		}
		d.batch, d.steps = xs[0], xs[1]
		if in.TimeMajor {
			d.batch, d.steps = xs[1], xs[0]
		}
	} else {
		is := in.Ids.Shape()
		if xs.Dims() != 2 || ws.Dims() != 2 || ws[1] != g*ws[0] || xs[1] != ws[1] || in.Ids.Dtype() != tensor.Int || is.Dims() != 2 {
			return recDims{}, nil, errors.Errorf("graph: %s: Table %v, Ids %v %v and WHH %v do not fit: want Table [V,%d·H], Ids int [B,T] and WHH [H,%d·H]",
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
			return recDims{}, nil, errors.Errorf("graph: %s: %s is %v %v, want %v %v in the graph of the inputs", name, c.what, c.n.Dtype(), c.n.Shape(), dt, c.s)
		}
		children = append(children, c.n)
	}
	if (in.C0 != nil) != (cell == RecurrentLSTM) {
		return recDims{}, nil, errors.Errorf("graph: %s: C0 is %s: an LSTM needs C0 [B,H], other cells take none", name, describe(in.C0))
	}
	if in.Ids != nil && in.Ids.Graph() != first.Graph() {
		return recDims{}, nil, errors.Errorf("graph: %s: Ids are not in the graph of the inputs", name)
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

// recForwardOp runs the recurrence and returns the flat buffer P (see
// recLayout). It is not differentiable: recOutputOp reads P and carries the
// gradient.
type recForwardOp struct {
	opTraits
	d recDims
}

func (op recForwardOp) Arity() int    { return op.d.arity() }
func (op recForwardOp) Type() hm.Type { return hm.NewFnType(op.d.inputTypes(1)...) }
func (op recForwardOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.d.layout().pSize}, nil
}
func (op recForwardOp) Hashcode() uint32      { return opHashcode(op) }
func (op recForwardOp) WriteHash(h hash.Hash) { writeOpHash(h, "RecurrenceForward", op.d.params()...) }
func (op recForwardOp) String() string        { return "Recurrence" + op.d.String() }
func (op recForwardOp) DiffWRT(n int) []bool  { return make([]bool, n) }
func (op recForwardOp) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, errors.Errorf("%v: the saved buffer has no gradient (the recurrence's output operation carries it)", op)
}

func (op recForwardOp) Do(values ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(nil, values...)
}

// UsePreallocDo computes into prealloc, or into a new tensor when prealloc is nil.
func (op recForwardOp) UsePreallocDo(prealloc gorgonia.Value, values ...gorgonia.Value) (gorgonia.Value, error) {
	if err := opInputs(op, values, op.Arity()); err != nil {
		return nil, err
	}
	v, err := op.d.forwardValues(op, values)
	if err != nil {
		return nil, err
	}
	p, err := outputFor(op, prealloc, v.dtype(), tensor.Shape{op.d.layout().pSize})
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

// recOutputOp copies the outputs S = [y | hT | cT] out of the forward
// buffer P, its last input; its other inputs are the recurrence's, so that
// its gradient is theirs.
type recOutputOp struct {
	opTraits
	d recDims
}

func (op recOutputOp) Arity() int    { return op.d.arity() + 1 }
func (op recOutputOp) Type() hm.Type { return hm.NewFnType(op.d.inputTypes(1, 1)...) }
func (op recOutputOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.d.layout().sSize}, nil
}
func (op recOutputOp) Hashcode() uint32      { return opHashcode(op) }
func (op recOutputOp) WriteHash(h hash.Hash) { writeOpHash(h, "RecurrenceOutput", op.d.params()...) }
func (op recOutputOp) String() string        { return "RecurrenceOutput" + op.d.String() }

// DiffWRT: every input but the Ids, the mask and P.
func (op recOutputOp) DiffWRT(n int) []bool {
	diff := make([]bool, n)
	for i := range diff {
		diff[i] = true
	}
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

// SymDiff runs the backward pass (recGradOp) once and cuts its result into
// the gradients of XP (or Table), W_hh, b_hh, H0 and C0; the Ids, the mask
// and P get nil.
func (op recOutputOp) SymDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	n := op.Arity()
	if len(inputs) != n {
		return nil, errors.Errorf("%v: %d inputs, want %d", op, len(inputs), n)
	}
	d := op.d
	gradIn := gorgonia.Nodes{inputs[1]} // W_hh
	if d.vocab > 0 {
		gradIn = gorgonia.Nodes{inputs[2], inputs[1]} // W_hh, Ids
	}
	if d.mask {
		gradIn = append(gradIn, inputs[n-2])
	}
	gradIn = append(gradIn, inputs[n-1], grad)
	packed, err := gorgonia.ApplyOp(recGradOp{d: d}, gradIn...)
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

func (op recOutputOp) Do(values ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(nil, values...)
}

// UsePreallocDo computes into prealloc, or into a new tensor when prealloc is nil.
func (op recOutputOp) UsePreallocDo(prealloc gorgonia.Value, values ...gorgonia.Value) (gorgonia.Value, error) {
	if err := opInputs(op, values, op.Arity()); err != nil {
		return nil, err
	}
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
	s, err := outputFor(op, prealloc, dt, tensor.Shape{l.sSize})
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

// recGradOp runs the backward pass of a recurrence from W_hh, [the mask], the
// forward buffer P and the gradient of the outputs S, and returns the flat
// gradients D (see recLayout).
type recGradOp struct {
	opTraits
	d recDims
}

// Arity: W_hh, [Ids], [Mask], P and the output gradient.
func (op recGradOp) Arity() int {
	n := 3
	if op.d.vocab > 0 {
		n++
	}
	if op.d.mask {
		n++
	}
	return n
}

func (op recGradOp) Type() hm.Type {
	ranks := []int{2}
	if op.d.mask {
		ranks = append(ranks, 2)
	}
	ts := tensorTypes(append(ranks, 1, 1, 1)...)
	if op.d.vocab > 0 {
		ts = append(ts[:1], append([]hm.Type{gorgonia.TensorType{Dims: 2, Of: tensor.Int}}, ts[1:]...)...)
	}
	return hm.NewFnType(ts...)
}
func (op recGradOp) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.d.layout().dSize}, nil
}
func (op recGradOp) Hashcode() uint32      { return opHashcode(op) }
func (op recGradOp) WriteHash(h hash.Hash) { writeOpHash(h, "RecurrenceGrad", op.d.params()...) }
func (op recGradOp) String() string        { return "RecurrenceGrad" + op.d.String() }

func (op recGradOp) Do(values ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(nil, values...)
}

// UsePreallocDo computes into prealloc, or into a new tensor when prealloc is nil.
func (op recGradOp) UsePreallocDo(prealloc gorgonia.Value, values ...gorgonia.Value) (gorgonia.Value, error) {
	if err := opInputs(op, values, op.Arity()); err != nil {
		return nil, err
	}
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
	out, err := outputFor(op, prealloc, dt, tensor.Shape{l.dSize})
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

// optElems returns the elements of d, or nil for a nil tensor.
func optElems[E opFloat](d *tensor.Dense) []E {
	if d == nil {
		return nil
	}
	return elems[E](d)
}
