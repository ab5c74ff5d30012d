package recipe

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/models/transformer"
)

// Network is a model built from a configuration: a language model (LM) or
// a sequence-to-sequence model (S2S), exactly one of them set, on Model;
// TLM is the Transformer LM behind LM, if it is one (attention maps).
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
	m := graph.NewModel(dtypeOf(cfg.Model.Dtype), cfg.Train.Seed)
	m.SetParamLimit(paramLimit)
	return buildNetworkOn(m, cfg, vocab)
}

// buildNetworkOn builds the model cfg describes on m (a shape model, for a
// memory estimate, or a real one).
func buildNetworkOn(m *graph.Model, cfg Config, vocab int) (*Network, error) {
	mc := cfg.Model
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

// loss builds the model's loss over batches of batch rows of steps tokens
// (sources and targets of steps tokens for seq2seq), in the model's current
// mode, for memory estimates (estimateMemory).
func (n *Network) loss(batch, steps int) (*gorgonia.Node, error) {
	switch {
	case n.TLM != nil:
		return n.TLM.Loss(batch, steps)
	case n.LM == nil:
		return n.S2S.Loss(batch, steps, steps)
	}
	obj, err := n.LM.NewObjective(batch, steps)
	if err != nil {
		return nil, err
	}
	return obj.Loss, nil
}
