package layers

import (
	"github.com/gorgonet/gorgonet/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// NormPlacement says where the blocks of a Transformer apply LayerNorm
// around each sub-layer (attention or feed-forward) with residual connection.
type NormPlacement int

const (
	// PostLN normalises after the residual addition,
	// x ← LayerNorm(x + Sublayer(x)), as in the original Transformer (Vaswani
	// et al. 2017, §3.1 and §5.4). It needs a learning-rate warm-up.
	PostLN NormPlacement = iota
	// PreLN normalises the input of each sub-layer,
	// x ← x + Sublayer(LayerNorm(x)), as in GPT-2 (Radford et al. 2019) and
	// nanoGPT; the residual stream is left unnormalised, so a model using it
	// ends with a final LayerNorm (Xiong et al. 2020, "On Layer Normalization
	// in the Transformer Architecture").
	PreLN
)

func (p NormPlacement) String() string {
	switch p {
	case PostLN:
		return "post-LN"
	case PreLN:
		return "pre-LN"
	}
	return "NormPlacement(?)"
}

// BlockConfig configures an EncoderLayer or DecoderLayer.
type BlockConfig struct {
	Dim        int           // model width d_model
	Heads      int           // attention heads; must divide Dim
	Hidden     int           // inner width d_ff of the feed-forward block; 0 means 4·Dim
	Dropout    float64       // rate of the dropout on attention weights and on every sub-layer output, in [0,1)
	Norm       NormPlacement // PostLN (the paper) or PreLN (GPT-2)
	Activation Activation    // of the feed-forward block; nil means ReLU (the paper); GPT-2 uses GELU
}

// withDefaults returns c with Hidden and Activation filled in, or an error
// naming the layer id if c is invalid.
func (c BlockConfig) withDefaults(id string) (BlockConfig, error) {
	if err := checkPositive(id, "dim and heads", c.Dim, c.Heads); err != nil {
		return c, err
	}
	if c.Dim%c.Heads != 0 {
		return c, errors.Errorf("layers: %s: dim %d is not divisible by heads %d", id, c.Dim, c.Heads)
	}
	if c.Hidden < 0 {
		return c, errors.Errorf("layers: %s: hidden %d is negative", id, c.Hidden)
	}
	if !(c.Dropout >= 0 && c.Dropout < 1) {
		return c, errors.Errorf("layers: %s: dropout %v outside [0, 1)", id, c.Dropout)
	}
	if c.Norm != PostLN && c.Norm != PreLN {
		return c, errors.Errorf("layers: %s: unknown norm placement %d", id, int(c.Norm))
	}
	if c.Hidden == 0 {
		c.Hidden = 4 * c.Dim
	}
	if c.Activation == nil {
		c.Activation = ReLU
	}
	return c, nil
}

// EncoderLayer is one layer of the Transformer encoder (Vaswani et al. 2017,
// §3.1): multi-head self-attention and a position-wise feed-forward block,
// each with dropout on its output, a residual connection and LayerNorm placed
// as Config.Norm says. With Mask{Causal: true} and PreLN it is also the block
// of a decoder-only GPT (see DecoderLayer without cross-attention).
type EncoderLayer struct {
	Attn     *MultiHeadAttention // "<name>.attn"
	FF       *FeedForward        // "<name>.ff"
	AttnNorm *LayerNorm          // "<name>.ln1", around the attention
	FFNorm   *LayerNorm          // "<name>.ln2", around the feed-forward block
	Drop     *Dropout            // on the attention output
	Config   BlockConfig         // with defaults filled in
	name     string
}

// NewEncoderLayer adds an encoder layer named name to m. opts NoBias,
// WeightInit and BiasInit apply to every Linear inside; NoBias and Eps to
// every LayerNorm (whose gains start at 1 and shifts at 0 whatever
// WeightInit says).
func NewEncoderLayer(m *graph.Model, name string, cfg BlockConfig, opts ...Option) (*EncoderLayer, error) {
	id := layerID("EncoderLayer", name)
	cfg, err := cfg.withDefaults(id)
	if err != nil {
		return nil, err
	}
	l := &EncoderLayer{Config: cfg, name: name}
	if l.Attn, l.AttnNorm, l.Drop, err = newAttentionSublayer(m, name, "attn", "ln1", cfg, opts); err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	if l.FF, l.FFNorm, err = newFeedForwardSublayer(m, name, "ln2", cfg, opts); err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	return l, nil
}

// Name returns the name the layer was created with.
func (l *EncoderLayer) Name() string { return l.name }

// Forward applies the layer to x [B,T,Dim] and returns [B,T,Dim]. mask
// applies to the self-attention: KeyPadding [B,T] hides padded positions
// (PaddingMask), Causal makes the layer autoregressive.
func (l *EncoderLayer) Forward(x *gorgonia.Node, mask Mask) (*gorgonia.Node, error) {
	id := layerID("EncoderLayer", l.name)
	if err := checkInput(id, x, l.Attn.Q.Weight.Node().Dtype(), seqLayouts, l.Config.Dim); err != nil {
		return nil, err
	}
	h, err := residual(l.Config.Norm, x, l.AttnNorm, func(y *gorgonia.Node) (*gorgonia.Node, error) {
		return attendAndDrop(l.Attn, l.Drop, y, y, mask)
	})
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s: self-attention", id)
	}
	if h, err = residual(l.Config.Norm, h, l.FFNorm, l.FF.Forward); err != nil {
		return nil, errors.Wrapf(err, "layers: %s: feed-forward", id)
	}
	return h, nil
}

