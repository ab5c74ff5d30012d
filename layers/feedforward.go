package layers

import (
	"github.com/gorgonet/gorgonet/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// FeedForward is the position-wise feed-forward block of the Transformer
// (Vaswani et al. 2017, §3.3), applied to every position independently:
//
//	FFN(x) = Dropout(Act(x·W1 + b1)·W2 + b2)
//
// with W1 [Dim,Hidden] and W2 [Hidden,Dim]; the paper uses ReLU and
// Hidden = 4·Dim, GPT-2 and BERT use GELU.
type FeedForward struct {
	FC1  *Linear    // "<name>.fc1", [Dim] → [Hidden]
	FC2  *Linear    // "<name>.fc2", [Hidden] → [Dim]
	Act  Activation // applied between FC1 and FC2
	Drop *Dropout   // applied to the output
	name string
}

// NewFeedForward adds a FeedForward block named name to m, of width dim and
// hidden width hidden, with activation act and output dropout probability
// dropout. opts are passed to both Linear layers.
func NewFeedForward(m *graph.Model, name string, dim, hidden int, act Activation, dropout float64, opts ...Option) (*FeedForward, error) {
	id := layerID("FeedForward", name)
	if act == nil {
		return nil, errors.Errorf("layers: %s: nil activation", id)
	}
	drop, err := NewDropout(m, dropout)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	fc1, err := NewLinear(m, graph.Join(name, "fc1"), dim, hidden, opts...)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	fc2, err := NewLinear(m, graph.Join(name, "fc2"), hidden, dim, opts...)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	return &FeedForward{FC1: fc1, FC2: fc2, Act: act, Drop: drop, name: name}, nil
}

// Name returns the name the block was created with.
func (f *FeedForward) Name() string { return f.name }

// Forward applies the block to x of shape [N,Dim] or [B,T,Dim] and returns a
// node of the same shape.
func (f *FeedForward) Forward(x *gorgonia.Node) (*gorgonia.Node, error) {
	id := layerID("FeedForward", f.name)
	h, err := f.FC1.Forward(x)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	if h, err = f.Act(h); err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	if h, err = f.FC2.Forward(h); err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	h, err = f.Drop.Forward(h)
	return h, errors.Wrapf(err, "layers: %s", id)
}
