package layers

import (
	"fmt"
	"math"
	"reflect"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CellKind selects the recurrent cell of an RNN.
type CellKind int

// The recurrent cells.
const (
	// Elman is the simple recurrent cell S_t = f(U·X_t + W·S_{t−1}) (Elman
	// 1990), PyTorch's nn.RNN / nn.RNNCell.
	Elman CellKind = iota
	// LSTM is the long short-term memory cell (Hochreiter & Schmidhuber 1997,
	// with the forget gate of Gers et al. 2000), PyTorch's nn.LSTM / nn.LSTMCell.
	LSTM
	// GRU is the gated recurrent unit (Cho et al. 2014), PyTorch's nn.GRU /
	// nn.GRUCell.
	GRU
)

// String returns "RNN", "LSTM" or "GRU".
func (k CellKind) String() string {
	switch k {
	case Elman:
		return "RNN"
	case LSTM:
		return "LSTM"
	case GRU:
		return "GRU"
	}
	return fmt.Sprintf("CellKind(%d)", int(k))
}

// gates returns the number of gate blocks G of the cell's weights [·, G·Hidden].
func (k CellKind) gates() (int, error) {
	switch k {
	case Elman:
		return 1, nil
	case LSTM:
		return 4, nil
	case GRU:
		return 3, nil
	}
	return 0, errors.Errorf("unknown cell kind %v", k)
}

// Cell is one step of a recurrent network: RNNCell, LSTMCell or GRUCell.
// Forward maps an input x [B,In] and a state to the next state, whose H
// [B,Hidden] is also the step's output.
type Cell interface {
	Kind() CellKind
	Name() string
	InputSize() int
	HiddenSize() int
	// Params returns weight_x, weight_h and, unless built with NoBias,
	// bias_x and bias_h.
	Params() []*graph.Param
	// TorchNames returns PyTorch's names of Params, in order.
	TorchNames() []string
	Forward(x *gorgonia.Node, s State) (State, error)

	// base returns the shared parameters.
	base() *cellBase
	// fusedCell returns the cell for ops.Recurrence, or false when the
	// cell cannot be fused (an Elman cell with an activation other than
	// Tanh and ReLU).
	fusedCell() (ops.RecurrentCell, bool)
	// step computes the next state from xp, the input projection of the
	// step (see cellBase.project), and the state s (H never nil).
	step(xp *gorgonia.Node, s State) (State, error)
}

// cellBase holds what the three cells share: sizes and PyTorch's four
// parameters, stored [in,out] with the gate blocks side by side along the
// columns in PyTorch's order, under names that are not PyTorch's (whose
// layout is the transpose):
//
//	weight_x [In, G·Hidden]      (PyTorch's weight_ih [G·Hidden, In])
//	weight_h [Hidden, G·Hidden]  (PyTorch's weight_hh [G·Hidden, Hidden])
//	bias_x, bias_h [G·Hidden]    (PyTorch's bias_ih, bias_hh)
//
// so that PyTorch's tensors are the transposes of the weights, and the
// biases are equal (see TorchStateDict).
type cellBase struct {
	WeightIH *graph.Param // "<name>.weight_x<suffix>" [In, G·Hidden]
	WeightHH *graph.Param // "<name>.weight_h<suffix>" [Hidden, G·Hidden]
	BiasIH   *graph.Param // "<name>.bias_x<suffix>" [G·Hidden]; nil with NoBias
	BiasHH   *graph.Param // "<name>.bias_h<suffix>" [G·Hidden]; nil with NoBias
	In       int          // input size
	Hidden   int          // hidden (state) size
	kind     CellKind
	gates    int
	m        *graph.Model
	name     string
	suffix   string // "", "_l<k>" or "_l<k>_reverse", as PyTorch suffixes its names
	id       string // for error messages, e.g. `LSTMCell "rnn" (layer l1)`
}

// newCellBase creates the parameters of a cell of the given kind. Their names
// are graph.Join(name, "weight_x"+suffix) and so on, with the suffixes of
// PyTorch's names: "" for its *Cell modules, "_l0", "_l0_reverse" for nn.LSTM.
// Every parameter is drawn from U(−1/√Hidden, 1/√Hidden) unless WeightInit
// or BiasInit say otherwise; NoBias leaves out both biases.
func newCellBase(m *graph.Model, kind CellKind, name, suffix string, in, hidden int, opts []Option) (*cellBase, error) {
	id := layerID(kind.String()+"Cell", name)
	if suffix != "" {
		id = fmt.Sprintf("%s (layer %s)", id, suffix[1:])
	}
	if m == nil {
		return nil, errors.Errorf("layers: %s: nil model", id)
	}
	if err := checkPositive(id, "input and hidden sizes", in, hidden); err != nil {
		return nil, err
	}
	g, err := kind.gates()
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	a := 1 / math.Sqrt(float64(hidden))
	o := applyOptions(options{weightInit: graph.Uniform(-a, a), biasInit: graph.Uniform(-a, a)}, opts)
	c := &cellBase{In: in, Hidden: hidden, kind: kind, gates: g, m: m, name: name, suffix: suffix, id: id}
	specs := []struct {
		p     **graph.Param
		what  string
		shape tensor.Shape
		init  graph.Initializer
	}{
		{&c.WeightIH, "weight_x", tensor.Shape{in, g * hidden}, o.weightInit},
		{&c.WeightHH, "weight_h", tensor.Shape{hidden, g * hidden}, o.weightInit},
		{&c.BiasIH, "bias_x", tensor.Shape{g * hidden}, o.biasInit},
		{&c.BiasHH, "bias_h", tensor.Shape{g * hidden}, o.biasInit},
	}
	for i, s := range specs {
		if i >= 2 && o.noBias {
			break
		}
		if *s.p, err = m.NewParam(graph.Join(name, s.what+suffix), s.shape, s.init); err != nil {
			return nil, errors.Wrapf(err, "layers: %s", id)
		}
	}
	return c, nil
}

func (c *cellBase) base() *cellBase { return c }

// fusedCell returns the LSTM or GRU cell of ops.Recurrence (RNNCell has its own).
func (c *cellBase) fusedCell() (ops.RecurrentCell, bool) {
	switch c.kind {
	case LSTM:
		return ops.RecurrentLSTM, true
	case GRU:
		return ops.RecurrentGRU, true
	}
	return 0, false
}

// Kind returns the kind of the cell.
func (c *cellBase) Kind() CellKind { return c.kind }

// Name returns the name the cell was created with.
func (c *cellBase) Name() string { return c.name }

// InputSize returns the size In of the input vectors.
func (c *cellBase) InputSize() int { return c.In }

// HiddenSize returns the size of the hidden state.
func (c *cellBase) HiddenSize() int { return c.Hidden }

// Params returns weight_x, weight_h and, unless built with NoBias, bias_x
// and bias_h.
func (c *cellBase) Params() []*graph.Param {
	ps := []*graph.Param{c.WeightIH, c.WeightHH}
	if c.BiasIH != nil {
		ps = append(ps, c.BiasIH, c.BiasHH)
	}
	return ps
}

// TorchNames returns PyTorch's names of the parameters Params returns, in
// order: graph.Join(name, "weight_ih"+suffix), "weight_hh", "bias_ih",
// "bias_hh" (the cell's name and suffix).
func (c *cellBase) TorchNames() []string {
	names := []string{"weight_ih", "weight_hh", "bias_ih", "bias_hh"}[:len(c.Params())]
	for i, n := range names {
		names[i] = graph.Join(c.name, n+c.suffix)
	}
	return names
}

// project returns the input part of every gate for x [N,In]: x·weight_x +
// bias_x, [N, G·Hidden], plus bias_h for RNN and LSTM cells, where it is
// added to the same sums anyway (a GRU adds bias_hh inside its reset gate).
// Computing it for all N = B·T rows at once keeps it out of the recurrence.
func (c *cellBase) project(x *gorgonia.Node) (*gorgonia.Node, error) {
	xw, err := gorgonia.Mul(x, c.WeightIH.Node())
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s: x·weight_x of %v and %v", c.id, x.Shape(), c.WeightIH.Shape())
	}
	b, err := c.inputBias()
	if b == nil || err != nil {
		return xw, err
	}
	y, err := gorgonia.BroadcastAdd(xw, b, nil, []byte{0})
	return y, errors.Wrapf(err, "layers: %s: adding the input bias", c.id)
}

