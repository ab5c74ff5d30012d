package train

import (
	"context"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/models/sampling"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/safetensors"
)

// LanguageModel is what LMTask needs of a language model. Transformer and
// RNN adapt gorgonet's two.
type LanguageModel interface {
	Model() *graph.Model
	// Stateful reports whether the model carries its state from window to
	// window (datasets.Streams batches), not reading independent random
	// windows (datasets.RandomWindows).
	Stateful() bool
	// CompileTrain compiles the training program on [B,T] windows, in
	// training mode; CompileEval a forward program of the loss, in
	// evaluation mode.
	CompileTrain(B, T int) (LMProgram, error)
	CompileEval(B, T int) (LMProgram, error)
	// Generate continues prompt, of any length, by n tokens.
	Generate(ctx context.Context, prompt []int, n int, s sampling.Sampling) ([]int, error)
}

// LMProgram is a compiled program of a language model on [B,T] windows of
// tensor.Int ids; targets of −1 are left out of the loss, a mean per
// target token.
type LMProgram interface {
	// Step trains on one window (training programs).
	Step(inputs, targets *tensor.Dense, opt graph.Optimizer) (float64, error)
	// Loss computes the loss of a window (evaluation programs).
	Loss(inputs, targets *tensor.Dense) (float64, error)
	// Carried returns the state carried into the next window, tensors
	// [B, …]; nil for a stateless model. SetCarried replaces it; Reset
	// zeroes it.
	Carried() []safetensors.NamedTensor
	SetCarried(map[string]*tensor.Dense) error
	Reset()
}

// Transformer adapts a transformer.LM to LanguageModel.
func Transformer(lm *transformer.LM) LanguageModel { return transformerLM{lm} }

type transformerLM struct{ lm *transformer.LM }

func (t transformerLM) Model() *graph.Model { return t.lm.Model() }
func (transformerLM) Stateful() bool        { return false }

func (t transformerLM) CompileTrain(B, T int) (LMProgram, error) {
	loss, err := t.lm.Loss(B, T)
	if err != nil {
		return nil, err
	}
	prog, err := t.lm.Model().Compile(loss)
	if err != nil {
		return nil, err
	}
	return &transformerProgram{prog: prog, ids: transformer.LMInput, targets: transformer.LMTarget}, nil
}

// Input names of the evaluation program of a Transformer LM.
const (
	evalIDs     = "eval.idx"
	evalTargets = "eval.targets"
)

func (t transformerLM) CompileEval(B, T int) (LMProgram, error) {
	m := t.lm.Model()
	var loss *gorgonia.Node
	err := inEvalMode(m, func() error {
		ids, err := m.IndexInput(evalIDs, B, T)
		if err != nil {
			return err
		}
		targets, err := m.IndexInput(evalTargets, B, T)
		if err != nil {
			return err
		}
		loss, err = t.lm.LossOf(ids, targets)
		return err
	})
	if err != nil {
		return nil, errors.Wrap(err, "building the evaluation graph")
	}
	prog, err := m.CompileForward(loss)
	if err != nil {
		return nil, err
	}
	return &transformerProgram{prog: prog, ids: evalIDs, targets: evalTargets}, nil
}

// Generate continues prompt by n tokens. The model reads at most Context
// tokens: while the text fits, one call of Generate draws every token; past
// that, each further token is drawn from the last Context−1 tokens, with a
// seed derived from s.Seed and the position so the text stays
// reproducible. ctx is checked between tokens.
func (t transformerLM) Generate(ctx context.Context, prompt []int, n int, s sampling.Sampling) ([]int, error) {
	window := t.lm.Config.Context
	if len(prompt) > window-1 {
		prompt = prompt[len(prompt)-(window-1):]
	}
	first := min(n, window-len(prompt))
	out, err := t.lm.Generate(prompt, first, s)
	if err != nil {
		return nil, err
	}
	text := append(append([]int(nil), prompt...), out...)
	seeds := rand.New(rand.NewPCG(s.Seed, 0x5eed))
	for len(out) < n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.Seed = seeds.Uint64()
		next, err := t.lm.Generate(text[len(text)-(window-1):], 1, s)
		if err != nil {
			return nil, err
		}
		text = append(text, next[0])
		out = append(out, next[0])
	}
	return out, nil
}

type transformerProgram struct {
	prog         *graph.Program
	ids, targets string
}

func (p *transformerProgram) Step(inputs, targets *tensor.Dense, opt graph.Optimizer) (float64, error) {
	return p.prog.Step(graph.Feeds{p.ids: inputs, p.targets: targets}, opt)
}

