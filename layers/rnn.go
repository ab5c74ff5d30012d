package layers

import (
	"fmt"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// RNNConfig configures an RNN.
type RNNConfig struct {
	Cell          CellKind   // Elman, LSTM or GRU
	Input         int        // size In of the input vectors
	Hidden        int        // size of every layer's hidden state
	Layers        int        // number of stacked layers (0 means 1)
	Bidirectional bool       // run a second cell backward in time and concatenate the outputs
	Dropout       float64    // dropout on the outputs of every layer but the last, in training
	Activation    Activation // nonlinearity of Elman cells; nil means Tanh
	// Unfused makes RunStacked, RunTimeMajor and Forward unroll the cells
	// step by step, as Run does, instead of running each layer and
	// direction as one ops.Recurrence. The results are the same; the
	// unrolled graph is slower and bigger, and serves to check the fused one.
	Unfused bool
}

// RNN is a recurrent network over sequences, PyTorch's nn.RNN, nn.LSTM and
// nn.GRU (batch_first): L stacked layers of one kind of cell, unrolled in
// the graph over a fixed number of time steps T. Layer l > 0 reads the
// outputs of layer l−1, after dropout in training (Zaremba et al. 2014). A
// bidirectional RNN (Schuster & Paliwal 1997) runs, in every layer, a second
// cell from the last step to the first and concatenates both outputs, so
// every output has 2·Hidden features: the forward half first.
//
// Per time step the work is one [B,Hidden]×[Hidden,G·Hidden] product and
// elementwise operations: the input part of every gate (x·weight_x + biases)
// does not depend on the state and is built apart from the recurrence, as one
// product over all B·T steps.
//
// RunStacked, RunTimeMajor and Forward, which see the whole sequence, run
// each layer and direction as one fused ops.Recurrence (its backward pass
// written by hand), unless Config.Unfused is set or an Elman cell has an
// activation other than Tanh and ReLU. Run, which returns every step as its
// own node, and the cells' Forward unroll the cells step by step.
//
// Parameters are in gorgonet's [in,out] layout, under names that are not
// PyTorch's (whose layout is the transpose): "<name>.weight_x_l<k>"
// [In_k, G·Hidden], "<name>.weight_h_l<k>" [Hidden, G·Hidden],
// "<name>.bias_x_l<k>", "<name>.bias_h_l<k>" [G·Hidden], with the suffix
// "_reverse" for the backward direction; TorchStateDict and
// LoadTorchStateDict convert to and from PyTorch's weight_ih_l<k>, ….
type RNN struct {
	Config RNNConfig
	Cells  [][]Cell // [layer][direction]; direction 1 runs backward in time
	m      *graph.Model
	name   string
	id     string
}

// NewRNN adds an RNN named name to m. Options (NoBias, WeightInit, BiasInit)
// apply to every cell.
func NewRNN(m *graph.Model, name string, cfg RNNConfig, opts ...Option) (*RNN, error) {
	id := layerID(cfg.Cell.String(), name)
	if m == nil {
		return nil, errors.Errorf("layers: %s: nil model", id)
	}
	if cfg.Layers == 0 {
		cfg.Layers = 1
	}
	if err := checkPositive(id, "input size, hidden size and layers", cfg.Input, cfg.Hidden, cfg.Layers); err != nil {
		return nil, err
	}
	if !(cfg.Dropout >= 0 && cfg.Dropout < 1) {
		return nil, errors.Errorf("layers: %s: dropout %v outside [0,1)", id, cfg.Dropout)
	}
	if _, err := cfg.Cell.gates(); err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	if cfg.Activation != nil && cfg.Cell != Elman {
		return nil, errors.Errorf("layers: %s: an activation applies to Elman cells only", id)
	}
	r := &RNN{Config: cfg, m: m, name: name, id: id}
	in := cfg.Input
	for l := 0; l < cfg.Layers; l++ {
		var cells []Cell
		for d := 0; d < r.Directions(); d++ {
			suffix := fmt.Sprintf("_l%d", l)
			if d == 1 {
				suffix += "_reverse"
			}
			c, err := newCell(m, cfg, name, suffix, in, opts)
			if err != nil {
				return nil, err
			}
			cells = append(cells, c)
		}
		r.Cells = append(r.Cells, cells)
		in = r.Directions() * cfg.Hidden
	}
	return r, nil
}

// newCell creates one cell of the kind cfg.Cell.
func newCell(m *graph.Model, cfg RNNConfig, name, suffix string, in int, opts []Option) (Cell, error) {
	switch cfg.Cell {
	case LSTM:
		return newLSTMCell(m, name, suffix, in, cfg.Hidden, opts)
	case GRU:
		return newGRUCell(m, name, suffix, in, cfg.Hidden, opts)
	default:
		return newRNNCell(m, name, suffix, in, cfg.Hidden, cfg.Activation, opts)
	}
}

// Name returns the name the RNN was created with.
func (r *RNN) Name() string { return r.name }

// Directions returns 2 for a bidirectional RNN, else 1.
func (r *RNN) Directions() int {
	if r.Config.Bidirectional {
		return 2
	}
	return 1
}

// OutputSize returns the number of features of every output, Directions()·Hidden.
func (r *RNN) OutputSize() int { return r.Directions() * r.Config.Hidden }

// NumStates returns the number of states the RNN takes and returns,
// Layers·Directions(), ordered as PyTorch's h_n: index l·Directions()+d.
func (r *RNN) NumStates() int { return r.Config.Layers * r.Directions() }

// Params returns the parameters of every cell, layer by layer.
func (r *RNN) Params() []*graph.Param {
	var ps []*graph.Param
	for _, layer := range r.Cells {
		for _, c := range layer {
			ps = append(ps, c.Params()...)
		}
	}
	return ps
}

// Sequence is the input of RNN.Run and RNN.RunStacked: T steps of a batch of
// B sequences, given as the vectors of every step (Steps), as one tensor
// (Inputs) or as token ids (Tokens). Exactly one of the three is set.
type Sequence struct {
	// Steps holds the input of every step, [B,In] each.
	Steps []*gorgonia.Node
	// Inputs holds the inputs of all steps, [B,T,In].
	Inputs *gorgonia.Node
	// Tokens holds token ids [B,T] (tensor.Int) to be looked up in
	// Embedding, whose Dim must equal In. The first layer's input part is
	// then taken from the table projected once, E·weight_x + bias [Vocab,
	// G·Hidden], instead of projecting each looked-up vector: the same sums
	// with Vocab rows of work in place of B·T, for character and other small
	// vocabularies. The fused recurrence reads the table's rows itself
	// (ops.RecurrenceInputs.Table), without a gathered copy.
	Tokens    *gorgonia.Node
	Embedding *Embedding
	// Mask, optional, is [B,T] of 1 at real tokens and 0 at padding. Where it
	// is 0 a cell keeps its previous state, so right padding leaves the
	// final state of the forward direction at the last real token and the
	// backward direction starts from its initial state at the last real token.
	Mask *gorgonia.Node
}

// Run unrolls the RNN step by step over seq from the initial states init
// (NumStates of them, ordered as NumStates says; nil for zeros) and returns
// the outputs of the last layer at every step, [B, OutputSize()] each, and
// the final state of every layer and direction (for the backward direction:
// its state after the first step). Use RunStacked where the steps' outputs
// are used together: it runs the fused recurrence.
func (r *RNN) Run(seq Sequence, init []State) ([]*gorgonia.Node, []State, error) {
	steps, batch, init, err := r.checkRun(seq, init)
	if err != nil {
		return nil, nil, err
	}
	masks, err := r.maskSteps(seq.Mask, steps)
	if err != nil {
		return nil, nil, err
	}
	xs := seq.Steps
	if seq.Inputs != nil {
		if xs, err = SplitSteps(seq.Inputs); err != nil {
			return nil, nil, errors.Wrapf(err, "layers: %s", r.id)
		}
	}
	var ids []*gorgonia.Node
	if seq.Tokens != nil {
		if ids, err = SplitTokens(r.m, seq.Tokens); err != nil {
			return nil, nil, errors.Wrapf(err, "layers: %s", r.id)
		}
	}
	final := make([]State, r.NumStates())
	for l, layer := range r.Cells {
		outs := make([][]*gorgonia.Node, len(layer))
		for d, cell := range layer {
			c := cell.base()
			s, err := fillState(c, init[l*len(layer)+d], batch)
			if err != nil {
				return nil, nil, err
			}
			input, err := r.inputPart(c, l, xs, seq.Embedding, ids)
			if err != nil {
				return nil, nil, err
			}
			outs[d] = make([]*gorgonia.Node, steps)
			for i := 0; i < steps; i++ {
				t := i
				if d == 1 {
					t = steps - 1 - i
				}
				xp, err := input(t)
				if err != nil {
					return nil, nil, err
				}
				next, err := cell.step(xp, s)
				if err != nil {
					return nil, nil, errors.Wrapf(err, "step %d", t)
				}
				if masks != nil {
					if next, err = hold(s, next, masks[t]); err != nil {
						return nil, nil, errors.Wrapf(err, "layers: %s: masking step %d", c.id, t)
					}
				}
				s = next
				outs[d][t] = s.H
			}
			final[l*len(layer)+d] = s
		}
		if xs, err = r.layerOutputs(l, outs); err != nil {
			return nil, nil, err
		}
	}
	return xs, final, nil
}

// inputPart returns, for the cell c of layer l, the function giving the input
// part of its gates at step t: the projection of xs[t], or for the first
// layer over token ids, the rows ids[t] of the projected embedding table.
func (r *RNN) inputPart(c *cellBase, l int, xs []*gorgonia.Node, emb *Embedding, ids []*gorgonia.Node) (func(int) (*gorgonia.Node, error), error) {
	if l > 0 || ids == nil {
		return func(t int) (*gorgonia.Node, error) { return c.project(xs[t]) }, nil
	}
	table, err := c.project(emb.Weight.Node())
	if err != nil {
		return nil, errors.Wrap(err, "projecting the embedding table")
	}
	return func(t int) (*gorgonia.Node, error) {
		y, err := gorgonia.ByIndices(table, ids[t], 0)
		return y, errors.Wrapf(err, "layers: %s: looking up the tokens of step %d", c.id, t)
	}, nil
}

// layerOutputs joins the directions' outputs of layer l at every step and,
// below the last layer, applies dropout.
func (r *RNN) layerOutputs(l int, outs [][]*gorgonia.Node) ([]*gorgonia.Node, error) {
	ys := make([]*gorgonia.Node, len(outs[0]))
	for t := range ys {
		y := outs[0][t]
		if len(outs) == 2 {
			var err error
			if y, err = ops.Concat(1, outs[0][t], outs[1][t]); err != nil {
				return nil, errors.Wrapf(err, "layers: %s: joining the directions of layer %d at step %d", r.id, l, t)
			}
		}
		var err error
		if ys[t], err = r.dropBetween(l, y); err != nil {
			return nil, err
		}
	}
	return ys, nil
}

// dropBetween applies dropout to y, an output of layer l, below the last layer.
func (r *RNN) dropBetween(l int, y *gorgonia.Node) (*gorgonia.Node, error) {
	if l == r.Config.Layers-1 || r.Config.Dropout == 0 {
		return y, nil
	}
	y, err := ops.Dropout(r.m, y, r.Config.Dropout)
	return y, errors.Wrapf(err, "layers: %s: dropout after layer %d", r.id, l)
}

// RunStacked runs the RNN over seq from the initial states init (as Run) and
// returns the outputs of the last layer at every step stacked, y
// [B,T,OutputSize()], and the final state of every layer and direction.
// Each layer and direction is one fused ops.Recurrence, its input part
// x·weight_x + biases one product over all steps (see RNN); padding masks
// (Sequence.Mask) are applied inside the recurrence.
func (r *RNN) RunStacked(seq Sequence, init []State) (*gorgonia.Node, []State, error) {
	return r.runStacked(seq, init, false)
}

// RunTimeMajor is RunStacked with the outputs laid out [T,B,OutputSize()],
// so that row t·B+b of their [T·B, OutputSize()] reshape is step t of
// sequence b (the time-major order of a language model's targets). Every
// layer runs in that layout; no transpose is made of the outputs.
func (r *RNN) RunTimeMajor(seq Sequence, init []State) (*gorgonia.Node, []State, error) {
	return r.runStacked(seq, init, true)
}

// fused reports whether RunStacked builds ops.Recurrence operations.
func (r *RNN) fused() bool {
	if r.Config.Unfused {
		return false
	}
	for _, c := range r.allCells() {
		if _, ok := c.fusedCell(); !ok {
			return false
		}
	}
	return true
}

func (r *RNN) runStacked(seq Sequence, init []State, timeMajor bool) (*gorgonia.Node, []State, error) {
	_, batch, init, err := r.checkRun(seq, init)
	if err != nil {
		return nil, nil, err
	}
	if !r.fused() {
		ys, final, err := r.Run(seq, init)
		if err != nil {
			return nil, nil, err
		}
		y, err := stackSteps(ys, timeMajor)
		return y, final, errors.Wrapf(err, "layers: %s", r.id)
	}
	x, ids, err := r.fusedInput(seq, timeMajor)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "layers: %s", r.id)
	}
	final := make([]State, r.NumStates())
	for l, layer := range r.Cells {
		outs := make([]*gorgonia.Node, len(layer))
		for d, cell := range layer {
			c := cell.base()
			kind, _ := cell.fusedCell()
			s, err := fillState(c, init[l*len(layer)+d], batch)
			if err != nil {
				return nil, nil, err
			}
			in := ops.RecurrenceInputs{WHH: c.WeightHH.Node(), H0: s.H, C0: s.C, Mask: seq.Mask, Reverse: d == 1, TimeMajor: timeMajor}
			if err := c.sequenceInput(&in, x, ids, seq.Embedding); err != nil {
				return nil, nil, err
			}
			if kind == ops.RecurrentGRU && c.BiasHH != nil {
				in.BHH = c.BiasHH.Node()
			}
			res, err := ops.Recurrence(kind, in)
			if err != nil {
				return nil, nil, errors.Wrapf(err, "layers: %s", c.id)
			}
			outs[d] = res.Y
			final[l*len(layer)+d] = State{H: res.H, C: res.C}
		}
		if x, err = ops.Concat(-1, outs...); err != nil {
			return nil, nil, errors.Wrapf(err, "layers: %s: joining the directions of layer %d", r.id, l)
		}
		if x, err = r.dropBetween(l, x); err != nil {
			return nil, nil, err
		}
		ids = nil
	}
	return x, final, nil
}

