package main

import (
	"math"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
	"github.com/gorgonet/gorgonet/safetensors"
)

// task is a model together with its data: what the training loop needs,
// whatever the kind of model.
type task interface {
	// step trains on the next batch and returns the loss and the number of
	// tokens the batch held.
	step(opt graph.Optimizer) (loss float64, tokens int, err error)
	// validate returns the mean validation loss per token over at most
	// limit batches (0: all); ok is false when there is no validation data.
	validate(limit int) (loss float64, ok bool, err error)
	// batcherState and carried are the data position and carried model
	// state saved in checkpoints; restore puts them back.
	batcherState() datasets.BatcherState
	carried() []safetensors.NamedTensor
	restore(s datasets.BatcherState, carried map[string]*tensor.Dense) error
	// describe says what the data is, for the log.
	describe() string
}

// run is a training run: the configuration, the model and its data, the
// optimizer and where the run stands.
type run struct {
	cfg      Config
	net      *network
	tok      datasets.Tokenizer
	task     task
	opt      optim.Optimizer
	sched    optim.Schedule
	step     int
	lastLoss float64 // training loss of the last step (NaN before any)
	lastVal  float64 // last validation loss (NaN before any)
	bestVal  float64 // best validation loss (NaN before any)
	// elapsedBefore is the training time of the run before this process
	// (resumed runs); started is when this process started training.
	elapsedBefore float64
	started       time.Time
}

// elapsed returns the run's training time in seconds, over every process.
func (r *run) elapsed() float64 {
	if r.started.IsZero() {
		return r.elapsedBefore
	}
	return r.elapsedBefore + time.Since(r.started).Seconds()
}

// newRun loads the data, builds the model, its programs and the optimizer
// for cfg. With a checkpoint it then restores everything the checkpoint
// holds (its tokenizer is used to encode the data), so that training
// continues exactly where the checkpoint was written.
func newRun(cfg Config, ck *checkpoint) (*run, error) {
	r := &run{cfg: cfg, lastLoss: math.NaN(), lastVal: math.NaN(), bestVal: math.NaN()}
	var tok datasets.Tokenizer
	if ck != nil {
		tok = ck.tok
	}
	var lm *lmData
	var s2s *s2sData
	var err error
	if isSeq2Seq(cfg.Model.Kind) {
		s2s, err = loadS2SData(cfg, tok)
		if err == nil {
			r.tok = s2s.tok
		}
	} else {
		lm, err = loadLMData(cfg, tok)
		if err == nil {
			r.tok = lm.tok
		}
	}
	if err != nil {
		return nil, err
	}
	if r.net, err = buildNetwork(cfg, r.tok.VocabSize(), ck.paramElems()); err != nil {
		return nil, err
	}
	if lm != nil {
		r.task, err = newLMTask(cfg, r.net.lm, lm)
	} else {
		r.task, err = newS2STask(cfg, r.net.s2s, s2s)
	}
	if err != nil {
		return nil, err
	}
	if r.opt, r.sched, err = buildOptimizer(cfg); err != nil {
		return nil, err
	}
	r.opt = parallelOptimizer(r.opt)
	if ck != nil {
		if err := r.restore(ck); err != nil {
			return nil, errors.Wrapf(err, "resuming from %s", ck.path)
		}
	}
	if err := syncReplicas(r); err != nil {
		return nil, err
	}
	return r, nil
}

// restore puts the state of a checkpoint into a freshly built run.
func (r *run) restore(ck *checkpoint) error {
	if err := r.net.m.SetParamTensors(ck.params); err != nil {
		return err
	}
	if err := r.opt.SetState(ck.optim); err != nil {
		return err
	}
	if err := r.net.m.SetDropoutState(ck.dropoutRNG); err != nil {
		return err
	}
	if ck.batcher == nil {
		return errors.New("the checkpoint holds no data position")
	}
	if err := r.task.restore(*ck.batcher, ck.carried); err != nil {
		return errors.Wrap(err, "the data differs from the checkpoint's, or the checkpoint is damaged")
	}
	r.step, r.lastLoss, r.lastVal, r.bestVal = ck.step, ck.trainLoss, ck.valLoss, ck.bestVal
	if !math.IsNaN(ck.elapsed) {
		r.elapsedBefore = ck.elapsed
	}
	return nil
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