func (p *transformerProgram) Loss(inputs, targets *tensor.Dense) (float64, error) {
	out, err := p.prog.Forward(graph.Feeds{p.ids: inputs, p.targets: targets})
	if err != nil {
		return 0, err
	}
	return graph.Scalar(out[0])
}

func (*transformerProgram) Carried() []safetensors.NamedTensor        { return nil }
func (*transformerProgram) SetCarried(map[string]*tensor.Dense) error { return nil }
func (*transformerProgram) Reset()                                    {}

// RNN adapts an rnn.LM to LanguageModel: truncated backpropagation through
// time, the hidden state carried from each window of a stream to the next.
func RNN(lm *rnn.LM) LanguageModel { return rnnLM{lm} }

type rnnLM struct{ lm *rnn.LM }

func (r rnnLM) Model() *graph.Model { return r.lm.Model() }
func (rnnLM) Stateful() bool        { return true }

func (r rnnLM) CompileTrain(B, T int) (LMProgram, error) {
	w, err := r.lm.NewWindow(B, T)
	if err != nil {
		return nil, err
	}
	prog, err := w.CompileTrain()
	if err != nil {
		return nil, err
	}
	return &rnnProgram{w: w, prog: prog}, nil
}

func (r rnnLM) CompileEval(B, T int) (LMProgram, error) {
	m := r.lm.Model()
	var w *rnn.Window
	err := inEvalMode(m, func() error {
		var err error
		w, err = r.lm.NewWindow(B, T)
		return err
	})
	if err != nil {
		return nil, errors.Wrap(err, "building the evaluation graph")
	}
	prog, err := w.CompileEval()
	if err != nil {
		return nil, err
	}
	return &rnnProgram{w: w, prog: prog}, nil
}

func (r rnnLM) Generate(ctx context.Context, prompt []int, n int, s sampling.Sampling) ([]int, error) {
	return r.lm.Generate(prompt, n, s)
}

type rnnProgram struct {
	w    *rnn.Window
	prog *graph.Program
}

func (p *rnnProgram) Step(inputs, targets *tensor.Dense, opt graph.Optimizer) (float64, error) {
	return p.w.Step(p.prog, inputs, targets, opt)
}

func (p *rnnProgram) Loss(inputs, targets *tensor.Dense) (float64, error) {
	return p.w.Evaluate(p.prog, inputs, targets)
}

func (p *rnnProgram) Reset() { p.w.State.Reset() }

func (p *rnnProgram) Carried() []safetensors.NamedTensor {
	names, values := p.w.State.Names(), p.w.State.Values()
	out := make([]safetensors.NamedTensor, len(names))
	for i := range names {
		out[i] = safetensors.NamedTensor{Name: names[i], T: values[i]}
	}
	return out
}

func (p *rnnProgram) SetCarried(saved map[string]*tensor.Dense) error {
	names, values := p.w.State.Names(), p.w.State.Values()
	for i, name := range names {
		t, ok := saved[name]
		if !ok {
			return errors.Errorf("the checkpoint lacks the carried RNN state %q", carriedPrefix+name)
		}
		if t.Dtype() != values[i].Dtype() || !t.Shape().Eq(values[i].Shape()) {
			return errors.Errorf("carried RNN state %q is %v %v in the checkpoint, the model needs %v %v",
				carriedPrefix+name, t.Dtype(), t.Shape(), values[i].Dtype(), values[i].Shape())
		}
		if err := tensor.Copy(values[i], t); err != nil {
			return errors.Wrapf(err, "restoring %q", carriedPrefix+name)
		}
	}
	return nil
}

// Seq2SeqModel is what Seq2SeqTask needs of a sequence-to-sequence model.
// TransformerSeq2Seq and RNNSeq2Seq adapt gorgonet's two.
type Seq2SeqModel interface {
	Model() *graph.Model
	// CompileTrain compiles the training program on [B,S] sources and [B,T]
	// targets, in training mode; CompileEval a forward program of the loss,
	// in evaluation mode. The loss is the mean per non-padding target token.
	CompileTrain(B, S, T int) (Seq2SeqProgram, error)
	CompileEval(B, S, T int) (Seq2SeqProgram, error)
	// Translate decodes every source: greedily when beam ≤ 1, else by beam
	// search, at most maxLen tokens each.
	Translate(ctx context.Context, src [][]int, beam int, lengthPenalty float64, maxLen int) ([][]int, error)
}

// Seq2SeqProgram runs a compiled program of a sequence-to-sequence model.
type Seq2SeqProgram func(b datasets.Seq2SeqBatch, opt graph.Optimizer) (float64, error)