// fusedInput returns the first layer's input of a fused run in the layout
// asked for ([B,T,In] or [T,B,In]), or the token ids [B,T], which
// ops.Recurrence reads in either layout.
func (r *RNN) fusedInput(seq Sequence, timeMajor bool) (x, ids *gorgonia.Node, err error) {
	switch {
	case seq.Tokens != nil:
		return nil, seq.Tokens, nil
	case seq.Inputs != nil && timeMajor:
		x, err = gorgonia.Transpose(seq.Inputs, 1, 0, 2)
		return x, nil, errors.Wrap(err, "inputs in time-major order")
	case seq.Inputs != nil:
		return seq.Inputs, nil, nil
	}
	x, err = stackSteps(seq.Steps, timeMajor)
	return x, nil, err
}

// stackSteps joins T steps [B,D] into [B,T,D] or, time-major, [T,B,D].
func stackSteps(ys []*gorgonia.Node, timeMajor bool) (*gorgonia.Node, error) {
	if !timeMajor {
		return StackSteps(ys)
	}
	if len(ys) == 0 || ys[0].Dims() != 2 {
		return nil, errors.New("stacking the steps: want steps [B,D]")
	}
	rows, err := ops.Concat(0, ys...)
	if err != nil {
		return nil, errors.Wrap(err, "stacking the steps")
	}
	s := ys[0].Shape()
	y, err := gorgonia.Reshape(rows, tensor.Shape{len(ys), s[0], s[1]})
	return y, errors.Wrap(err, "stacking the steps")
}

