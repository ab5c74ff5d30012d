package main

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/models/transformer"
)

// s2sModel is what both sequence-to-sequence models offer the trainer.
type s2sModel interface {
	Model() *graph.Model
	Loss(batch, srcLen, tgtLen int) (*gorgonia.Node, error)
	LossOf(src, tgtIn, tgtOut *gorgonia.Node) (*gorgonia.Node, error)
}

// Input names of the training program (the same for both models) and of
// the evaluation program.
const (
	s2sSource    = transformer.S2SSource
	s2sTargetIn  = transformer.S2STargetIn
	s2sTargetOut = transformer.S2STargetOut
	evalSource   = "eval.src"
	evalTgtIn    = "eval.tgt_in"
	evalTgtOut   = "eval.tgt_out"
)

func s2sFeeds(src, in, out string, b datasets.Seq2SeqBatch) graph.Feeds {
	return graph.Feeds{src: b.Source, in: b.DecoderInput, out: b.Target}
}

// compileS2STrain compiles the training program of s for [B,S] sources and
// [B,T] targets.
func compileS2STrain(s s2sModel, B, S, T int) (s2sStep, error) {
	loss, err := s.Loss(B, S, T)
	if err != nil {
		return nil, err
	}
	prog, err := s.Model().Compile(loss)
	if err != nil {
		return nil, err
	}
	return func(b datasets.Seq2SeqBatch, opt graph.Optimizer) (float64, error) {
		return prog.Step(s2sFeeds(s2sSource, s2sTargetIn, s2sTargetOut, b), opt)
	}, nil
}

// compileS2SEval compiles, in evaluation mode, a forward program of the loss
// of s on inputs of their own names.
func compileS2SEval(s s2sModel, B, S, T int) (s2sLoss, error) {
	m := s.Model()
	var loss *gorgonia.Node
	err := m.InEvalMode(func() error {
		var in [3]*gorgonia.Node
		for i, name := range []string{evalSource, evalTgtIn, evalTgtOut} {
			length := T
			if i == 0 {
				length = S
			}
			var err error
			if in[i], err = m.IndexInput(name, B, length); err != nil {
				return err
			}
		}
		var err error
		loss, err = s.LossOf(in[0], in[1], in[2])
		return err
	})
	if err != nil {
		return nil, errors.Wrap(err, "building the evaluation graph")
	}
	prog, err := m.CompileForward(loss)
	if err != nil {
		return nil, err
	}
	return func(b datasets.Seq2SeqBatch) (float64, error) {
		out, err := prog.Forward(s2sFeeds(evalSource, evalTgtIn, evalTgtOut, b))
		if err != nil {
			return 0, err
		}
		return graph.Scalar(out[0])
	}, nil
}

// transformerS2S adapts a transformer.Seq2Seq to s2sNet.
type transformerS2S struct{ s *transformer.Seq2Seq }

func (t *transformerS2S) compileTrain(B, S, T int) (s2sStep, error) {
	return compileS2STrain(t.s, B, S, T)
}
func (t *transformerS2S) compileEval(B, S, T int) (s2sLoss, error) {
	return compileS2SEval(t.s, B, S, T)
}

func (t *transformerS2S) translate(src [][]int, beam int, lengthPenalty float64, maxLen int) ([][]int, error) {
	maxLen = min(maxLen, t.s.Config.MaxLen)
	if beam <= 1 {
		return t.s.Greedy(src, maxLen)
	}
	out := make([][]int, len(src))
	for i, s := range src {
		var err error
		if out[i], err = t.s.Beam(s, beam, lengthPenalty, maxLen); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// rnnS2S adapts an rnn.Seq2Seq to s2sNet.
type rnnS2S struct {
	s      *rnn.Seq2Seq
	maxLen int
}

func (r *rnnS2S) compileTrain(B, S, T int) (s2sStep, error) { return compileS2STrain(r.s, B, S, T) }
func (r *rnnS2S) compileEval(B, S, T int) (s2sLoss, error)  { return compileS2SEval(r.s, B, S, T) }

func (r *rnnS2S) translate(src [][]int, beam int, _ float64, maxLen int) ([][]int, error) {
	if beam > 1 {
		return nil, errors.New("beam search is available for transformer_seq2seq models; rnn_seq2seq decodes greedily (use --beam 1)")
	}
	return r.s.Greedy(src, min(maxLen, r.maxLen))
}
