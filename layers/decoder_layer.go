package layers

import (
	"github.com/gorgonet/gorgonet/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// DecoderLayer is one layer of the Transformer decoder (Vaswani et al. 2017,
// §3.1): masked multi-head self-attention, multi-head cross-attention over
// the encoder's output (the memory) and a position-wise feed-forward block,
// each with dropout on its output, a residual connection and LayerNorm placed
// as Config.Norm says.
//
// Built without cross-attention it is the block of a decoder-only language
// model such as GPT-2 (Radford et al. 2019): causal self-attention and
// feed-forward only, with parameters "<name>.ln1", "<name>.attn",
// "<name>.ln2", "<name>.ff" as in nanoGPT.
type DecoderLayer struct {
	Attn      *MultiHeadAttention // "<name>.attn", self-attention
	Cross     *MultiHeadAttention // "<name>.cross", cross-attention; nil without
	FF        *FeedForward        // "<name>.ff"
	AttnNorm  *LayerNorm          // "<name>.ln1"
	CrossNorm *LayerNorm          // "<name>.ln2"; nil without cross-attention
	FFNorm    *LayerNorm          // "<name>.ln3", or "<name>.ln2" without cross-attention
	AttnDrop  *Dropout            // on the self-attention output
	CrossDrop *Dropout            // on the cross-attention output; nil without
	Config    BlockConfig         // with defaults filled in
	name      string
}

// NewDecoderLayer adds a decoder layer named name to m, with cross-attention
// over an encoder's output when cross is true (an encoder–decoder model) and
// without it when false (a decoder-only language model). opts NoBias,
// WeightInit and BiasInit apply to every Linear inside; NoBias and Eps to
// every LayerNorm (whose gains start at 1 and shifts at 0 whatever
// WeightInit says).
func NewDecoderLayer(m *graph.Model, name string, cfg BlockConfig, cross bool, opts ...Option) (*DecoderLayer, error) {
	id := layerID("DecoderLayer", name)
	cfg, err := cfg.withDefaults(id)
	if err != nil {
		return nil, err
	}
	l := &DecoderLayer{Config: cfg, name: name}
	if l.Attn, l.AttnNorm, l.AttnDrop, err = newAttentionSublayer(m, name, "attn", "ln1", cfg, opts); err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	ffNorm := "ln2"
	if cross {
		if l.Cross, l.CrossNorm, l.CrossDrop, err = newAttentionSublayer(m, name, "cross", "ln2", cfg, opts); err != nil {
			return nil, errors.Wrapf(err, "layers: %s", id)
		}
		ffNorm = "ln3"
	}
	if l.FF, l.FFNorm, err = newFeedForwardSublayer(m, name, ffNorm, cfg, opts); err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	return l, nil
}

// Name returns the name the layer was created with.
func (l *DecoderLayer) Name() string { return l.name }

// Forward applies the layer to the decoder input x [B,T,Dim] and returns
// [B,T,Dim]. selfMask applies to the self-attention (Causal for
// autoregressive decoding, KeyPadding [B,T] for padded targets). memory
// [B,S,Dim] is the encoder's output and crossMask (KeyPadding [B,S] for
// padded sources; Causal is not allowed) applies to the cross-attention; a
// layer built without cross-attention needs memory == nil.
func (l *DecoderLayer) Forward(x, memory *gorgonia.Node, selfMask, crossMask Mask) (*gorgonia.Node, error) {
	id := layerID("DecoderLayer", l.name)
	if err := checkInput(id, x, l.Attn.Q.Weight.Node().Dtype(), seqLayouts, l.Config.Dim); err != nil {
		return nil, err
	}
	switch {
	case l.Cross == nil && memory != nil:
		return nil, errors.Errorf("layers: %s: built without cross-attention but given a memory of shape %v", id, memory.Shape())
	case l.Cross != nil && memory == nil:
		return nil, errors.Errorf("layers: %s: cross-attention needs the encoder's output (memory), got nil", id)
	case l.Cross != nil && crossMask.Causal:
		return nil, errors.Errorf("layers: %s: a causal mask does not apply to cross-attention", id)
	}
	h, err := residual(l.Config.Norm, x, l.AttnNorm, func(y *gorgonia.Node) (*gorgonia.Node, error) {
		return attendAndDrop(l.Attn, l.AttnDrop, y, y, selfMask)
	})
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s: self-attention", id)
	}
	if l.Cross != nil {
		h, err = residual(l.Config.Norm, h, l.CrossNorm, func(y *gorgonia.Node) (*gorgonia.Node, error) {
			return attendAndDrop(l.Cross, l.CrossDrop, y, memory, crossMask)
		})
		if err != nil {
			return nil, errors.Wrapf(err, "layers: %s: cross-attention", id)
		}
	}
	if h, err = residual(l.Config.Norm, h, l.FFNorm, l.FF.Forward); err != nil {
		return nil, errors.Wrapf(err, "layers: %s: feed-forward", id)
	}
	return h, nil
}