// inputBias returns the bias added to x·weight_ih: bias_ih, plus bias_hh
// except for a GRU; nil without biases.
func (c *cellBase) inputBias() (*gorgonia.Node, error) {
	if c.BiasIH == nil {
		return nil, nil
	}
	if c.kind == GRU {
		return c.BiasIH.Node(), nil
	}
	b, err := gorgonia.Add(c.BiasIH.Node(), c.BiasHH.Node())
	return b, errors.Wrapf(err, "layers: %s: bias_ih + bias_hh", c.id)
}

// sequenceInput sets the input part of every gate for a fused run
// (ops.Recurrence): in.XP = x·weight_ih + bias as one ops.Affine for the
// inputs x ([B,T,In] or [T,B,In]), or for token ids [B,T], in.Table = the
// embedding table projected once (see Sequence.Tokens) and in.Ids = ids.
func (c *cellBase) sequenceInput(in *ops.RecurrenceInputs, x, ids *gorgonia.Node, emb *Embedding) error {
	if ids != nil {
		table, err := c.project(emb.Weight.Node())
		in.Table, in.Ids = table, ids
		return errors.Wrap(err, "projecting the embedding table")
	}
	b, err := c.inputBias()
	if err != nil {
		return err
	}
	in.XP, err = ops.Affine(x, c.WeightIH.Node(), b)
	return errors.Wrapf(err, "layers: %s: x·weight_ih + bias", c.id)
}