// checkRun checks the arguments of Run and RunStacked and returns the number
// of steps, the batch size and the initial states (zero states for nil).
func (r *RNN) checkRun(seq Sequence, init []State) (steps, batch int, _ []State, err error) {
	if steps, batch, err = r.checkSequence(seq); err != nil {
		return 0, 0, nil, err
	}
	if init == nil {
		init = make([]State, r.NumStates())
	}
	if len(init) != r.NumStates() {
		return 0, 0, nil, errors.Errorf("layers: %s: %d initial states, want %d (layers × directions)", r.id, len(init), r.NumStates())
	}
	return steps, batch, init, nil
}

// checkSequence checks seq and returns its number of steps and batch size.
func (r *RNN) checkSequence(seq Sequence) (steps, batch int, err error) {
	dt := r.m.Dtype()
	forms := 0
	for _, set := range []bool{seq.Steps != nil, seq.Inputs != nil, seq.Tokens != nil} {
		if set {
			forms++
		}
	}
	switch {
	case forms != 1:
		return 0, 0, errors.Errorf("layers: %s: give a Sequence exactly one of Steps, Inputs and Tokens", r.id)
	case seq.Inputs != nil:
		if err := checkInput(r.id, seq.Inputs, dt, seqLayouts, r.Config.Input); err != nil {
			return 0, 0, err
		}
		batch, steps = seq.Inputs.Shape()[0], seq.Inputs.Shape()[1]
	case seq.Tokens != nil:
		if err := checkInput(r.id, seq.Tokens, tensor.Int, []string{"B,T"}, -1); err != nil {
			return 0, 0, err
		}
		e := seq.Embedding
		if e == nil || e.Dim != r.Config.Input || e.Weight.Node().Graph() != r.m.Graph() {
			return 0, 0, errors.Errorf("layers: %s: Tokens need an Embedding of this model with Dim %d", r.id, r.Config.Input)
		}
		batch, steps = seq.Tokens.Shape()[0], seq.Tokens.Shape()[1]
	default:
		if len(seq.Steps) == 0 {
			return 0, 0, errors.Errorf("layers: %s: empty sequence", r.id)
		}
		for t, x := range seq.Steps {
			if err := checkInput(fmt.Sprintf("%s step %d", r.id, t), x, dt, []string{"B"}, r.Config.Input); err != nil {
				return 0, 0, err
			}
			if b := x.Shape()[0]; t > 0 && b != batch {
				return 0, 0, errors.Errorf("layers: %s: step %d has batch %d, step 0 has %d", r.id, t, b, batch)
			}
			batch = x.Shape()[0]
		}
		steps = len(seq.Steps)
	}
	if m := seq.Mask; m != nil && (m.Dtype() != dt || !m.Shape().Eq(tensor.Shape{batch, steps})) {
		return 0, 0, errors.Errorf("layers: %s: mask is %s, want %v [%d,%d]", r.id, describeNode(m), dt, batch, steps)
	}
	return steps, batch, nil
}

