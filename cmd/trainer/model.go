package main

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/train"
)

// network is a model built from a configuration: a language model (lm) or
// a sequence-to-sequence model (s2s), exactly one of them set, on m; tlm is
// the Transformer LM behind lm, if it is one (inspect --attention).
type network struct {
	m   *graph.Model
	lm  train.LanguageModel
	s2s train.Seq2SeqModel
	tlm *transformer.LM
	// loss builds the model's loss over batches of batch rows of steps
	// tokens (sources and targets of steps tokens for seq2seq), in the
	// model's current mode, for memory estimates (estimateMemory).
	loss func(batch, steps int) (*gorgonia.Node, error)
}

// dtypeOf returns the element type model.dtype names.
func dtypeOf(name string) tensor.Dtype {
	if name == "float64" {
		return graph.Float64
	}
	return graph.Float32
}

// buildNetwork builds the model cfg describes for a vocabulary of vocab ids.
// paramLimit, when positive, caps its parameter elements (see
// graph.Model.SetParamLimit): a checkpoint's configuration is untrusted and
// must not make the trainer allocate more than the checkpoint holds.
func buildNetwork(cfg Config, vocab, paramLimit int) (*network, error) {
	m := graph.NewModel(dtypeOf(cfg.Model.Dtype), cfg.Train.Seed)
	m.SetParamLimit(paramLimit)
	return buildNetworkOn(m, cfg, vocab)
}

// buildNetworkOn builds the model cfg describes on m (a shape model, for a
// memory estimate, or a real one).
func buildNetworkOn(m *graph.Model, cfg Config, vocab int) (*network, error) {
	mc := cfg.Model
	var act layers.Activation
	if mc.Activation != "" {
		var err error
		if act, err = layers.ActivationByName(mc.Activation); err != nil {
			return nil, errors.Wrap(err, "model.activation")
		}
	}
	hidden := mc.Hidden
	if !isTransformer(mc.Kind) && hidden == 0 {
		hidden = mc.DModel
	}
	cells := map[string]layers.CellKind{"rnn": layers.Elman, "lstm": layers.LSTM, "gru": layers.GRU}
	n := &network{m: m}
	var err error
	switch mc.Kind {
	case kindTransformerLM:
		pos := transformer.LearnedPositions
		if mc.Positions == "sinusoidal" {
			pos = transformer.SinusoidalPositions
		}
		n.tlm, err = transformer.NewLM(m, transformer.LMConfig{Vocab: vocab, Context: mc.Context, Dim: mc.DModel, Heads: mc.Heads,
			Layers: mc.Layers, Hidden: mc.Hidden, Dropout: mc.Dropout, NoBias: !mc.Bias, TiedHead: mc.TiedHead,
			Positions: pos, InitStd: mc.InitStd, Activation: act})
		if err == nil {
			n.lm, n.loss = train.Transformer(n.tlm), n.tlm.Loss
		}
	case kindRNNLM:
		var lm *rnn.LM
		lm, err = rnn.NewLM(m, rnn.LMConfig{Vocab: vocab, Embed: mc.DModel, Hidden: hidden, Layers: mc.Layers,
			Cell: cells[mc.Cell], Dropout: mc.Dropout})
		if err == nil {
			n.lm = train.RNN(lm)
			n.loss = func(batch, steps int) (*gorgonia.Node, error) {
				o, err := lm.NewObjective(batch, steps)
				if err != nil {
					return nil, err
				}
				return o.Loss, nil
			}
		}
	case kindTransformerS2S:
		norm := layers.PostLN
		if mc.Norm == "pre_ln" {
			norm = layers.PreLN
		}
		var s *transformer.Seq2Seq
		s, err = transformer.NewSeq2Seq(m, transformer.Seq2SeqConfig{SourceVocab: vocab, TargetVocab: vocab, MaxLen: mc.Context,
			Dim: mc.DModel, Heads: mc.Heads, Layers: mc.Layers, Hidden: mc.Hidden,
			PadID: datasets.PadID, BOSID: datasets.BOSID, EOSID: datasets.EOSID,
			Dropout: mc.Dropout, Norm: norm, SharedEmbeddings: mc.SharedEmbeddings, TiedOutput: mc.TiedHead, Activation: act})
		if err == nil {
			n.s2s = train.TransformerSeq2Seq(s)
			n.loss = func(batch, steps int) (*gorgonia.Node, error) { return s.Loss(batch, steps, steps) }
		}
	case kindRNNS2S:
		attn := map[string]rnn.AttentionKind{"none": rnn.NoAttention, "bahdanau": rnn.Bahdanau, "luong": rnn.Luong}
		var s *rnn.Seq2Seq
		s, err = rnn.NewSeq2Seq(m, rnn.Seq2SeqConfig{SourceVocab: vocab, TargetVocab: vocab, Dim: mc.DModel, Hidden: hidden,
			Layers: mc.Layers, Cell: cells[mc.Cell], Bidirectional: mc.Bidirectional, Attention: attn[mc.Attention], AttentionSize: mc.AttentionSize,
			Dropout: mc.Dropout, PadID: datasets.PadID, BOSID: datasets.BOSID, EOSID: datasets.EOSID})
		if err == nil {
			n.s2s = train.RNNSeq2Seq(s, mc.Context)
			n.loss = func(batch, steps int) (*gorgonia.Node, error) { return s.Loss(batch, steps, steps) }
		}
	default:
		err = keyError("model.kind", "unknown kind %q", mc.Kind)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "building the %s model", mc.Kind)
	}
	return n, nil
}
