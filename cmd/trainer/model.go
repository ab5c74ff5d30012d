package main

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/safetensors"
)

// network is a model built from a configuration: a language model (lm) or
// a sequence-to-sequence model (s2s), exactly one of them set, on m.
type network struct {
	m   *graph.Model
	lm  lmNet
	s2s s2sNet
}

// lmNet is a language model the trainer can train, evaluate and sample.
type lmNet interface {
	// compileTrain builds and compiles the training program for [B,T]
	// batches (in training mode).
	compileTrain(B, T int) (lmTrainer, error)
	// compileEval builds, in evaluation mode, and compiles a forward
	// program of the loss on [B,T] windows.
	compileEval(B, T int) (lmEvaluator, error)
	// generate continues prompt by n tokens.
	generate(prompt []int, n int, s SampleConfig) ([]int, error)
	// batchMode is how training windows are cut: random windows for a
	// Transformer, contiguous streams for an RNN carrying its state.
	batchMode() datasets.LMMode
}

// lmTrainer runs training steps on LM batches.
type lmTrainer interface {
	step(b datasets.LMBatch, opt graph.Optimizer) (float64, error)
	// carried returns the state carried from batch to batch, to be saved
	// in checkpoints (nil when there is none), and restoreCarried sets it.
	carried() []safetensors.NamedTensor
	restoreCarried(map[string]*tensor.Dense) error
}

// lmEvaluator computes the loss of LM windows without training.
type lmEvaluator interface {
	// reset starts a new pass (an RNN forgets its state).
	reset()
	// loss returns the mean loss over the targets that are not −1.
	loss(inputs, targets *tensor.Dense) (float64, error)
}

// s2sNet is a sequence-to-sequence model the trainer can train, evaluate
// and decode.
type s2sNet interface {
	compileTrain(B, S, T int) (s2sStep, error)
	compileEval(B, S, T int) (s2sLoss, error)
	// translate decodes every source: greedily when beam ≤ 1, else by beam
	// search, at most maxLen tokens each.
	translate(src [][]int, beam int, lengthPenalty float64, maxLen int) ([][]int, error)
}

type (
	s2sStep func(b datasets.Seq2SeqBatch, opt graph.Optimizer) (float64, error)
	s2sLoss func(b datasets.Seq2SeqBatch) (float64, error)
)

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
		var lm *transformer.LM
		lm, err = transformer.NewLM(m, transformer.LMConfig{Vocab: vocab, Context: mc.Context, Dim: mc.DModel, Heads: mc.Heads,
			Layers: mc.Layers, Hidden: mc.Hidden, Dropout: mc.Dropout, NoBias: !mc.Bias, TiedHead: mc.TiedHead,
			Positions: pos, InitStd: mc.InitStd, Activation: act})
		n.lm = &transformerLM{lm: lm}
	case kindRNNLM:
		var lm *rnn.LM
		lm, err = rnn.NewLM(m, rnn.LMConfig{Vocab: vocab, Embed: mc.DModel, Hidden: hidden, Layers: mc.Layers,
			Cell: cells[mc.Cell], Dropout: mc.Dropout})
		n.lm = &rnnLM{lm: lm}
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
		n.s2s = &transformerS2S{s: s}
	case kindRNNS2S:
		attn := map[string]rnn.AttentionKind{"none": rnn.NoAttention, "bahdanau": rnn.Bahdanau, "luong": rnn.Luong}
		var s *rnn.Seq2Seq
		s, err = rnn.NewSeq2Seq(m, rnn.Seq2SeqConfig{SourceVocab: vocab, TargetVocab: vocab, Dim: mc.DModel, Hidden: hidden,
			Layers: mc.Layers, Cell: cells[mc.Cell], Bidirectional: mc.Bidirectional, Attention: attn[mc.Attention], AttentionSize: mc.AttentionSize,
			Dropout: mc.Dropout, PadID: datasets.PadID, BOSID: datasets.BOSID, EOSID: datasets.EOSID})
		n.s2s = &rnnS2S{s: s, maxLen: mc.Context}
	default:
		err = keyError("model.kind", "unknown kind %q", mc.Kind)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "building the %s model", mc.Kind)
	}
	return n, nil
}
