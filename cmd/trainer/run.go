package main

import (
	"context"
	"fmt"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/optim"
	"github.com/gorgonet/gorgonet/train"
)

// run is a training run: the configuration, the model, its data and the
// train.Loop over them.
type run struct {
	cfg      Config
	net      *network
	tok      datasets.Tokenizer
	loop     *train.Loop
	sched    optim.Schedule
	describe string          // what the data is, for the log
	memory   memoryEstimate  // of the run's programs, checked before they were built
	examples []datasets.Pair // seq2seq pairs decoded after training
}

// newRun loads the data, builds the model, its programs, the optimizer and
// the loop for cfg. With a checkpoint it then restores everything the
// checkpoint holds (its tokenizer is used to encode the data), so that
// training continues exactly where the checkpoint was written.
func newRun(ctx context.Context, cfg Config, ck *checkpoint) (*run, error) {
	r := &run{cfg: cfg}
	var tok datasets.Tokenizer
	limit := 0
	if ck != nil {
		tok, limit = ck.tok, ck.ParamElems()
	}
	var lm *lmData
	var s2s *s2sData
	var err error
	if isSeq2Seq(cfg.Model.Kind) {
		if s2s, err = loadS2SData(ctx, cfg, tok); err == nil {
			r.tok = s2s.tok
		}
	} else if lm, err = loadLMData(ctx, cfg, tok); err == nil {
		r.tok = lm.tok
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.memory, err = checkMemory(cfg, r.tok.VocabSize(), limit, true); err != nil {
		return nil, err
	}
	if r.net, err = buildNetwork(cfg, r.tok.VocabSize(), limit); err != nil {
		return nil, err
	}
	task, err := r.newTask(lm, s2s)
	if err != nil {
		return nil, err
	}
	opt, sched, err := buildOptimizer(cfg)
	if err != nil {
		return nil, err
	}
	tc := cfg.Train
	r.sched = sched
	r.loop = train.NewLoop(task, opt, tc.Steps)
	r.loop.Schedule, r.loop.Accumulate, r.loop.Patience = sched, tc.Accumulate, tc.Patience
	r.loop.EvalEvery, r.loop.EvalBatches, r.loop.SaveEvery, r.loop.LogEvery = tc.EvalEvery, tc.EvalBatches, tc.SaveEvery, tc.LogEvery
	r.loop.Comm, r.loop.CheckReplicas = world, checkReplicas()
	if r.loop.Meta, err = checkpointMeta(cfg, r.tok); err != nil {
		return nil, err
	}
	if ck != nil {
		if err := r.loop.Restore(ck.Checkpoint); err != nil {
			return nil, errors.Wrapf(err, "resuming from %s", ck.path)
		}
	}
	return r, nil
}

// newTask compiles the programs of the run's model for its data: batches
// of train.batch_size rows per micro-batch and process, of model.context
// tokens.
func (r *run) newTask(lm *lmData, s2s *s2sData) (train.Task, error) {
	cfg := r.cfg
	B, ctx := cfg.Train.BatchSize, cfg.Model.Context
	parts := max(cfg.Train.Accumulate, 1) * world.Size()
	if lm != nil {
		r.describe = fmt.Sprintf("%s: %d training and %d validation tokens, %s tokenizer of %d ids",
			lm.source, len(lm.train), len(lm.val), lm.tok.Kind(), lm.tok.VocabSize())
		t, err := train.NewLMTask(r.net.lm, lm.train, lm.val, train.LMConfig{Batch: B, Context: ctx, Parts: parts,
			EvalBatch: B * world.Size(), Seed: cfg.Train.Seed})
		return t, errors.Wrapf(err, "data.path %s (train.batch_size %d × %d, model.context %d)", lm.source, B, parts, ctx)
	}
	t, err := train.NewSeq2SeqTask(r.net.s2s, s2s.train, s2s.val, s2s.tok, s2s.tok, train.Seq2SeqConfig{Batch: B,
		SourceLen: ctx, TargetLen: ctx, Parts: parts, EvalBatch: B, Seed: cfg.Train.Seed})
	if err != nil {
		return nil, errors.Wrapf(err, "data.path %s (model.context %d)", s2s.source, ctx)
	}
	r.describe = fmt.Sprintf("%s: %d training and %d validation pairs, %s tokenizer of %d ids",
		s2s.source, t.Batcher().Len(), len(s2s.val), s2s.tok.Kind(), s2s.tok.VocabSize())
	if d := t.Batcher().Dropped(); d > 0 {
		r.describe += fmt.Sprintf(" (%d training pairs longer than model.context %d left out)", d, ctx)
	}
	r.examples = s2s.val
	if len(r.examples) == 0 {
		r.examples = s2s.train
	}
	r.examples = r.examples[:min(len(r.examples), 5)]
	return t, nil
}

// buildOptimizer returns the optimizer and learning-rate schedule of cfg,
// wrapped in global-norm clipping when optim.clip is set.
func buildOptimizer(cfg Config) (optim.Optimizer, optim.Schedule, error) {
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
		return nil, nil, keyError("optim.schedule", "unknown schedule %q", o.Schedule)
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
		return nil, nil, keyError("optim.name", "unknown optimizer %q", o.Name)
	}
	if o.Clip > 0 {
		opt = optim.ClipByGlobalNorm(opt, o.Clip)
	}
	return opt, sched, nil
}