// maskSteps cuts a [B,T] mask into T vectors [B], or returns nil for no mask.
func (r *RNN) maskSteps(mask *gorgonia.Node, steps int) ([]*gorgonia.Node, error) {
	if mask == nil {
		return nil, nil
	}
	batch := mask.Shape()[0]
	out := make([]*gorgonia.Node, steps)
	for t := range out {
		col, err := ops.Narrow(mask, 1, t, 1)
		if err == nil {
			col, err = gorgonia.Reshape(col, tensor.Shape{batch})
		}
		if err != nil {
			return nil, errors.Wrapf(err, "layers: %s: mask of step %d", r.id, t)
		}
		out[t] = col
	}
	return out, nil
}

// hold returns prev + m ⊙ (next − prev) for H and C, m [B] broadcast over the
// features: next where m is 1, prev where it is 0.
func hold(prev, next State, m *gorgonia.Node) (State, error) {
	mix := func(a, b *gorgonia.Node) (*gorgonia.Node, error) {
		if b == nil {
			return nil, nil
		}
		d, err := gorgonia.Sub(b, a)
		if err == nil {
			d, err = gorgonia.BroadcastHadamardProd(d, m, nil, []byte{1})
		}
		if err == nil {
			d, err = gorgonia.Add(a, d)
		}
		return d, err
	}
	h, err := mix(prev.H, next.H)
	if err != nil {
		return State{}, err
	}
	c, err := mix(prev.C, next.C)
	return State{H: h, C: c}, err
}