// s2sGraph is what both sequence-to-sequence models offer to build their
// programs.
type s2sGraph interface {
	Model() *graph.Model
	Loss(batch, srcLen, tgtLen int) (*gorgonia.Node, error)
	LossOf(src, tgtIn, tgtOut *gorgonia.Node) (*gorgonia.Node, error)
}

// Input names of the evaluation program of a seq2seq model.
const (
	evalSource = "eval.src"
	evalTgtIn  = "eval.tgt_in"
	evalTgtOut = "eval.tgt_out"
)

func s2sFeeds(src, in, out string, b datasets.Seq2SeqBatch) graph.Feeds {
	return graph.Feeds{src: b.Source, in: b.DecoderInput, out: b.Target}
}

// compileS2STrain compiles the training program of s for [B,S] sources and
// [B,T] targets.
func compileS2STrain(s s2sGraph, B, S, T int) (Seq2SeqProgram, error) {
	loss, err := s.Loss(B, S, T)
	if err != nil {
		return nil, err
	}
	prog, err := s.Model().Compile(loss)
	if err != nil {
		return nil, err
	}
	return func(b datasets.Seq2SeqBatch, opt graph.Optimizer) (float64, error) {
		return prog.Step(s2sFeeds(transformer.S2SSource, transformer.S2STargetIn, transformer.S2STargetOut, b), opt)
	}, nil
}

// compileS2SEval compiles, in evaluation mode, a forward program of the loss
// of s on inputs of their own names; it ignores its optimizer.
func compileS2SEval(s s2sGraph, B, S, T int) (Seq2SeqProgram, error) {
	m := s.Model()
	var loss *gorgonia.Node
	err := inEvalMode(m, func() error {
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
	return func(b datasets.Seq2SeqBatch, _ graph.Optimizer) (float64, error) {
		out, err := prog.Forward(s2sFeeds(evalSource, evalTgtIn, evalTgtOut, b))
		if err != nil {
			return 0, err
		}
		return graph.Scalar(out[0])
	}, nil
}

// TransformerSeq2Seq adapts a transformer.Seq2Seq to Seq2SeqModel.
func TransformerSeq2Seq(s *transformer.Seq2Seq) Seq2SeqModel { return transformerS2S{s} }

type transformerS2S struct{ s *transformer.Seq2Seq }

func (t transformerS2S) Model() *graph.Model { return t.s.Model() }
func (t transformerS2S) CompileTrain(B, S, T int) (Seq2SeqProgram, error) {
	return compileS2STrain(t.s, B, S, T)
}
func (t transformerS2S) CompileEval(B, S, T int) (Seq2SeqProgram, error) {
	return compileS2SEval(t.s, B, S, T)
}

func (t transformerS2S) Translate(ctx context.Context, src [][]int, beam int, lengthPenalty float64, maxLen int) ([][]int, error) {
	maxLen = min(maxLen, t.s.Config.MaxLen)
	if beam <= 1 {
		return t.s.Greedy(src, maxLen)
	}
	out := make([][]int, len(src))
	for i, s := range src {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var err error
		if out[i], err = t.s.Beam(s, beam, lengthPenalty, maxLen); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RNNSeq2Seq adapts an rnn.Seq2Seq, whose outputs are at most maxLen
// tokens, to Seq2SeqModel.
func RNNSeq2Seq(s *rnn.Seq2Seq, maxLen int) Seq2SeqModel { return rnnS2S{s, maxLen} }

type rnnS2S struct {
	s      *rnn.Seq2Seq
	maxLen int
}

func (r rnnS2S) Model() *graph.Model { return r.s.Model() }
func (r rnnS2S) CompileTrain(B, S, T int) (Seq2SeqProgram, error) {
	return compileS2STrain(r.s, B, S, T)
}
func (r rnnS2S) CompileEval(B, S, T int) (Seq2SeqProgram, error) {
	return compileS2SEval(r.s, B, S, T)
}

func (r rnnS2S) Translate(_ context.Context, src [][]int, beam int, _ float64, maxLen int) ([][]int, error) {
	if beam > 1 {
		return nil, errors.New("beam search is available for transformer_seq2seq models; rnn_seq2seq decodes greedily (use --beam 1)")
	}
	return r.s.Greedy(src, min(maxLen, r.maxLen))
}

// inEvalMode runs build with m in evaluation mode (no dropout) and restores
// the mode.
func inEvalMode(m *graph.Model, build func() error) error {
	prev := m.Training()
	m.SetTraining(false)
	defer m.SetTraining(prev)
	return build()
}
