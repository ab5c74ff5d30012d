package layers

import (
	"fmt"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// State is the recurrent state S_t of one cell: the hidden state H [B,Hidden]
// and, for an LSTM, the cell state C [B,Hidden] (nil for RNN and GRU cells).
// A zero State (H == nil) stands for zeros, like PyTorch's hx=None.
type State struct {
	H *gorgonia.Node
	C *gorgonia.Node
}

// nodes returns the state's tensors in carry order: H, then C for an LSTM.
func (s State) nodes(lstm bool) []*gorgonia.Node {
	if lstm {
		return []*gorgonia.Node{s.H, s.C}
	}
	return []*gorgonia.Node{s.H}
}

// checkState checks that s holds [batch,hidden] tensors of dtype dt: H, and C
// exactly when lstm is set. A zero State passes.
func checkState(layer string, s State, lstm bool, batch, hidden int, dt tensor.Dtype) error {
	if s.H == nil && s.C == nil {
		return nil
	}
	want := tensor.Shape{batch, hidden}
	check := func(what string, n *gorgonia.Node) error {
		if n == nil {
			return errors.Errorf("layers: %s: state %s is nil, want %v %v", layer, what, dt, want)
		}
		if n.Dtype() != dt || !n.Shape().Eq(want) {
			return errors.Errorf("layers: %s: state %s is %v %v, want %v %v", layer, what, n.Dtype(), n.Shape(), dt, want)
		}
		return nil
	}
	if err := check("H", s.H); err != nil {
		return err
	}
	if lstm {
		return check("C", s.C)
	}
	if s.C != nil {
		return errors.Errorf("layers: %s: state C given to a cell without a cell state", layer)
	}
	return nil
}

// zeros returns a constant [batch,hidden] node of zeros in m's dtype.
func zeros(m *graph.Model, batch, hidden int) *gorgonia.Node {
	name := fmt.Sprintf("layers.zeros[%d,%d]", batch, hidden)
	return m.ConstOf(name, m.Dtype(), tensor.Shape{batch, hidden}, func() *tensor.Dense {
		return tensor.New(tensor.Of(m.Dtype()), tensor.WithShape(batch, hidden))
	})
}

// Carry carries the final state of one run of a program into the next as its
// initial state: truncated backpropagation through time over consecutive
// windows of a stream, as char-rnn trains a stateful language model
// (Williams & Peng 1990; Karpathy 2015), and token-by-token generation.
//
// The initial states are inputs of the model (no gradient flows into the
// previous window); the final states are extra outputs of the program:
//
//	carry, init, _ := rnn.NewCarry("train.state", batch)
//	y, final, _ := rnn.Forward(x, init)
//	// ... loss from y ...
//	_ = carry.SetFinal(final)
//	prog, _ := m.Compile(loss, carry.Outputs()...)
//	for each window {
//		loss, _ := prog.Step(carry.Feed(feeds), opt)
//		outs, _ := prog.Outputs()
//		_ = carry.Update(outs)
//	}
//
// Reset returns the state to zeros (at the start of an epoch or a new text).
type Carry struct {
	m       *graph.Model
	names   []string
	inputs  []*gorgonia.Node
	outputs []*gorgonia.Node
	values  []*tensor.Dense
	lstm    bool
}

// newCarry declares in m the inputs of n states of [batch,hidden] tensors
// named "<name>.<i>.h" (and "<name>.<i>.c" with lstm) and returns the carry
// and the initial states built from those inputs.
func newCarry(m *graph.Model, name string, n, batch, hidden int, lstm bool) (*Carry, []State, error) {
	c := &Carry{m: m, lstm: lstm}
	init := make([]State, n)
	parts := []string{"h"}
	if lstm {
		parts = append(parts, "c")
	}
	for i := range init {
		for _, p := range parts {
			in := graph.Join(name, fmt.Sprint(i), p)
			node, err := m.Input(in, batch, hidden)
			if err != nil {
				return nil, nil, errors.Wrapf(err, "layers: carried state %q", name)
			}
			c.names = append(c.names, in)
			c.inputs = append(c.inputs, node)
			c.values = append(c.values, tensor.New(tensor.Of(m.Dtype()), tensor.WithShape(batch, hidden)))
			if p == "h" {
				init[i].H = node
			} else {
				init[i].C = node
			}
		}
	}
	return c, init, nil
}

// Names returns the names of the carried inputs, in order.
func (c *Carry) Names() []string { return append([]string(nil), c.names...) }

// SetFinal records the final states whose values the next run is fed; they
// must match the initial states in number and shapes.
func (c *Carry) SetFinal(final []State) error {
	var outs []*gorgonia.Node
	for _, s := range final {
		outs = append(outs, s.nodes(c.lstm)...)
	}
	if len(outs) != len(c.inputs) {
		return errors.Errorf("layers: Carry: %d final state tensors for %d carried inputs %v", len(outs), len(c.inputs), c.names)
	}
	for i, o := range outs {
		if o == nil || !o.Shape().Eq(c.inputs[i].Shape()) || o.Dtype() != c.inputs[i].Dtype() {
			return errors.Errorf("layers: Carry: final state for %q is %v, want %v %v", c.names[i], describeNode(o), c.inputs[i].Dtype(), c.inputs[i].Shape())
		}
	}
	c.outputs = outs
	return nil
}

// describeNode returns "dtype shape" of n, or "nil".
func describeNode(n *gorgonia.Node) string {
	if n == nil {
		return "nil"
	}
	return fmt.Sprintf("%v %v", n.Dtype(), n.Shape())
}

// Outputs returns the final-state nodes recorded by SetFinal, to be passed
// last to Model.Compile or Model.CompileForward.
func (c *Carry) Outputs() []*gorgonia.Node { return append([]*gorgonia.Node(nil), c.outputs...) }

// Feed adds the current state to feeds (creating the map when nil) and
// returns it.
func (c *Carry) Feed(feeds graph.Feeds) graph.Feeds {
	if feeds == nil {
		feeds = graph.Feeds{}
	}
	for i, name := range c.names {
		feeds[name] = c.values[i]
	}
	return feeds
}

// Update copies the final state of the last run from outs, the outputs of a
// program compiled with Outputs last (as Program.Outputs returns them): the
// last len(Outputs()) tensors are taken.
func (c *Carry) Update(outs []*tensor.Dense) error {
	n := len(c.values)
	if len(c.outputs) != n {
		return errors.New("layers: Carry.Update before SetFinal")
	}
	if len(outs) < n {
		return errors.Errorf("layers: Carry.Update: %d outputs, want at least %d", len(outs), n)
	}
	for i, v := range outs[len(outs)-n:] {
		if v == nil || !v.Shape().Eq(c.values[i].Shape()) || v.Dtype() != c.values[i].Dtype() {
			return errors.Errorf("layers: Carry.Update: value for %q does not have shape %v and dtype %v",
				c.names[i], c.values[i].Shape(), c.values[i].Dtype())
		}
		if err := tensor.Copy(c.values[i], v); err != nil {
			return errors.Wrapf(err, "layers: Carry.Update: copying %q", c.names[i])
		}
	}
	return nil
}

// Values returns the current carried tensors (shared, not copies), in the
// order of Names.
func (c *Carry) Values() []*tensor.Dense { return append([]*tensor.Dense(nil), c.values...) }

// Reset sets the carried state to zeros.
func (c *Carry) Reset() {
	for _, v := range c.values {
		v.Zero()
	}
}
