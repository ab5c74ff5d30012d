package recipe

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/models/transformer"
)

// Network is a model built from a configuration: a language model (lm) or
// a sequence-to-sequence model (s2s), exactly one of them set, on m; tlm is
// the Transformer LM behind lm, if it is one (inspect --attention).
type Network struct {
	Model *graph.Model
	LM    models.LanguageModel
	S2S   models.Seq2SeqModel
	TLM   *transformer.LM
}

// dtypeOf returns the element type model.dtype names.
func dtypeOf(name string) tensor.Dtype {
	if name == "float64" {
		return graph.Float64
	}
	return graph.Float32
}

// BuildNetwork builds the model cfg describes for a vocabulary of vocab ids.
// paramLimit, when positive, caps its parameter elements (see
// graph.Model.SetParamLimit): a checkpoint's configuration is untrusted and
// must not make the trainer allocate more than the checkpoint holds.
func BuildNetwork(cfg Config, vocab, paramLimit int) (*Network, error) {
	mc := cfg.Model
	m := graph.NewModel(dtypeOf(mc.Dtype), cfg.Train.Seed)
	m.SetParamLimit(paramLimit)
	var act layers.Activation
	if mc.Activation != "" {
		var err error
		if act, err = layers.ActivationByName(mc.Activation); err != nil {
			return nil, errors.Wrap(err, "model.activation")
		}
	}
	hidden := mc.Hidden
	if !IsTransformer(mc.Kind) && hidden == 0 {
		hidden = mc.DModel
	}
	cells := map[string]layers.CellKind{"rnn": layers.Elman, "lstm": layers.LSTM, "gru": layers.GRU}
	n := &Network{Model: m}
	var err error
	switch mc.Kind {
	case KindTransformerLM:
		pos := transformer.LearnedPositions
		if mc.Positions == "sinusoidal" {
			pos = transformer.SinusoidalPositions
		}
		n.TLM, err = transformer.NewLM(m, transformer.LMConfig{Vocab: vocab, Context: mc.Context, Dim: mc.DModel, Heads: mc.Heads,
			Layers: mc.Layers, Hidden: mc.Hidden, Dropout: mc.Dropout, NoBias: !mc.Bias, TiedHead: mc.TiedHead,
			Positions: pos, InitStd: mc.InitStd, Activation: act})
		if err == nil {
			n.LM = n.TLM
		}
	case KindRNNLM:
		var lm *rnn.LM
		lm, err = rnn.NewLM(m, rnn.LMConfig{Vocab: vocab, Embed: mc.DModel, Hidden: hidden, Layers: mc.Layers,
			Cell: cells[mc.Cell], Dropout: mc.Dropout})
		if err == nil {
			n.LM = lm
		}
	case KindTransformerS2S:
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
			n.S2S = s
		}
	case KindRNNS2S:
		attn := map[string]rnn.AttentionKind{"none": rnn.NoAttention, "bahdanau": rnn.Bahdanau, "luong": rnn.Luong}
		var s *rnn.Seq2Seq
		s, err = rnn.NewSeq2Seq(m, rnn.Seq2SeqConfig{SourceVocab: vocab, TargetVocab: vocab, Dim: mc.DModel, Hidden: hidden,
			Layers: mc.Layers, Cell: cells[mc.Cell], Bidirectional: mc.Bidirectional, Attention: attn[mc.Attention], AttentionSize: mc.AttentionSize,
			Dropout: mc.Dropout, PadID: datasets.PadID, BOSID: datasets.BOSID, EOSID: datasets.EOSID})
		if err == nil {
			n.S2S = s
		}
	default:
		err = KeyError("model.kind", "unknown kind %q", mc.Kind)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "building the %s model", mc.Kind)
	}
	return n, nil
}
