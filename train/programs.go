package train

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/safetensors"
)

// lmProgram is a compiled program of a language model's objective on
// [B,T] windows: a training program (Step) or an evaluation one (Loss),
// the state the model carries from window to window included.
type lmProgram struct {
	obj  *models.Objective
	prog *graph.Program
}

// compileLM builds the objective of lm on [B,T] windows, in evaluation
// mode when eval is set, and compiles its training or forward program.
func compileLM(lm models.LanguageModel, B, T int, eval bool) (*lmProgram, error) {
	m := lm.Model()
	var obj *models.Objective
	build := func() error {
		var err error
		obj, err = lm.NewObjective(B, T)
		return err
	}
	var err error
	if eval {
		err = m.InEvalMode(build)
	} else {
		err = build()
	}
	if err != nil {
		return nil, err
	}
	p := &lmProgram{obj: obj}
	if eval {
		p.prog, err = m.CompileForward(append([]*gorgonia.Node{obj.Loss}, obj.Outputs()...)...)
	} else {
		p.prog, err = m.Compile(obj.Loss, obj.Outputs()...)
	}
	return p, err
}

// step trains on one window and carries the state to the next. A model
// without carried state skips Outputs: it allocates the scalar loss anew
// at every call (the trainer's RSS grew 28% over 2,000 steps with it).
func (p *lmProgram) step(inputs, targets *tensor.Dense, opt graph.Optimizer) (float64, error) {
	feeds, err := p.obj.Feeds(inputs, targets)
	if err != nil {
		return 0, err
	}
	loss, err := p.prog.Step(feeds, opt)
	if err != nil || p.obj.State == nil {
		return loss, err
	}
	outs, err := p.prog.Outputs()
	if err != nil {
		return loss, err
	}
	return loss, p.obj.Carry(outs)
}

// loss computes the loss of one window and carries the state to the next.
func (p *lmProgram) loss(inputs, targets *tensor.Dense) (float64, error) {
	feeds, err := p.obj.Feeds(inputs, targets)
	if err != nil {
		return 0, err
	}
	outs, err := p.prog.Forward(feeds)
	if err != nil {
		return 0, err
	}
	if err := p.obj.Carry(outs); err != nil {
		return 0, err
	}
	return graph.Scalar(outs[0])
}

// carried returns the state carried into the next window, tensors [B, …];
// nil for a model that carries none.
func (p *lmProgram) carried() []safetensors.NamedTensor {
	if p.obj.State == nil {
		return nil
	}
	names, values := p.obj.State.Names(), p.obj.State.Values()
	out := make([]safetensors.NamedTensor, len(names))
	for i := range names {
		out[i] = safetensors.NamedTensor{Name: names[i], T: values[i]}
	}
	return out
}

// setCarried replaces the carried state by saved (by name).
func (p *lmProgram) setCarried(saved map[string]*tensor.Dense) error {
	if p.obj.State == nil {
		return nil
	}
	names, values := p.obj.State.Names(), p.obj.State.Values()
	for i, name := range names {
		t, ok := saved[name]
		if !ok {
			return errors.Errorf("the checkpoint lacks the carried state %q", carriedPrefix+name)
		}
		if t.Dtype() != values[i].Dtype() || !t.Shape().Eq(values[i].Shape()) {
			return errors.Errorf("carried state %q is %v %v in the checkpoint, the model needs %v %v",
				carriedPrefix+name, t.Dtype(), t.Shape(), values[i].Dtype(), values[i].Shape())
		}
		if err := tensor.Copy(values[i], t); err != nil {
			return errors.Wrapf(err, "restoring %q", carriedPrefix+name)
		}
	}
	return nil
}

// s2sProgram runs a compiled program of a sequence-to-sequence model on a
// batch: a training step with an optimizer, the loss without one.
type s2sProgram func(b datasets.Seq2SeqBatch, opt graph.Optimizer) (float64, error)

// Input names of the evaluation program of a seq2seq model.
const (
	evalSource = "eval.src"
	evalTgtIn  = "eval.tgt_in"
	evalTgtOut = "eval.tgt_out"
)

// compileS2S compiles the training program of s for [B,S] sources and [B,T]
// targets, or with eval a forward program of the loss, built in evaluation
// mode on inputs of its own names.
func compileS2S(s models.Seq2SeqModel, B, S, T int, eval bool) (s2sProgram, error) {
	m := s.Model()
	names := [3]string{models.S2SSource, models.S2STargetIn, models.S2STargetOut}
	var loss *gorgonia.Node
	var err error
	if eval {
		names = [3]string{evalSource, evalTgtIn, evalTgtOut}
		err = m.InEvalMode(func() error {
			var in [3]*gorgonia.Node
			for i, name := range names {
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
	} else {
		loss, err = s.Loss(B, S, T)
	}
	if err != nil {
		return nil, err
	}
	feeds := func(b datasets.Seq2SeqBatch) graph.Feeds {
		return graph.Feeds{names[0]: b.Source, names[1]: b.DecoderInput, names[2]: b.Target}
	}
	if eval {
		prog, err := m.CompileForward(loss)
		if err != nil {
			return nil, err
		}
		return func(b datasets.Seq2SeqBatch, _ graph.Optimizer) (float64, error) {
			out, err := prog.Forward(feeds(b))
			if err != nil {
				return 0, err
			}
			return graph.Scalar(out[0])
		}, nil
	}
	prog, err := m.Compile(loss)
	if err != nil {
		return nil, err
	}
	return func(b datasets.Seq2SeqBatch, opt graph.Optimizer) (float64, error) {
		return prog.Step(feeds(b), opt)
	}, nil
}
