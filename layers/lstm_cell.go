package layers

import (
	"github.com/gorgonet/gorgonet/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// LSTMCell is the long short-term memory cell (Hochreiter & Schmidhuber
// 1997, with the forget gate of Gers, Schmidhuber & Cummins 2000) with
// PyTorch's equations and parameter layout (nn.LSTMCell). For an input x, a
// hidden state h and a cell state c:
//
//	i  = σ(x·W_ii + b_ii + h·W_hi + b_hi)    input gate
//	f  = σ(x·W_if + b_if + h·W_hf + b_hf)    forget gate
//	g  = tanh(x·W_ig + b_ig + h·W_hg + b_hg) candidate
//	o  = σ(x·W_io + b_io + h·W_ho + b_ho)    output gate
//	c' = f ⊙ c + i ⊙ g
//	h' = o ⊙ tanh(c')
//
// weight_x [In, 4·Hidden] holds W_ii, W_if, W_ig, W_io side by side (the
// transpose of PyTorch's weight_ih [4·Hidden, In] with blocks (i, f, g, o));
// weight_h, bias_x and bias_h likewise (PyTorch's weight_hh, bias_ih, bias_hh).
type LSTMCell struct {
	cellBase
}

// NewLSTMCell adds an LSTM cell named name to m with input size in and hidden
// size hidden. Parameters: "<name>.weight_x" [in,4·hidden],
// "<name>.weight_h" [hidden,4·hidden], "<name>.bias_x" and "<name>.bias_h"
// [4·hidden], drawn from U(−1/√hidden, 1/√hidden) like PyTorch's. Options:
// NoBias, WeightInit, BiasInit.
func NewLSTMCell(m *graph.Model, name string, in, hidden int, opts ...Option) (*LSTMCell, error) {
	return newLSTMCell(m, name, "", in, hidden, opts)
}

func newLSTMCell(m *graph.Model, name, suffix string, in, hidden int, opts []Option) (*LSTMCell, error) {
	b, err := newCellBase(m, LSTM, name, suffix, in, hidden, opts)
	if err != nil {
		return nil, err
	}
	return &LSTMCell{cellBase: *b}, nil
}

// Forward returns the next state (H and C, [B,Hidden]) for x [B,In] and state
// s (a zero State stands for zeros).
func (c *LSTMCell) Forward(x *gorgonia.Node, s State) (State, error) { return cellForward(c, x, s) }

func (c *LSTMCell) step(xp *gorgonia.Node, s State) (State, error) {
	hw, err := c.recurrent(s.H)
	if err != nil {
		return State{}, err
	}
	z, err := gorgonia.Add(xp, hw)
	if err != nil {
		return State{}, errors.Wrapf(err, "layers: %s", c.id)
	}
	var act [4]*gorgonia.Node // i, f, g, o
	for k := range act {
		blk, err := c.gate(z, k, 1)
		if err != nil {
			return State{}, err
		}
		if k == 2 {
			act[k], err = gorgonia.Tanh(blk)
		} else {
			act[k], err = gorgonia.Sigmoid(blk)
		}
		if err != nil {
			return State{}, errors.Wrapf(err, "layers: %s: gate %d", c.id, k)
		}
	}
	fc, err := gorgonia.HadamardProd(act[1], s.C)
	if err != nil {
		return State{}, errors.Wrapf(err, "layers: %s: f⊙c", c.id)
	}
	ig, err := gorgonia.HadamardProd(act[0], act[2])
	if err != nil {
		return State{}, errors.Wrapf(err, "layers: %s: i⊙g", c.id)
	}
	cNext, err := gorgonia.Add(fc, ig)
	if err != nil {
		return State{}, errors.Wrapf(err, "layers: %s: c'", c.id)
	}
	tc, err := gorgonia.Tanh(cNext)
	if err != nil {
		return State{}, errors.Wrapf(err, "layers: %s: tanh(c')", c.id)
	}
	hNext, err := gorgonia.HadamardProd(act[3], tc)
	if err != nil {
		return State{}, errors.Wrapf(err, "layers: %s: h'", c.id)
	}
	return State{H: hNext, C: cNext}, nil
}
