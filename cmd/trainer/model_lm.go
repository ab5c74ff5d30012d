package main

import (
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/safetensors"
)

// transformerLM adapts a transformer.LM to lmNet.
type transformerLM struct {
	lm *transformer.LM
}

func (t *transformerLM) batchMode() datasets.LMMode { return datasets.RandomWindows }

func (t *transformerLM) compileTrain(B, T int) (lmTrainer, error) {
	loss, err := t.lm.Loss(B, T)
	if err != nil {
		return nil, err
	}
	prog, err := t.lm.Model().Compile(loss)
	if err != nil {
		return nil, err
	}
	return &transformerLMTrainer{prog: prog}, nil
}

type transformerLMTrainer struct{ prog *graph.Program }

func (t *transformerLMTrainer) step(b datasets.LMBatch, opt graph.Optimizer) (float64, error) {
	return t.prog.Step(graph.Feeds{transformer.LMInput: b.Inputs, transformer.LMTarget: b.Targets}, opt)
}

func (t *transformerLMTrainer) carried() []safetensors.NamedTensor { return nil }

func (t *transformerLMTrainer) restoreCarried(map[string]*tensor.Dense) error { return nil }

// Input names of the evaluation program of a Transformer LM.
const (
	evalIDs     = "eval.idx"
	evalTargets = "eval.targets"
)

func (t *transformerLM) compileEval(B, T int) (lmEvaluator, error) {
	m := t.lm.Model()
	var loss *gorgonia.Node
	err := m.InEvalMode(func() error {
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
	return transformerLMEval{prog}, nil
}

type transformerLMEval struct{ prog *graph.Program }

func (transformerLMEval) reset() {}

func (e transformerLMEval) loss(inputs, targets *tensor.Dense) (float64, error) {
	out, err := e.prog.Forward(graph.Feeds{evalIDs: inputs, evalTargets: targets})
	if err != nil {
		return 0, err
	}
	return graph.Scalar(out[0])
}

// generate continues prompt by n tokens. The model reads at most Context
// tokens: while the text fits, one call of Generate draws every token; past
// that, each further token is drawn from the last Context−1 tokens, with a
// seed derived from sample.seed and the position so the text stays
// reproducible.
func (t *transformerLM) generate(prompt []int, n int, s SampleConfig) ([]int, error) {
	ctx := t.lm.Config.Context
	if len(prompt) > ctx-1 {
		prompt = prompt[len(prompt)-(ctx-1):]
	}
	smp := s.sampling()
	first := min(n, ctx-len(prompt))
	out, err := t.lm.Generate(prompt, first, smp)
	if err != nil {
		return nil, err
	}
	text := append(append([]int(nil), prompt...), out...)
	seeds := rand.New(rand.NewPCG(s.Seed, 0x5eed))
	for len(out) < n {
		smp.Seed = seeds.Uint64()
		next, err := t.lm.Generate(text[len(text)-(ctx-1):], 1, smp)
		if err != nil {
			return nil, err
		}
		text = append(text, next[0])
		out = append(out, next[0])
	}
	return out, nil
}

// rnnLM adapts an rnn.LM to lmNet.
type rnnLM struct {
	lm *rnn.LM
}

func (r *rnnLM) batchMode() datasets.LMMode { return datasets.Streams }

func (r *rnnLM) compileTrain(B, T int) (lmTrainer, error) {
	w, err := r.lm.NewWindow(B, T)
	if err != nil {
		return nil, err
	}
	prog, err := w.CompileTrain()
	if err != nil {
		return nil, err
	}
	return &rnnLMTrainer{w: w, prog: prog}, nil
}

// rnnLMTrainer trains with truncated backpropagation through time: the
// hidden state is carried from each window of a stream to the next and
// reset at the start of every epoch.
type rnnLMTrainer struct {
	w    *rnn.Window
	prog *graph.Program
}

func (r *rnnLMTrainer) step(b datasets.LMBatch, opt graph.Optimizer) (float64, error) {
	if b.Step == 0 {
		r.w.State.Reset()
	}
	return r.w.Step(r.prog, b.Inputs, b.Targets, opt)
}

// carriedPrefix names the carried state in checkpoints.
const carriedPrefix = "carried/"

func (r *rnnLMTrainer) carried() []safetensors.NamedTensor {
	names, values := r.w.State.Names(), r.w.State.Values()
	out := make([]safetensors.NamedTensor, len(names))
	for i := range names {
		out[i] = safetensors.NamedTensor{Name: carriedPrefix + names[i], T: values[i]}
	}
	return out
}

func (r *rnnLMTrainer) restoreCarried(saved map[string]*tensor.Dense) error {
	names, values := r.w.State.Names(), r.w.State.Values()
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

func (r *rnnLM) compileEval(B, T int) (lmEvaluator, error) {
	m := r.lm.Model()
	var w *rnn.Window
	err := m.InEvalMode(func() error {
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
	return &rnnLMEval{w: w, prog: prog}, nil
}

type rnnLMEval struct {
	w    *rnn.Window
	prog *graph.Program
}

func (e *rnnLMEval) reset() { e.w.State.Reset() }

func (e *rnnLMEval) loss(inputs, targets *tensor.Dense) (float64, error) {
	return e.w.Evaluate(e.prog, inputs, targets)
}

func (r *rnnLM) generate(prompt []int, n int, s SampleConfig) ([]int, error) {
	return r.lm.Generate(prompt, n, s.sampling())
}
