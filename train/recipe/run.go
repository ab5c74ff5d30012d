package recipe

import (
	"context"
	"fmt"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/distributed"
	"github.com/gorgonet/gorgonet/optim"
	"github.com/gorgonet/gorgonet/train"
)

// Run is a training run: the configuration, the model, its data and the
// train.Loop over them.
type Run struct {
	Config   Config
	Net      *Network
	Tok      datasets.Tokenizer
	Loop     *train.Loop
	Schedule optim.Schedule
	Describe string          // what the data is, for the log
	Memory   MemoryEstimate  // of the run's programs, checked before they were built
	Examples []datasets.Pair // seq2seq pairs decoded after training
}

// Options are how a run is built besides its configuration.
type Options struct {
	// Tok encodes the data; nil builds the tokenizer data.tokenizer names
	// from the data.
	Tok datasets.Tokenizer
	// ParamLimit > 0 caps the model's parameter elements
	// (graph.Model.SetParamLimit), as for a model built from a checkpoint's
	// untrusted configuration.
	ParamLimit int
	// Comm and CheckReplicas are the loop's (train.Loop): data-parallel
	// training over the processes of Comm; nil is this process alone.
	Comm          distributed.Comm
	CheckReplicas bool
}

// NewRun loads the data, builds the model, its programs, the optimizer and
// the loop for cfg.
func NewRun(ctx context.Context, cfg Config, o Options) (*Run, error) {
	r := &Run{Config: cfg}
	var lm *LMData
	var s2s *S2SData
	var err error
	if IsSeq2Seq(cfg.Model.Kind) {
		if s2s, err = LoadS2SData(ctx, cfg, o.Tok); err == nil {
			r.Tok = s2s.Tok
		}
	} else if lm, err = LoadLMData(ctx, cfg, o.Tok); err == nil {
		r.Tok = lm.Tok
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.Memory, err = CheckMemory(cfg, r.Tok.VocabSize(), o.ParamLimit, true); err != nil {
		return nil, err
	}
	if r.Net, err = BuildNetwork(cfg, r.Tok.VocabSize(), o.ParamLimit); err != nil {
		return nil, err
	}
	processes := 1
	if o.Comm != nil {
		processes = o.Comm.Size()
	}
	task, err := r.newTask(lm, s2s, processes)
	if err != nil {
		return nil, err
	}
	opt, sched, err := BuildOptimizer(cfg)
	if err != nil {
		return nil, err
	}
	tc := cfg.Train
	r.Schedule = sched
	r.Loop = train.NewLoop(task, opt, tc.Steps)
	r.Loop.Schedule, r.Loop.Accumulate, r.Loop.Patience = sched, tc.Accumulate, tc.Patience
	r.Loop.EvalEvery, r.Loop.EvalBatches, r.Loop.SaveEvery, r.Loop.LogEvery = tc.EvalEvery, tc.EvalBatches, tc.SaveEvery, tc.LogEvery
	r.Loop.Comm, r.Loop.CheckReplicas = o.Comm, o.CheckReplicas
	if r.Loop.Meta, err = CheckpointMeta(cfg, r.Tok); err != nil {
		return nil, err
	}
	return r, nil
}

// ResumeRun is NewRun for the checkpoint ck, whose state it then restores
// (its tokenizer encodes the data, o.Tok and o.ParamLimit are ck's), so
// that training continues exactly where the checkpoint was written.
func ResumeRun(ctx context.Context, cfg Config, ck *Checkpoint, o Options) (*Run, error) {
	o.Tok, o.ParamLimit = ck.Tok, ck.ParamElems()
	r, err := NewRun(ctx, cfg, o)
	if err != nil {
		return nil, err
	}
	if err := r.Loop.Restore(ck.Checkpoint); err != nil {
		return nil, errors.Wrapf(err, "resuming from %s", ck.Path)
	}
	return r, nil
}

// newTask compiles the programs of the run's model for its data: batches
// of train.batch_size rows per micro-batch and process, of model.context
// tokens.
func (r *Run) newTask(lm *LMData, s2s *S2SData, processes int) (train.Task, error) {
	cfg := r.Config
	B, ctx := cfg.Train.BatchSize, cfg.Model.Context
	parts := max(cfg.Train.Accumulate, 1) * processes
	if lm != nil {
		r.Describe = fmt.Sprintf("%s: %d training and %d validation tokens, %s tokenizer of %d ids",
			lm.Source, len(lm.Train), len(lm.Val), lm.Tok.Kind(), lm.Tok.VocabSize())
		t, err := train.NewLMTask(r.Net.LM, lm.Train, lm.Val, train.LMConfig{Batch: B, Context: ctx, Parts: parts,
			EvalBatch: B * processes, Seed: cfg.Train.Seed})
		return t, errors.Wrapf(err, "data.path %s (train.batch_size %d × %d, model.context %d)", lm.Source, B, parts, ctx)
	}
	t, err := train.NewSeq2SeqTask(r.Net.S2S, s2s.Train, s2s.Val, s2s.Tok, s2s.Tok, train.Seq2SeqConfig{Batch: B,
		SourceLen: ctx, TargetLen: ctx, Parts: parts, EvalBatch: B, Seed: cfg.Train.Seed})
	if err != nil {
		return nil, errors.Wrapf(err, "data.path %s (model.context %d)", s2s.Source, ctx)
	}
	r.Describe = fmt.Sprintf("%s: %d training and %d validation pairs, %s tokenizer of %d ids",
		s2s.Source, t.Batcher().Len(), len(s2s.Val), s2s.Tok.Kind(), s2s.Tok.VocabSize())
	if d := t.Batcher().Dropped(); d > 0 {
		r.Describe += fmt.Sprintf(" (%d training pairs longer than model.context %d left out)", d, ctx)
	}
	r.Examples = s2s.Val
	if len(r.Examples) == 0 {
		r.Examples = s2s.Train
	}
	r.Examples = r.Examples[:min(len(r.Examples), 5)]
	return t, nil
}

// BuildOptimizer returns the optimizer and learning-rate schedule of cfg,
// wrapped in global-norm clipping when optim.clip is set.
func BuildOptimizer(cfg Config) (optim.Optimizer, optim.Schedule, error) {
	o := cfg.Optim
	var sched optim.Schedule
	switch o.Schedule {
	case "warmup_cosine":
		sched = optim.WarmupCosine(o.LR, o.Warmup, o.DecaySteps, o.MinLR)
	case "constant":
		sched = optim.Constant(o.LR)
	case "step":
		sched = optim.StepDecay(o.LR, o.StepEvery, o.Gamma)
	case "noam":
		sched = optim.Noam(cfg.Model.DModel, o.Warmup, o.LR)
	default:
		return nil, nil, KeyError("optim.schedule", "unknown schedule %q", o.Schedule)
	}
	var opt optim.Optimizer
	switch o.Name {
	case "adamw":
		a := optim.NewAdamW(sched, o.WeightDecay)
		a.Beta1, a.Beta2, a.Eps = o.Beta1, o.Beta2, o.Eps
		opt = a
	case "adam":
		a := optim.NewAdam(sched)
		a.Beta1, a.Beta2, a.Eps, a.WeightDecay = o.Beta1, o.Beta2, o.Eps, o.WeightDecay
		opt = a
	case "sgd":
		s := optim.NewSGD(sched)
		s.WeightDecay = o.WeightDecay
		opt = s
	case "momentum":
		s := optim.NewMomentum(sched, o.Momentum)
		s.WeightDecay = o.WeightDecay
		opt = s
	case "nesterov":
		s := optim.NewNesterov(sched, o.Momentum)
		s.WeightDecay = o.WeightDecay
		opt = s
	case "rmsprop":
		s := optim.NewRMSProp(sched)
		s.Alpha, s.Eps, s.WeightDecay = o.Alpha, o.Eps, o.WeightDecay
		opt = s
	case "adagrad":
		s := optim.NewAdagrad(sched)
		s.Eps, s.WeightDecay = o.Eps, o.WeightDecay
		opt = s
	default:
		return nil, nil, KeyError("optim.name", "unknown optimizer %q", o.Name)
	}
	if o.Clip > 0 {
		opt = optim.ClipByGlobalNorm(opt, o.Clip)
	}
	return opt, sched, nil
}