// newAttentionSublayer creates the attention "<name>.<attn>", its LayerNorm
// "<name>.<ln>" and the dropout on its output.
func newAttentionSublayer(m *graph.Model, name, attn, ln string, cfg BlockConfig, opts []Option) (*MultiHeadAttention, *LayerNorm, *Dropout, error) {
	a, err := NewMultiHeadAttention(m, graph.Join(name, attn), cfg.Dim, cfg.Heads, cfg.Dropout, opts...)
	if err != nil {
		return nil, nil, nil, err
	}
	norm, err := NewLayerNorm(m, graph.Join(name, ln), cfg.Dim, normOptions(opts)...)
	if err != nil {
		return nil, nil, nil, err
	}
	drop, err := NewDropout(m, cfg.Dropout)
	if err != nil {
		return nil, nil, nil, err
	}
	return a, norm, drop, nil
}

// newFeedForwardSublayer creates the feed-forward block "<name>.ff" (whose
// output dropout is the sub-layer's) and its LayerNorm "<name>.<ln>".
func newFeedForwardSublayer(m *graph.Model, name, ln string, cfg BlockConfig, opts []Option) (*FeedForward, *LayerNorm, error) {
	ff, err := NewFeedForward(m, graph.Join(name, "ff"), cfg.Dim, cfg.Hidden, cfg.Activation, cfg.Dropout, opts...)
	if err != nil {
		return nil, nil, err
	}
	norm, err := NewLayerNorm(m, graph.Join(name, ln), cfg.Dim, normOptions(opts)...)
	if err != nil {
		return nil, nil, err
	}
	return ff, norm, nil
}

// normOptions keeps the options of a block that apply to its LayerNorms:
// NoBias and Eps. WeightInit and BiasInit are meant for the matrices and
// biases of the Linear layers (e.g. GPT-2's N(0, 0.02²)); the norms keep
// their unit gains and zero shifts.
func normOptions(opts []Option) []Option {
	o := applyOptions(options{}, opts)
	var out []Option
	if o.noBias {
		out = append(out, NoBias())
	}
	if o.eps != 0 {
		out = append(out, Eps(o.eps))
	}
	return out
}

// attendAndDrop returns Dropout(attn(query, memory)).
func attendAndDrop(attn *MultiHeadAttention, drop *Dropout, query, memory *gorgonia.Node, mask Mask) (*gorgonia.Node, error) {
	y, err := attn.Forward(query, memory, mask)
	if err != nil {
		return nil, err
	}
	return drop.Forward(y)
}

// residual wraps sublayer (which includes its output dropout) with a
// residual connection and LayerNorm norm placed as placement says:
// norm(x + sublayer(x)) for PostLN, x + sublayer(norm(x)) for PreLN.
func residual(placement NormPlacement, x *gorgonia.Node, norm *LayerNorm, sublayer func(*gorgonia.Node) (*gorgonia.Node, error)) (*gorgonia.Node, error) {
	in := x
	if placement == PreLN {
		var err error
		if in, err = norm.Forward(x); err != nil {
			return nil, err
		}
	}
	y, err := sublayer(in)
	if err != nil {
		return nil, err
	}
	// y + x, not x + y: Gorgonia lets an elementwise op write its result over
	// its first operand once the compiler sees that operand's last use, but
	// it does not see that a Reshape shares the operand's memory. x (in
	// post-LN, a LayerNorm output) is reshaped inside the next Linear, whose
	// backward pass still needs it, so x + y computed in place over x gives
	// wrong gradients (the post-LN gradient checks catch it). y, the
	// sub-layer's output, is read by no backward pass.
	sum, err := gorgonia.Add(y, x)
	if err != nil {
		return nil, errors.Wrapf(err, "residual addition of %v and %v", x.Shape(), y.Shape())
	}
	if placement == PostLN {
		return norm.Forward(sum)
	}
	return sum, nil
}