// recurrent returns h·weight_hh [B, G·Hidden].
func (c *cellBase) recurrent(h *gorgonia.Node) (*gorgonia.Node, error) {
	y, err := gorgonia.Mul(h, c.WeightHH.Node())
	return y, errors.Wrapf(err, "layers: %s: h·weight_hh of %v and %v", c.id, h.Shape(), c.WeightHH.Shape())
}

// gate returns gate block k, [B,Hidden], of x [B, G·Hidden]. It is cut with
// ops.Narrow: gorgonia's Slice would merge the blocks of a cell with 256
// hidden units, which lie 256 columns apart.
func (c *cellBase) gate(x *gorgonia.Node, k, blocks int) (*gorgonia.Node, error) {
	y, err := ops.Narrow(x, 1, k*c.Hidden, blocks*c.Hidden)
	return y, errors.Wrapf(err, "layers: %s: gate block %d", c.id, k)
}

// cellForward is Cell.Forward shared by the cells: it checks the shapes, fills a
// zero state and runs one step of cell.
func cellForward(cell Cell, x *gorgonia.Node, s State) (State, error) {
	c := cell.base()
	if err := checkInput(c.id, x, c.m.Dtype(), []string{"B"}, c.In); err != nil {
		return State{}, err
	}
	batch := x.Shape()[0]
	s, err := fillState(c, s, batch)
	if err != nil {
		return State{}, err
	}
	xp, err := c.project(x)
	if err != nil {
		return State{}, err
	}
	return cell.step(xp, s)
}

// fillState checks s for a batch of the given size and replaces a zero state
// by zeros.
func fillState(c *cellBase, s State, batch int) (State, error) {
	if err := checkState(c.id, s, c.kind == LSTM, batch, c.Hidden, c.m.Dtype()); err != nil {
		return State{}, err
	}
	if s.H == nil {
		s.H = zeros(c.m, batch, c.Hidden)
		if c.kind == LSTM {
			s.C = s.H
		}
	}
	return s, nil
}

// RNNCell is the Elman cell (Elman 1990, "Finding Structure in Time"), the
// recurrent network S_t = f(U·X_t + W·S_{t−1}) with biases, PyTorch's
// nn.RNNCell:
//
//	h' = f(x·weight_ih + bias_ih + h·weight_hh + bias_hh)
//
// with f = tanh by default. U and W are the transposes of weight_ih and
// weight_hh in gorgonet's [in,out] layout.
type RNNCell struct {
	cellBase
	act Activation
}

// NewRNNCell adds an Elman cell named name to m: input size in, hidden size
// hidden, nonlinearity act (nil for Tanh; ReLU is PyTorch's other choice).
// Parameters: "<name>.weight_ih" [in,hidden], "<name>.weight_hh"
// [hidden,hidden], "<name>.bias_ih" and "<name>.bias_hh" [hidden], drawn from
// U(−1/√hidden, 1/√hidden). Options: NoBias, WeightInit, BiasInit.
func NewRNNCell(m *graph.Model, name string, in, hidden int, act Activation, opts ...Option) (*RNNCell, error) {
	return newRNNCell(m, name, "", in, hidden, act, opts)
}

func newRNNCell(m *graph.Model, name, suffix string, in, hidden int, act Activation, opts []Option) (*RNNCell, error) {
	b, err := newCellBase(m, Elman, name, suffix, in, hidden, opts)
	if err != nil {
		return nil, err
	}
	if act == nil {
		act = Tanh
	}
	return &RNNCell{cellBase: *b, act: act}, nil
}

// Forward returns the next state for x [B,In] and state s (H [B,Hidden]; a
// zero State stands for zeros).
func (c *RNNCell) Forward(x *gorgonia.Node, s State) (State, error) { return cellForward(c, x, s) }

// fusedCell returns ops.RecurrentTanh or ops.RecurrentReLU for a cell with
// the Tanh or ReLU activation; other activations are not fused.
func (c *RNNCell) fusedCell() (ops.RecurrentCell, bool) {
	switch reflect.ValueOf(c.act).Pointer() {
	case reflect.ValueOf(Activation(Tanh)).Pointer():
		return ops.RecurrentTanh, true
	case reflect.ValueOf(Activation(ReLU)).Pointer():
		return ops.RecurrentReLU, true
	}
	return 0, false
}

func (c *RNNCell) step(xp *gorgonia.Node, s State) (State, error) {
	hw, err := c.recurrent(s.H)
	if err != nil {
		return State{}, err
	}
	sum, err := gorgonia.Add(xp, hw)
	if err != nil {
		return State{}, errors.Wrapf(err, "layers: %s", c.id)
	}
	h, err := c.act(sum)
	return State{H: h}, errors.Wrapf(err, "layers: %s: nonlinearity", c.id)
}
