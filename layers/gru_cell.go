package layers

import (
	"github.com/gorgonet/gorgonet/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// GRUCell is the gated recurrent unit (Cho et al. 2014, "Learning Phrase
// Representations using RNN Encoder–Decoder for Statistical Machine
// Translation") with PyTorch's equations and parameter layout (nn.GRUCell):
//
//	r  = σ(x·W_ir + b_ir + h·W_hr + b_hr)          reset gate
//	z  = σ(x·W_iz + b_iz + h·W_hz + b_hz)          update gate
//	n  = tanh(x·W_in + b_in + r ⊙ (h·W_hn + b_hn)) candidate
//	h' = (1 − z) ⊙ n + z ⊙ h
//
// weight_x [In, 3·Hidden] holds W_ir, W_iz, W_in side by side (the transpose
// of PyTorch's weight_ih [3·Hidden, In] with blocks (r, z, n)); weight_h,
// bias_x and bias_h likewise (PyTorch's weight_hh, bias_ih, bias_hh). b_hn stays inside the reset gate's product, as in PyTorch.
type GRUCell struct {
	cellBase
}

// NewGRUCell adds a GRU cell named name to m with input size in and hidden
// size hidden. Parameters: "<name>.weight_x" [in,3·hidden],
// "<name>.weight_h" [hidden,3·hidden], "<name>.bias_x" and "<name>.bias_h"
// [3·hidden], drawn from U(−1/√hidden, 1/√hidden) like PyTorch's. Options:
// NoBias, WeightInit, BiasInit.
func NewGRUCell(m *graph.Model, name string, in, hidden int, opts ...Option) (*GRUCell, error) {
	return newGRUCell(m, name, "", in, hidden, opts)
}

func newGRUCell(m *graph.Model, name, suffix string, in, hidden int, opts []Option) (*GRUCell, error) {
	b, err := newCellBase(m, GRU, name, suffix, in, hidden, opts)
	if err != nil {
		return nil, err
	}
	return &GRUCell{cellBase: *b}, nil
}

// Forward returns the next state (H [B,Hidden]) for x [B,In] and state s (a
// zero State stands for zeros).
func (c *GRUCell) Forward(x *gorgonia.Node, s State) (State, error) { return cellForward(c, x, s) }

func (c *GRUCell) step(xp *gorgonia.Node, s State) (State, error) {
	hp, err := c.recurrent(s.H)
	if err != nil {
		return State{}, err
	}
	if c.BiasHH != nil {
		if hp, err = gorgonia.BroadcastAdd(hp, c.BiasHH.Node(), nil, []byte{0}); err != nil {
			return State{}, errors.Wrapf(err, "layers: %s: adding bias_h", c.id)
		}
	}
	// r and z together: σ of the first two blocks of xp + hp.
	xrz, err := c.gate(xp, 0, 2)
	if err != nil {
		return State{}, err
	}
	hrz, err := c.gate(hp, 0, 2)
	if err != nil {
		return State{}, err
	}
	rz, err := gorgonia.Add(xrz, hrz)
	if err != nil {
		return State{}, errors.Wrapf(err, "layers: %s: r and z", c.id)
	}
	if rz, err = gorgonia.Sigmoid(rz); err != nil {
		return State{}, errors.Wrapf(err, "layers: %s: r and z", c.id)
	}
	r, err := c.gate(rz, 0, 1)
	if err != nil {
		return State{}, err
	}
	z, err := c.gate(rz, 1, 1)
	if err != nil {
		return State{}, err
	}
	xn, err := c.gate(xp, 2, 1)
	if err != nil {
		return State{}, err
	}
	hn, err := c.gate(hp, 2, 1)
	if err != nil {
		return State{}, err
	}
	n, err := gorgonia.HadamardProd(r, hn)
	if err == nil {
		n, err = gorgonia.Add(xn, n)
	}
	if err == nil {
		n, err = gorgonia.Tanh(n)
	}
	if err != nil {
		return State{}, errors.Wrapf(err, "layers: %s: candidate n", c.id)
	}
	// h' = n + z ⊙ (h − n), the same as (1 − z) ⊙ n + z ⊙ h.
	d, err := gorgonia.Sub(s.H, n)
	if err == nil {
		d, err = gorgonia.HadamardProd(z, d)
	}
	if err == nil {
		d, err = gorgonia.Add(n, d)
	}
	return State{H: d}, errors.Wrapf(err, "layers: %s: h'", c.id)
}
