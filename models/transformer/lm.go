package transformer

import (
	"math"
	"strconv"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Names of the inputs declared by LM.Loss.
const (
	LMInput  = "idx"     // token ids [B,T], tensor.Int
	LMTarget = "targets" // next-token ids [B,T], tensor.Int; −1 marks a position left out of the loss
)

// LM is a decoder-only Transformer language model, GPT-2 as nanoGPT writes
// it (Radford et al. 2019):
//
//	x = Dropout(tok_emb[ids] + pos[0:T])
//	x = block_l(x), l = 0…Layers−1   (pre-LN: x += Attn(LN1(x)); x += FF(LN2(x)), causal)
//	logits = LN_f(x)·W_head           (W_head = tok_embᵀ when TiedHead)
//
// Weights and embeddings are drawn from N(0, InitStd²), biases start at 0,
// LayerNorm gains at 1, and the projections that write into the residual
// stream (attn.out and ff.fc2 of every block) are scaled by 1/√(2·Layers) at
// initialisation (GPT-2 §2.3). The head has no bias.
type LM struct {
	Config LMConfig                   // with defaults filled in
	TokEmb *layers.Embedding          // "tok_emb", [Vocab,Dim]
	PosEnc *layers.PositionalEncoding // "pos_emb" [Context,Dim] when learned
	Drop   *layers.Dropout            // on the embeddings
	Blocks []*layers.DecoderLayer     // "blocks.0" … (no cross-attention)
	LnF    *layers.LayerNorm          // "ln_f"
	Head   *layers.Linear             // "head", [Dim,Vocab]; nil when TiedHead
	// NoKVCache makes Generate recompute the whole window for every token
	// instead of reading the keys and values of the earlier positions from
	// a cache: the reference path, slower by a factor that grows with the
	// context.
	NoKVCache bool

	m          *graph.Model
	gen        *lmProgram // forward program of the recomputing Generate, compiled on first use
	kv         *lmCached  // programs of the cached Generate, compiled on first use
	objectives int        // objectives built, to name their inputs
}

// NewLM adds a language model configured by cfg to m.
func NewLM(m *graph.Model, cfg LMConfig) (*LM, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.InitStd == 0 {
		cfg.InitStd = 0.02
	}
	if cfg.Hidden == 0 {
		cfg.Hidden = 4 * cfg.Dim
	}
	if cfg.Activation == nil {
		cfg.Activation = layers.GELU
	}
	init := layers.WeightInit(graph.Normal(cfg.InitStd))
	opts := []layers.Option{init, layers.BiasInit(graph.Zeros())}
	if cfg.NoBias {
		opts = append(opts, layers.NoBias())
	}
	lm := &LM{Config: cfg, m: m}
	var err error
	if lm.TokEmb, err = layers.NewEmbedding(m, "tok_emb", cfg.Vocab, cfg.Dim, init); err != nil {
		return nil, errors.Wrap(err, "transformer: LM")
	}
	if cfg.Positions == LearnedPositions {
		lm.PosEnc, err = layers.NewLearnedPE(m, "pos_emb", cfg.Context, cfg.Dim, init)
	} else {
		lm.PosEnc, err = layers.NewSinusoidalPE(m, cfg.Context, cfg.Dim)
	}
	if err != nil {
		return nil, errors.Wrap(err, "transformer: LM")
	}
	if lm.Drop, err = layers.NewDropout(m, cfg.Dropout); err != nil {
		return nil, errors.Wrap(err, "transformer: LM")
	}
	block := layers.BlockConfig{Dim: cfg.Dim, Heads: cfg.Heads, Hidden: cfg.Hidden, Dropout: cfg.Dropout,
		Norm: layers.PreLN, Activation: cfg.Activation}
	residualScale := 1 / math.Sqrt(2*float64(cfg.Layers))
	for i := 0; i < cfg.Layers; i++ {
		b, err := layers.NewDecoderLayer(m, graph.Join("blocks", strconv.Itoa(i)), block, false, opts...)
		if err != nil {
			return nil, errors.Wrap(err, "transformer: LM")
		}
		scaleParam(b.Attn.Out.Weight, residualScale)
		scaleParam(b.FF.FC2.Weight, residualScale)
		lm.Blocks = append(lm.Blocks, b)
	}
	lnOpts := []layers.Option{}
	if cfg.NoBias {
		lnOpts = append(lnOpts, layers.NoBias())
	}
	if lm.LnF, err = layers.NewLayerNorm(m, "ln_f", cfg.Dim, lnOpts...); err != nil {
		return nil, errors.Wrap(err, "transformer: LM")
	}
	if !cfg.TiedHead {
		if lm.Head, err = layers.NewLinear(m, "head", cfg.Dim, cfg.Vocab, init, layers.NoBias()); err != nil {
			return nil, errors.Wrap(err, "transformer: LM")
		}
	}
	return lm, nil
}

// Model returns the graph.Model the LM was built on.
func (lm *LM) Model() *graph.Model { return lm.m }

// Logits returns the next-token logits [B,T,Vocab] for ids [B,T]
// (tensor.Int) with T ≤ Context: position t sees ids 0…t only.
func (lm *LM) Logits(ids *gorgonia.Node) (*gorgonia.Node, error) {
	logits, _, err := lm.logits(ids, false)
	return logits, err
}

// logits is Logits that also returns, when withKV is set, the keys and
// values [B,T,Dim] of every block's self-attention (keys of block l at 2l,
// values at 2l+1): what a key/value cache holds after reading ids.
func (lm *LM) logits(ids *gorgonia.Node, withKV bool) (*gorgonia.Node, []*gorgonia.Node, error) {
	if err := checkIDs("LM", "ids", ids, lm.Config.Context); err != nil {
		return nil, nil, err
	}
	x, err := lm.TokEmb.Forward(ids)
	if err != nil {
		return nil, nil, errors.Wrap(err, "transformer: LM")
	}
	if x, err = lm.PosEnc.Forward(x); err != nil {
		return nil, nil, errors.Wrap(err, "transformer: LM")
	}
	if x, err = lm.Drop.Forward(x); err != nil {
		return nil, nil, errors.Wrap(err, "transformer: LM")
	}
	var kv []*gorgonia.Node
	for _, b := range lm.Blocks {
		if withKV {
			k, v, err := b.SelfKeysValues(x)
			if err != nil {
				return nil, nil, errors.Wrap(err, "transformer: LM: keys and values")
			}
			kv = append(kv, k, v)
		}
		if x, err = b.Forward(x, nil, layers.Mask{Causal: true}, layers.Mask{}); err != nil {
			return nil, nil, errors.Wrap(err, "transformer: LM")
		}
	}
	if x, err = lm.LnF.Forward(x); err != nil {
		return nil, nil, errors.Wrap(err, "transformer: LM")
	}
	logits, err := project(x, lm.Head, lm.TokEmb)
	return logits, kv, errors.Wrap(err, "transformer: LM: output head")
}

// Loss declares the inputs LMInput and LMTarget, both [batch,seqLen]
// tensor.Int with seqLen ≤ Context, and returns the mean next-token
// cross-entropy of the model over every position whose target is not −1:
// the scalar to compile with Model.Compile and train with Program.Step.
func (lm *LM) Loss(batch, seqLen int) (*gorgonia.Node, error) {
	if batch <= 0 || seqLen <= 0 || seqLen > lm.Config.Context {
		return nil, errors.Errorf("transformer: LM.Loss: batch %d and length %d, want both positive and length ≤ Context %d",
			batch, seqLen, lm.Config.Context)
	}
	ids, err := lm.m.IndexInput(LMInput, batch, seqLen)
	if err != nil {
		return nil, errors.Wrap(err, "transformer: LM.Loss")
	}
	targets, err := lm.m.IndexInput(LMTarget, batch, seqLen)
	if err != nil {
		return nil, errors.Wrap(err, "transformer: LM.Loss")
	}
	return lm.LossOf(ids, targets)
}

// LossOf returns the mean next-token cross-entropy of the model on ids
// [B,T] against targets [B,T] (both tensor.Int nodes, T ≤ Context) over every
// position whose target is not −1. Use it to build a second loss on inputs
// of other names, e.g. a validation loss in evaluation mode compiled with
// Model.CompileForward.
func (lm *LM) LossOf(ids, targets *gorgonia.Node) (*gorgonia.Node, error) {
	logits, err := lm.Logits(ids)
	if err != nil {
		return nil, err
	}
	loss, err := ops.CrossEntropy(logits, targets, -1)
	return loss, errors.Wrap(err, "transformer: LM loss")
}

// project applies the output head to x [B,T,D]: head when it is not nil,
// else x·Eᵀ with the embedding table E [V,D] (weight tying, Press & Wolf
// 2017), computed by ops.BatchedMatMul on x as [1,B·T,D] and E as [1,V,D]
// with E transposed inside the product, so Eᵀ is never materialised. It
// returns [B,T,V].
func project(x *gorgonia.Node, head *layers.Linear, emb *layers.Embedding) (*gorgonia.Node, error) {
	if head != nil {
		return head.Forward(x)
	}
	s := x.Shape()
	flat, err := gorgonia.Reshape(x, tensor.Shape{1, s[0] * s[1], s[2]})
	if err != nil {
		return nil, err
	}
	table, err := gorgonia.Reshape(emb.Weight.Node(), tensor.Shape{1, emb.Vocab, s[2]})
	if err != nil {
		return nil, err
	}
	y, err := ops.BatchedMatMul(flat, table, ops.BMMLayout{TransB: true})
	if err != nil {
		return nil, errors.Wrapf(err, "x·Eᵀ of %v and %v", x.Shape(), emb.Weight.Shape())
	}
	return gorgonia.Reshape(y, tensor.Shape{s[0], s[1], emb.Vocab})
}

// checkIDs checks that ids is a tensor.Int node [B,T] with T ≤ maxLen.
func checkIDs(model, what string, ids *gorgonia.Node, maxLen int) error {
	if ids == nil {
		return errors.Errorf("transformer: %s: nil %s", model, what)
	}
	s := ids.Shape()
	if ids.Dtype() != tensor.Int || s.Dims() != 2 {
		return errors.Errorf("transformer: %s: %s are %v of shape %v, want tensor.Int [B,T]", model, what, ids.Dtype(), s)
	}
	if s[1] > maxLen {
		return errors.Errorf("transformer: %s: %s of shape %v are longer than the model's context %d", model, what, s, maxLen)
	}
	return nil
}

// scaleParam multiplies the values of p by f in place.
func scaleParam(p *graph.Param, f float64) {
	if p.Value() == nil { // a shape model: nothing to scale
		return
	}
	switch v := p.Value().Data().(type) {
	case []float32:
		for i := range v {
			v[i] *= float32(f)
		}
	case []float64:
		for i := range v {
			v[i] *= f
		}
	}
}