// SplitTokens cuts token ids [B,T] (a tensor.Int node of m) into their T
// steps [B], e.g. to look each step up in an Embedding. The columns are
// gathered with per-step constant indices (ids carry no gradient), safe at
// any T.
func SplitTokens(m *graph.Model, ids *gorgonia.Node) ([]*gorgonia.Node, error) {
	if ids == nil || ids.Dtype() != tensor.Int || ids.Dims() != 2 {
		return nil, errors.Errorf("SplitTokens: ids must be a tensor.Int node [B,T], got %s", describeNode(ids))
	}
	batch, steps := ids.Shape()[0], ids.Shape()[1]
	out := make([]*gorgonia.Node, steps)
	for t := range out {
		idx := m.Const(fmt.Sprintf("layers.step[%d]", t), tensor.New(tensor.WithShape(1), tensor.WithBacking([]int{t})))
		col, err := gorgonia.ByIndices(ids, idx, 1)
		if err == nil {
			col, err = gorgonia.Reshape(col, tensor.Shape{batch})
		}
		if err != nil {
			return nil, errors.Wrapf(err, "token ids of step %d", t)
		}
		out[t] = col
	}
	return out, nil
}

// Forward runs the RNN over x [B,T,In] from the initial states init (nil for
// zeros) and returns the outputs y [B,T,OutputSize()] and the final states,
// as RunStacked.
func (r *RNN) Forward(x *gorgonia.Node, init []State) (*gorgonia.Node, []State, error) {
	if err := checkInput(r.id, x, r.m.Dtype(), seqLayouts, r.Config.Input); err != nil {
		return nil, nil, err
	}
	return r.RunStacked(Sequence{Inputs: x}, init)
}

