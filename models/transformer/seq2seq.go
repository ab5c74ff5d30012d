package transformer

import (
	"math"
	"strconv"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Names of the inputs declared by Seq2Seq.Loss, those of every
// models.Seq2SeqModel. They take the fields Source, DecoderInput and Target
// of a datasets.Seq2SeqBatch.
const (
	S2SSource    = models.S2SSource    // source ids [B,S], padded with PadID
	S2STargetIn  = models.S2STargetIn  // decoder input [B,T]: BOSID, y_1 … y_n, padding
	S2STargetOut = models.S2STargetOut // decoder target [B,T]: y_1 … y_n, EOSID, padding
)

// Seq2Seq is the encoder–decoder Transformer of Vaswani et al. (2017,
// "Attention Is All You Need", §3):
//
//	memory = Encoder(Dropout(√d·E_src[src] + PE))
//	logits = Decoder(Dropout(√d·E_tgt[tgt_in] + PE), memory)·W_out
//
// with N encoder layers (padded source positions masked out of the
// self-attention) and N decoder layers (causal self-attention, cross-attention
// over the memory with the source padding masked). PE is the sinusoidal
// encoding. It is trained with teacher forcing: the decoder reads the target
// shifted right behind BOSID and predicts it followed by EOSID, and the loss
// leaves out padding. With PreLN the encoder and the decoder each end with a
// LayerNorm ("encoder.norm", "decoder.norm").
//
// Embeddings are drawn from N(0, 1/Dim), so that the scaled embeddings have
// unit variance; weights of the Linear layers from Glorot's uniform
// distribution, as PyTorch's nn.Transformer; biases start at 0.
type Seq2Seq struct {
	Config  Seq2SeqConfig              // with defaults filled in
	SrcEmb  *layers.Embedding          // "src_emb", or "emb" when shared
	TgtEmb  *layers.Embedding          // "tgt_emb", or SrcEmb when shared
	PosEnc  *layers.PositionalEncoding // sinusoidal, MaxLen positions
	Drop    *layers.Dropout            // on the embeddings
	Encoder []*layers.EncoderLayer     // "encoder.layers.0" …
	Decoder []*layers.DecoderLayer     // "decoder.layers.0" …
	EncNorm *layers.LayerNorm          // "encoder.norm", PreLN only
	DecNorm *layers.LayerNorm          // "decoder.norm", PreLN only
	Head    *layers.Linear             // "head" [Dim,TargetVocab]; nil when TiedOutput

	// NoKVCache makes Greedy and Beam recompute the decoder over the whole
	// target so far at every step instead of reading the keys and values of
	// the earlier positions from a cache: the reference path, slower.
	NoKVCache bool

	m      *graph.Model
	decode map[int]*s2sPrograms // forward programs for decoding, by batch size
	steps  map[int]*s2sStep     // cached decoders, by batch size
}

// NewSeq2Seq adds an encoder–decoder Transformer configured by cfg to m.
func NewSeq2Seq(m *graph.Model, cfg Seq2SeqConfig) (*Seq2Seq, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Hidden == 0 {
		cfg.Hidden = 4 * cfg.Dim
	}
	if cfg.Activation == nil {
		cfg.Activation = layers.ReLU
	}
	s := &Seq2Seq{Config: cfg, m: m, decode: map[int]*s2sPrograms{}, steps: map[int]*s2sStep{}}
	embInit := layers.WeightInit(graph.Normal(1 / math.Sqrt(float64(cfg.Dim))))
	var err error
	if cfg.SharedEmbeddings {
		s.SrcEmb, err = layers.NewEmbedding(m, "emb", cfg.SourceVocab, cfg.Dim, embInit)
		s.TgtEmb = s.SrcEmb
	} else if s.SrcEmb, err = layers.NewEmbedding(m, "src_emb", cfg.SourceVocab, cfg.Dim, embInit); err == nil {
		s.TgtEmb, err = layers.NewEmbedding(m, "tgt_emb", cfg.TargetVocab, cfg.Dim, embInit)
	}
	if err != nil {
		return nil, errors.Wrap(err, "transformer: Seq2Seq")
	}
	if s.PosEnc, err = layers.NewSinusoidalPE(m, cfg.MaxLen, cfg.Dim); err != nil {
		return nil, errors.Wrap(err, "transformer: Seq2Seq")
	}
	if s.Drop, err = layers.NewDropout(m, cfg.Dropout); err != nil {
		return nil, errors.Wrap(err, "transformer: Seq2Seq")
	}
	opts := []layers.Option{layers.WeightInit(graph.XavierUniform()), layers.BiasInit(graph.Zeros())}
	block := layers.BlockConfig{Dim: cfg.Dim, Heads: cfg.Heads, Hidden: cfg.Hidden, Dropout: cfg.Dropout,
		Norm: cfg.Norm, Activation: cfg.Activation}
	for i := 0; i < cfg.Layers; i++ {
		l, err := layers.NewEncoderLayer(m, graph.Join("encoder.layers", strconv.Itoa(i)), block, opts...)
		if err != nil {
			return nil, errors.Wrap(err, "transformer: Seq2Seq")
		}
		s.Encoder = append(s.Encoder, l)
	}
	for i := 0; i < cfg.Layers; i++ {
		l, err := layers.NewDecoderLayer(m, graph.Join("decoder.layers", strconv.Itoa(i)), block, true, opts...)
		if err != nil {
			return nil, errors.Wrap(err, "transformer: Seq2Seq")
		}
		s.Decoder = append(s.Decoder, l)
	}
	if cfg.Norm == layers.PreLN {
		if s.EncNorm, err = layers.NewLayerNorm(m, "encoder.norm", cfg.Dim); err != nil {
			return nil, errors.Wrap(err, "transformer: Seq2Seq")
		}
		if s.DecNorm, err = layers.NewLayerNorm(m, "decoder.norm", cfg.Dim); err != nil {
			return nil, errors.Wrap(err, "transformer: Seq2Seq")
		}
	}
	if !cfg.TiedOutput {
		if s.Head, err = layers.NewLinear(m, "head", cfg.Dim, cfg.TargetVocab, opts...); err != nil {
			return nil, errors.Wrap(err, "transformer: Seq2Seq")
		}
	}
	return s, nil
}

// Model returns the graph.Model the Seq2Seq was built on.
func (s *Seq2Seq) Model() *graph.Model { return s.m }

// Vocabs returns Config.SourceVocab and Config.TargetVocab.
func (s *Seq2Seq) Vocabs() (source, target int) { return s.Config.SourceVocab, s.Config.TargetVocab }

// MaxLen returns Config.MaxLen, the longest source and target.
func (s *Seq2Seq) MaxLen() int { return s.Config.MaxLen }

// Encode runs the encoder on src [B,S] (tensor.Int, S ≤ MaxLen, padded with
// PadID) and returns the memory [B,S,Dim] and the source padding mask [B,S]
// (1 on tokens, 0 on padding) that Decode needs.
func (s *Seq2Seq) Encode(src *gorgonia.Node) (memory, srcMask *gorgonia.Node, err error) {
	if err := checkIDs("Seq2Seq", "source ids", src, s.Config.MaxLen); err != nil {
		return nil, nil, err
	}
	if srcMask, err = ops.PaddingMask(src, s.Config.PadID, s.m.Dtype()); err != nil {
		return nil, nil, errors.Wrap(err, "transformer: Seq2Seq: encoder")
	}
	x, err := s.embed(s.SrcEmb, src)
	if err != nil {
		return nil, nil, errors.Wrap(err, "transformer: Seq2Seq: encoder")
	}
	for _, l := range s.Encoder {
		if x, err = l.Forward(x, layers.Mask{KeyPadding: srcMask}); err != nil {
			return nil, nil, errors.Wrap(err, "transformer: Seq2Seq: encoder")
		}
	}
	if s.EncNorm != nil {
		if x, err = s.EncNorm.Forward(x); err != nil {
			return nil, nil, errors.Wrap(err, "transformer: Seq2Seq: encoder")
		}
	}
	return x, srcMask, nil
}

// Decode runs the decoder on tgtIn [B,T] (tensor.Int, T ≤ MaxLen: BOSID
// followed by the target so far, padded with PadID) over memory [B,S,Dim]
// with the source padding mask srcMask [B,S], both from Encode, and returns
// the logits [B,T,TargetVocab] of the next target token at every position;
// position t sees tgtIn[0…t] only.
func (s *Seq2Seq) Decode(tgtIn, memory, srcMask *gorgonia.Node) (*gorgonia.Node, error) {
	if err := checkIDs("Seq2Seq", "target ids", tgtIn, s.Config.MaxLen); err != nil {
		return nil, err
	}
	tgtMask, err := ops.PaddingMask(tgtIn, s.Config.PadID, s.m.Dtype())
	if err != nil {
		return nil, errors.Wrap(err, "transformer: Seq2Seq: decoder")
	}
	y, err := s.embed(s.TgtEmb, tgtIn)
	if err != nil {
		return nil, errors.Wrap(err, "transformer: Seq2Seq: decoder")
	}
	self := layers.Mask{Causal: true, KeyPadding: tgtMask}
	cross := layers.Mask{KeyPadding: srcMask}
	for _, l := range s.Decoder {
		if y, err = l.Forward(y, memory, self, cross); err != nil {
			return nil, errors.Wrap(err, "transformer: Seq2Seq: decoder")
		}
	}
	if s.DecNorm != nil {
		if y, err = s.DecNorm.Forward(y); err != nil {
			return nil, errors.Wrap(err, "transformer: Seq2Seq: decoder")
		}
	}
	logits, err := project(y, s.Head, s.TgtEmb)
	return logits, errors.Wrap(err, "transformer: Seq2Seq: output projection")
}

// embed returns Dropout(√Dim·emb[ids] + PE) (Vaswani et al. 2017, §3.4, §5.4).
func (s *Seq2Seq) embed(emb *layers.Embedding, ids *gorgonia.Node) (*gorgonia.Node, error) {
	x, err := emb.Forward(ids)
	if err != nil {
		return nil, err
	}
	if x, err = gorgonia.Mul(x, scalarNode(s.m, math.Sqrt(float64(s.Config.Dim)))); err != nil {
		return nil, errors.Wrap(err, "scaling the embeddings")
	}
	if x, err = s.PosEnc.Forward(x); err != nil {
		return nil, err
	}
	return s.Drop.Forward(x)
}

// Loss declares the inputs S2SSource [batch,srcLen], S2STargetIn and
// S2STargetOut [batch,tgtLen] (tensor.Int; srcLen, tgtLen ≤ MaxLen) and
// returns the mean cross-entropy of the teacher-forced decoder over the
// target positions that are not padding: the scalar to compile with
// Model.Compile. A datasets.Seq2SeqBatcher with FixedShape (MaxSourceLen =
// srcLen, MaxTargetLen = tgtLen−1) makes batches of this shape.
func (s *Seq2Seq) Loss(batch, srcLen, tgtLen int) (*gorgonia.Node, error) {
	if batch <= 0 || srcLen <= 0 || tgtLen <= 0 || srcLen > s.Config.MaxLen || tgtLen > s.Config.MaxLen {
		return nil, errors.Errorf("transformer: Seq2Seq.Loss: batch %d, source length %d, target length %d: want all positive and lengths ≤ MaxLen %d",
			batch, srcLen, tgtLen, s.Config.MaxLen)
	}
	var in [3]*gorgonia.Node
	for i, name := range []string{S2SSource, S2STargetIn, S2STargetOut} {
		length := tgtLen
		if i == 0 {
			length = srcLen
		}
		var err error
		if in[i], err = s.m.IndexInput(name, batch, length); err != nil {
			return nil, errors.Wrap(err, "transformer: Seq2Seq.Loss")
		}
	}
	return s.LossOf(in[0], in[1], in[2])
}

// LossOf returns the mean cross-entropy of the teacher-forced decoder for
// the sources src [B,S], decoder inputs tgtIn [B,T] and targets tgtOut
// [B,T] (tensor.Int nodes laid out as in Loss) over the target
// positions that are not padding. Use it to build a loss on inputs of other
// names, e.g. a validation loss in evaluation mode.
func (s *Seq2Seq) LossOf(src, tgtIn, tgtOut *gorgonia.Node) (*gorgonia.Node, error) {
	memory, srcMask, err := s.Encode(src)
	if err != nil {
		return nil, err
	}
	logits, err := s.Decode(tgtIn, memory, srcMask)
	if err != nil {
		return nil, err
	}
	loss, err := ops.CrossEntropy(logits, tgtOut, s.Config.PadID)
	return loss, errors.Wrap(err, "transformer: Seq2Seq loss")
}

// scalarNode returns a constant c in the model's element type.
func scalarNode(m *graph.Model, c float64) *gorgonia.Node {
	if m.Dtype() == tensor.Float32 {
		return gorgonia.NewConstant(float32(c))
	}
	return gorgonia.NewConstant(c)
}
