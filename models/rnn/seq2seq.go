package rnn

import (
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Names of the inputs declared by Seq2Seq.Loss, those of every
// models.Seq2SeqModel.
const (
	S2SSource    = models.S2SSource    // source ids [B,S], padded with PadID
	S2STargetIn  = models.S2STargetIn  // decoder input [B,T]: BOSID, y_1 … y_n, padding
	S2STargetOut = models.S2STargetOut // decoder target [B,T]: y_1 … y_n, EOSID, padding
)

// Seq2SeqConfig configures a Seq2Seq.
type Seq2SeqConfig struct {
	SourceVocab, TargetVocab int
	Dim                      int             // size of the source and target embeddings
	Hidden                   int             // hidden size of the encoder (per direction) and the decoder
	Layers                   int             // stacked layers of the encoder and of the decoder (0 means 1)
	Cell                     layers.CellKind // layers.Elman, layers.LSTM or layers.GRU
	Bidirectional            bool            // bidirectional encoder
	Attention                AttentionKind   // NoAttention, Bahdanau or Luong
	AttentionSize            int             // Bahdanau's hidden size A (0 means Hidden)
	Dropout                  float64         // between stacked layers, in training
	// PadID, BOSID and EOSID are the padding, begin- and end-of-sequence ids
	// (datasets.PadID, BOSID, EOSID). Source padding is masked out of the
	// encoder's state and of attention; target padding out of the loss.
	PadID, BOSID, EOSID int
}

// Validate returns an error naming an invalid field of c, or nil.
func (c Seq2SeqConfig) Validate() error {
	switch {
	case c.SourceVocab <= 0 || c.TargetVocab <= 0 || c.Dim <= 0 || c.Hidden <= 0 || c.Layers < 0 || c.AttentionSize < 0:
		return errors.Errorf("rnn: Seq2SeqConfig: SourceVocab %d, TargetVocab %d, Dim %d and Hidden %d must be positive, Layers %d and AttentionSize %d not negative",
			c.SourceVocab, c.TargetVocab, c.Dim, c.Hidden, c.Layers, c.AttentionSize)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return errors.Errorf("rnn: Seq2SeqConfig: Dropout %v outside [0,1)", c.Dropout)
	case c.Cell != layers.Elman && c.Cell != layers.LSTM && c.Cell != layers.GRU:
		return errors.Errorf("rnn: Seq2SeqConfig: unknown Cell %v", c.Cell)
	case c.Attention != NoAttention && c.Attention != Bahdanau && c.Attention != Luong:
		return errors.Errorf("rnn: Seq2SeqConfig: unknown Attention %v", c.Attention)
	}
	for _, id := range []struct {
		name string
		id   int
	}{{"PadID", c.PadID}, {"BOSID", c.BOSID}, {"EOSID", c.EOSID}} {
		if id.id < 0 || id.id >= c.TargetVocab || (id.name == "PadID" && id.id >= c.SourceVocab) {
			return errors.Errorf("rnn: Seq2SeqConfig: %s %d outside the vocabularies", id.name, id.id)
		}
	}
	return nil
}

// Seq2Seq is an RNN encoder–decoder (Sutskever, Vinyals & Le 2014; Cho et
// al. 2014): the encoder reads the source, the decoder starts from the
// encoder's final state and predicts the target one token at a time, fed the
// previous target token (teacher forcing) in training and its own previous
// prediction when decoding. With attention the decoder also reads, at every
// step, a weighted sum of the encoder outputs (Attention). The output at each
// step is head(s_t) without attention, head(tanh(W_c·[c_t; s_t])) with it
// (Luong et al. 2015, eq. 5; also used for Bahdanau attention here).
//
// A bidirectional encoder's final states, forward and backward, are joined
// into the decoder's initial state by the bridge: h = tanh(W_h·[h_f; h_b] +
// b_h) (and c = W_c'·[c_f; c_b] + b_c' for an LSTM), shared by the layers.
type Seq2Seq struct {
	Config          Seq2SeqConfig
	SourceEmbedding *layers.Embedding // "encoder.embedding.weight"
	TargetEmbedding *layers.Embedding // "decoder.embedding.weight"
	Encoder         *layers.RNN       // "encoder.rnn.weight_x_l0", …
	BridgeH         *layers.Linear    // "bridge.h" (bidirectional encoder only)
	BridgeC         *layers.Linear    // "bridge.c" (bidirectional LSTM encoder only)
	Decoder         *layers.RNN       // "decoder.rnn.weight_x_l0", …
	Attention       *Attention        // "attention.*"; nil without attention
	Combine         *layers.Linear    // W_c "attention.combine" [C+Hidden, Hidden]; nil without attention
	Head            *layers.Linear    // "head" [Hidden, TargetVocab]
	m               *graph.Model
	decoders        map[[2]int]*decoding
}

// NewSeq2Seq adds a Seq2Seq to m, its parameters named as the fields of
// Seq2Seq say.
func NewSeq2Seq(m *graph.Model, cfg Seq2SeqConfig) (*Seq2Seq, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Layers == 0 {
		cfg.Layers = 1
	}
	if cfg.AttentionSize == 0 {
		cfg.AttentionSize = cfg.Hidden
	}
	s := &Seq2Seq{Config: cfg, m: m, decoders: map[[2]int]*decoding{}}
	wrap := func(err error) error { return errors.Wrap(err, "rnn: Seq2Seq") }
	var err error
	if s.SourceEmbedding, err = layers.NewEmbedding(m, "encoder.embedding", cfg.SourceVocab, cfg.Dim); err != nil {
		return nil, wrap(err)
	}
	if s.TargetEmbedding, err = layers.NewEmbedding(m, "decoder.embedding", cfg.TargetVocab, cfg.Dim); err != nil {
		return nil, wrap(err)
	}
	enc := layers.RNNConfig{Cell: cfg.Cell, Input: cfg.Dim, Hidden: cfg.Hidden, Layers: cfg.Layers, Bidirectional: cfg.Bidirectional, Dropout: cfg.Dropout}
	if s.Encoder, err = layers.NewRNN(m, "encoder.rnn", enc); err != nil {
		return nil, wrap(err)
	}
	ctx := s.Encoder.OutputSize()
	if cfg.Bidirectional {
		if s.BridgeH, err = layers.NewLinear(m, "bridge.h", ctx, cfg.Hidden); err != nil {
			return nil, wrap(err)
		}
		if cfg.Cell == layers.LSTM {
			if s.BridgeC, err = layers.NewLinear(m, "bridge.c", ctx, cfg.Hidden); err != nil {
				return nil, wrap(err)
			}
		}
	}
	dec := layers.RNNConfig{Cell: cfg.Cell, Input: cfg.Dim, Hidden: cfg.Hidden, Layers: cfg.Layers, Dropout: cfg.Dropout}
	if cfg.Attention == Bahdanau {
		dec.Input += ctx
	}
	if s.Decoder, err = layers.NewRNN(m, "decoder.rnn", dec); err != nil {
		return nil, wrap(err)
	}
	if cfg.Attention != NoAttention {
		if s.Attention, err = newAttention(m, "attention", cfg.Attention, cfg.Hidden, ctx, cfg.AttentionSize); err != nil {
			return nil, wrap(err)
		}
		if s.Combine, err = layers.NewLinear(m, "attention.combine", ctx+cfg.Hidden, cfg.Hidden); err != nil {
			return nil, wrap(err)
		}
	}
	if s.Head, err = layers.NewLinear(m, "head", cfg.Hidden, cfg.TargetVocab); err != nil {
		return nil, wrap(err)
	}
	return s, nil
}

// Model returns the graph.Model the Seq2Seq belongs to.
func (s *Seq2Seq) Model() *graph.Model { return s.m }

// encoded is the encoder's result for a batch: what attention reads and the
// decoder's initial state.
type encoded struct {
	mem  memory
	init []layers.State
}

// encode runs the encoder over src [B,S] (tensor.Int, padded with PadID).
func (s *Seq2Seq) encode(src *gorgonia.Node) (encoded, error) {
	var e encoded
	mask, err := ops.PaddingMask(src, s.Config.PadID, s.m.Dtype())
	if err != nil {
		return e, err
	}
	var final []layers.State
	if e.mem.enc, final, err = s.Encoder.RunStacked(layers.Sequence{Tokens: src, Embedding: s.SourceEmbedding, Mask: mask}, nil); err != nil {
		return e, err
	}
	e.mem.keys = e.mem.enc
	if s.Attention != nil {
		if e.mem, err = s.Attention.memoryOf(e.mem.enc, mask); err != nil {
			return e, err
		}
	}
	if !s.Config.Bidirectional {
		e.init = final
		return e, nil
	}
	for l := 0; l < s.Config.Layers; l++ {
		f, b := final[2*l], final[2*l+1]
		var st layers.State
		if st.H, err = bridge(s.BridgeH, f.H, b.H, true); err != nil {
			return e, err
		}
		if s.BridgeC != nil {
			if st.C, err = bridge(s.BridgeC, f.C, b.C, false); err != nil {
				return e, err
			}
		}
		e.init = append(e.init, st)
	}
	return e, nil
}

// bridge returns lin([f; b]), through tanh when squash is set.
func bridge(lin *layers.Linear, f, b *gorgonia.Node, squash bool) (*gorgonia.Node, error) {
	x, err := ops.Concat(1, f, b)
	if err != nil {
		return nil, err
	}
	if x, err = lin.Forward(x); err != nil || !squash {
		return x, err
	}
	return gorgonia.Tanh(x)
}

// output returns the pre-head output of a step, or of every step at once:
// s without attention, else tanh(W_c·[c; s]) for s and c [B,H] and [B,C]
// (or [B,T,H] and [B,T,C]).
func (s *Seq2Seq) output(state, ctx *gorgonia.Node) (*gorgonia.Node, error) {
	if s.Attention == nil {
		return state, nil
	}
	x, err := ops.Concat(-1, ctx, state)
	if err == nil {
		x, err = s.Combine.Forward(x)
	}
	if err == nil {
		x, err = gorgonia.Tanh(x)
	}
	return x, err
}

// step runs one decoder step from the embedded input token x [B,E] and the
// state st, and returns the pre-head output [B,H] and the next state.
func (s *Seq2Seq) step(x *gorgonia.Node, st []layers.State, mem memory) (*gorgonia.Node, []layers.State, error) {
	batch := x.Shape()[0]
	var ctx *gorgonia.Node
	query := func(h *gorgonia.Node) error {
		q, err := gorgonia.Reshape(h, tensor.Shape{batch, 1, s.Config.Hidden})
		if err != nil {
			return err
		}
		if ctx, _, err = s.Attention.context(q, mem); err != nil {
			return err
		}
		ctx, err = gorgonia.Reshape(ctx, tensor.Shape{batch, s.Encoder.OutputSize()})
		return err
	}
	if s.Config.Attention == Bahdanau { // query with the state before the step
		if err := query(st[len(st)-1].H); err != nil {
			return nil, nil, err
		}
		var err error
		if x, err = ops.Concat(1, x, ctx); err != nil {
			return nil, nil, err
		}
	}
	ys, next, err := s.Decoder.Run(layers.Sequence{Steps: []*gorgonia.Node{x}}, st)
	if err != nil {
		return nil, nil, err
	}
	if s.Config.Attention == Luong { // query with the state after the step
		if err := query(ys[0]); err != nil {
			return nil, nil, err
		}
	}
	out, err := s.output(ys[0], ctx)
	return out, next, err
}

// Logits returns the decoder's logits [B,T,TargetVocab] under teacher
// forcing: src [B,S] and tgtIn [B,T] are tensor.Int nodes (source ids padded
// with PadID; BOSID followed by the target, padded).
func (s *Seq2Seq) Logits(src, tgtIn *gorgonia.Node) (*gorgonia.Node, error) {
	for _, ids := range []*gorgonia.Node{src, tgtIn} {
		if ids == nil || ids.Dtype() != tensor.Int || ids.Dims() != 2 || ids.Shape()[0] != src.Shape()[0] {
			return nil, errors.Errorf("rnn: Seq2Seq: source and decoder input must be tensor.Int [B,S] and [B,T] with one B")
		}
	}
	e, err := s.encode(src)
	if err != nil {
		return nil, errors.Wrap(err, "rnn: Seq2Seq: encoder")
	}
	var out *gorgonia.Node // [B,T,H]
	if s.Config.Attention == Bahdanau {
		// The context enters each step's input: unroll step by step.
		ids, err := layers.SplitTokens(s.m, tgtIn)
		if err != nil {
			return nil, err
		}
		st, outs := e.init, make([]*gorgonia.Node, len(ids))
		for t, id := range ids {
			x, err := s.TargetEmbedding.Forward(id)
			if err != nil {
				return nil, err
			}
			if outs[t], st, err = s.step(x, st, e.mem); err != nil {
				return nil, errors.Wrapf(err, "rnn: Seq2Seq: decoder step %d", t)
			}
		}
		out, err = layers.StackSteps(outs)
	} else {
		// The decoder's input does not depend on attention: run it over all
		// steps, then attend from every step at once.
		out, err = s.decodeAll(tgtIn, e)
	}
	if err != nil {
		return nil, errors.Wrap(err, "rnn: Seq2Seq: decoder")
	}
	logits, err := s.Head.Forward(out)
	return logits, errors.Wrap(err, "rnn: Seq2Seq: head")
}

// decodeAll runs the decoder without attention feedback over tgtIn and
// returns the pre-head outputs [B,T,H].
func (s *Seq2Seq) decodeAll(tgtIn *gorgonia.Node, e encoded) (*gorgonia.Node, error) {
	states, _, err := s.Decoder.RunStacked(layers.Sequence{Tokens: tgtIn, Embedding: s.TargetEmbedding}, e.init)
	if err != nil || s.Attention == nil {
		return states, err
	}
	ctx, _, err := s.Attention.context(states, e.mem)
	if err != nil {
		return nil, err
	}
	return s.output(states, ctx)
}

// Loss declares the inputs S2SSource [batch,srcLen], S2STargetIn and
// S2STargetOut [batch,tgtLen] (all tensor.Int) and returns the mean
// cross-entropy of the teacher-forced predictions over the target positions
// that are not PadID.
func (s *Seq2Seq) Loss(batch, srcLen, tgtLen int) (*gorgonia.Node, error) {
	src, err := s.m.IndexInput(S2SSource, batch, srcLen)
	if err != nil {
		return nil, errors.Wrap(err, "rnn: Seq2Seq.Loss")
	}
	tgtIn, err := s.m.IndexInput(S2STargetIn, batch, tgtLen)
	if err != nil {
		return nil, errors.Wrap(err, "rnn: Seq2Seq.Loss")
	}
	tgtOut, err := s.m.IndexInput(S2STargetOut, batch, tgtLen)
	if err != nil {
		return nil, errors.Wrap(err, "rnn: Seq2Seq.Loss")
	}
	return s.LossOf(src, tgtIn, tgtOut)
}

// LossOf is Loss on given input nodes, e.g. of other names for a validation
// loss built in evaluation mode.
func (s *Seq2Seq) LossOf(src, tgtIn, tgtOut *gorgonia.Node) (*gorgonia.Node, error) {
	logits, err := s.Logits(src, tgtIn)
	if err != nil {
		return nil, err
	}
	loss, err := ops.CrossEntropy(logits, tgtOut, s.Config.PadID)
	return loss, errors.Wrap(err, "rnn: Seq2Seq loss")
}