// SplitSteps cuts x [B,T,D] into its T steps [B,D] (with ops.Narrow, safe
// at any T). When x needs a gradient, each step's gradient is scattered into
// a [B,T,D] tensor, so prefer building the steps directly where that is
// possible (as Sequence.Tokens does).
func SplitSteps(x *gorgonia.Node) ([]*gorgonia.Node, error) {
	s := x.Shape()
	if len(s) != 3 {
		return nil, errors.Errorf("SplitSteps: %q has shape %v, want [B,T,D]", x.Name(), s)
	}
	out := make([]*gorgonia.Node, s[1])
	for t := range out {
		y, err := ops.Narrow(x, 1, t, 1)
		if err == nil {
			y, err = gorgonia.Reshape(y, tensor.Shape{s[0], s[2]})
		}
		if err != nil {
			return nil, errors.Wrapf(err, "SplitSteps: step %d", t)
		}
		out[t] = y
	}
	return out, nil
}

// StackSteps joins T steps [B,D] into [B,T,D] (with ops.Concat, whose
// gradient is safe at any T).
func StackSteps(ys []*gorgonia.Node) (*gorgonia.Node, error) {
	if len(ys) == 0 {
		return nil, errors.New("StackSteps: no steps")
	}
	cols := make([]*gorgonia.Node, len(ys))
	for t, y := range ys {
		s := y.Shape()
		if len(s) != 2 {
			return nil, errors.Errorf("StackSteps: step %d has shape %v, want [B,D]", t, s)
		}
		c, err := gorgonia.Reshape(y, tensor.Shape{s[0], 1, s[1]})
		if err != nil {
			return nil, errors.Wrapf(err, "StackSteps: step %d", t)
		}
		cols[t] = c
	}
	y, err := ops.Concat(1, cols...)
	return y, errors.Wrap(err, "StackSteps")
}

// NewCarry declares the inputs of a carried state for batches of batch
// sequences, named "<name>.<i>.h" (and "<name>.<i>.c" for an LSTM), and
// returns it with the initial states to pass to Run or Forward. See Carry.
func (r *RNN) NewCarry(name string, batch int) (*Carry, []State, error) {
	if batch <= 0 {
		return nil, nil, errors.Errorf("layers: %s: NewCarry: batch %d", r.id, batch)
	}
	return newCarry(r.m, name, r.NumStates(), batch, r.Config.Hidden, r.Config.Cell == LSTM)
}

// allCells returns the cells layer by layer.
func (r *RNN) allCells() []Cell {
	var cs []Cell
	for _, layer := range r.Cells {
		cs = append(cs, layer...)
	}
	return cs
}

// TorchStateDict returns the RNN's parameters as PyTorch's state_dict of
// the matching nn.RNN / nn.LSTM / nn.GRU module named like the RNN: same
// names, weights transposed to PyTorch's [G·Hidden, In] layout, float64.
func (r *RNN) TorchStateDict() (map[string]*tensor.Dense, error) {
	return TorchStateDict(r.allCells()...)
}

// LoadTorchStateDict sets the RNN's parameters from a PyTorch state_dict (see
// TorchStateDict). Keys of other modules are ignored.
func (r *RNN) LoadTorchStateDict(sd map[string]*tensor.Dense) error {
	return LoadTorchStateDict(sd, r.allCells()...)
}

// TorchStateDict returns the parameters of cells under PyTorch's names
// (Cell.TorchNames) and in its layouts (weight_ih [G·Hidden, In], weight_hh
// [G·Hidden, Hidden], bias_ih and bias_hh [G·Hidden], gate blocks (i,f,g,o)
// for an LSTM and (r,z,n) for a GRU), as float64 tensors. The names are
// those of the PyTorch module when the cells were created with the module's
// name: "cell.weight_ih" for an nn.LSTMCell named "cell", "rnn.weight_ih_l0"
// for layer 0 of an nn.LSTM named "rnn" built by NewRNN.
func TorchStateDict(cells ...Cell) (map[string]*tensor.Dense, error) {
	sd := map[string]*tensor.Dense{}
	for _, c := range cells {
		names := c.TorchNames()
		for i, p := range c.Params() {
			v, err := valuesOf(p.Value())
			if err != nil {
				return nil, errors.Wrapf(err, "layers: TorchStateDict: %q", names[i])
			}
			shape := p.Shape()
			if len(shape) == 2 {
				v = transpose(v, shape[0], shape[1])
				shape = tensor.Shape{shape[1], shape[0]}
			}
			sd[names[i]] = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
		}
	}
	return sd, nil
}

// LoadTorchStateDict sets the parameters of cells from sd, a PyTorch
// state_dict in the names and layouts of TorchStateDict (float32 or float64).
// Every parameter of the cells must be present with PyTorch's shape; other
// keys are ignored.
func LoadTorchStateDict(sd map[string]*tensor.Dense, cells ...Cell) error {
	for _, c := range cells {
		names := c.TorchNames()
		for i, p := range c.Params() {
			t, ok := sd[names[i]]
			if !ok {
				return errors.Errorf("layers: LoadTorchStateDict: %q missing", names[i])
			}
			shape := p.Shape()
			want := shape.Clone()
			if len(shape) == 2 {
				want = tensor.Shape{shape[1], shape[0]}
			}
			if !t.Shape().Eq(want) {
				return errors.Errorf("layers: LoadTorchStateDict: %q has shape %v, want PyTorch's %v (ours %v)", names[i], t.Shape(), want, shape)
			}
			v, err := valuesOf(t)
			if err != nil {
				return errors.Wrapf(err, "layers: LoadTorchStateDict: %q", names[i])
			}
			if len(shape) == 2 {
				v = transpose(v, want[0], want[1])
			}
			if err := setValues(p.Value(), v); err != nil {
				return errors.Wrapf(err, "layers: LoadTorchStateDict: %q", names[i])
			}
		}
	}
	return nil
}

// valuesOf returns a float64 copy of the elements of a Float32 or Float64
// tensor in row-major order.
func valuesOf(d *tensor.Dense) ([]float64, error) {
	if d.IsMaterializable() {
		d = d.Materialize().(*tensor.Dense)
	}
	switch v := d.Data().(type) {
	case []float64:
		return append([]float64(nil), v...), nil
	case []float32:
		out := make([]float64, len(v))
		for i, f := range v {
			out[i] = float64(f)
		}
		return out, nil
	}
	return nil, errors.Errorf("unsupported element type %v", d.Dtype())
}

// transpose returns the transpose of the row-major rows×cols matrix v.
func transpose(v []float64, rows, cols int) []float64 {
	out := make([]float64, len(v))
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			out[j*rows+i] = v[i*cols+j]
		}
	}
	return out
}
