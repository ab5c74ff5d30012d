package train

import (
	"context"
	"math"
	"time"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/distributed"
	"github.com/gorgonet/gorgonet/optim"
)

// State is where a run stands; checkpoints store it.
type State struct {
	Step      int     // optimizer steps done
	TrainLoss float64 // loss of the last step; NaN before any
	ValLoss   float64 // last validation loss; NaN before any
	BestVal   float64 // lowest validation loss; NaN before any
	BadEvals  int     // evaluations since the lowest (for Patience)
	Elapsed   float64 // seconds of training, over every process of the run
}

// Loop trains a Task for Steps optimizer steps, like Keras's Model.fit
// with callbacks or GoMLX's train.Loop with hooks: it evaluates every
// EvalEvery steps, saves checkpoints into Dir every SaveEvery steps (and
// BestFile at each new lowest validation loss), stops early after Patience
// evaluations without improvement, reports to Progress and Metrics, and
// stops at the first non-finite loss with a *NonFiniteError.
//
// Run honours its context between steps and during evaluation: when it is
// cancelled the loop saves a checkpoint (with Dir set) and returns an error
// wrapping ErrInterrupted, from which Restore and Run continue exactly.
//
// With Accumulate = k > 1, every step trains on k micro-batches (parts of
// the global batch, see Task) and applies one update with the gradient of
// the whole batch's mean loss per token. With Comm of n > 1 processes (MPI,
// or distributed.NewGroup in one process), every process trains on its k
// parts of a global batch of n·k parts, the gradients are summed across
// processes, and every process holds the same parameters; process 0 alone
// writes checkpoints, metrics and progress, and every process must call
// Run (and Restore) together.
type Loop struct {
	Task      Task
	Optimizer optim.Optimizer
	// Schedule, when set, gives the learning rate of each step for the
	// progress line and the metrics (the optimizer applies its own).
	Schedule optim.Schedule

	Steps       int // the step at which the run ends
	Accumulate  int // micro-batches per step; 0 means 1
	EvalEvery   int // steps between evaluations; 0: at the end only
	EvalBatches int // batches per evaluation; 0: all
	SaveEvery   int // steps between step checkpoints; 0: at the end only
	LogEvery    int // steps between metrics records; 0 means 1
	// Patience > 0 stops the run after that many evaluations in a row
	// without a lower validation loss (EarlyStopped is then set).
	Patience int

	Comm distributed.Comm // nil: this process alone
	// CheckReplicas verifies after every step that the parameters are
	// identical on every process (a debugging aid: one broadcast of every
	// parameter per step).
	CheckReplicas bool

	// Dir receives the checkpoints (of process 0; the others' is unused);
	// nil: no checkpoints.
	Dir      *RunDir
	Meta     map[string]string // caller metadata stored in every checkpoint
	Progress *Progress         // nil: none
	Metrics  *MetricsWriter    // nil: none
	Hooks    Hooks

	State
	// EarlyStopped is set when Patience ended the run.
	EarlyStopped bool

	lastSaved int // step of the last checkpoint written or restored; −1 none
	restored  bool
	saving    bool // process 0 has a Dir: every process takes part in saving
	comb      *combiner
	started   time.Time
	elapsed0  float64
}

// Hooks are called by Loop.Run, on every process; an error stops the run
// and is returned.
type Hooks struct {
	// Step follows every optimizer step.
	Step func(StepInfo) error
	// Eval follows every evaluation.
	Eval func(EvalInfo) error
	// Save follows every checkpoint written (process 0 only).
	Save func(path string, step int) error
}

// StepInfo describes a finished step.
type StepInfo struct {
	Step   int
	Loss   float64 // mean per token over the global batch
	LR     float64 // Schedule's rate, 0 without one
	Tokens int     // tokens of the global batch
}

// EvalInfo describes an evaluation.
type EvalInfo struct {
	Step   int
	Loss   float64
	Tokens int
	Best   bool // the lowest validation loss so far
}

// NewLoop returns a loop training task with opt for steps steps, from step
// 0 (TrainLoss, ValLoss and BestVal NaN).
func NewLoop(task Task, opt optim.Optimizer, steps int) *Loop {
	return &Loop{Task: task, Optimizer: opt, Steps: steps, lastSaved: -1,
		State: State{TrainLoss: math.NaN(), ValLoss: math.NaN(), BestVal: math.NaN()}}
}

func (l *Loop) comm() distributed.Comm {
	if l.Comm == nil {
		return distributed.Local{}
	}
	return l.Comm
}

// leader reports whether this process writes files and progress.
func (l *Loop) leader() bool { return l.comm().Rank() == 0 }

// parts returns the parts this process trains each step.
func (l *Loop) parts() []Part {
	k, c := max(l.Accumulate, 1), l.comm()
	out := make([]Part, k)
	for i := range out {
		out[i] = Part{Index: c.Rank()*k + i, Of: c.Size() * k}
	}
	return out
}

// ElapsedNow returns the run's training time in seconds, over every
// process of the run.
func (l *Loop) ElapsedNow() float64 {
	if l.started.IsZero() {
		return l.Elapsed
	}
	return l.elapsed0 + time.Since(l.started).Seconds()
}

// Run trains from the current step up to Steps; see Loop. It returns nil
// when the run reached Steps or stopped early.
func (l *Loop) Run(ctx context.Context) error {
	if l.Task == nil || l.Optimizer == nil {
		return errors.New("train: Loop needs a Task and an Optimizer")
	}
	c := l.comm()
	if c.Size() > 1 {
		if err := distributed.Broadcast(c, l.Task.Model().Params()); err != nil {
			return err
		}
	}
	l.comb = &combiner{inner: l.Optimizer}
	l.saving = l.Dir != nil
	if c.Size() > 1 {
		l.comb.reducer = distributed.NewReducer(c)
		flag := []float64{0}
		if l.saving {
			flag[0] = 1
		}
		if err := c.BroadcastFloat64(flag, 0); err != nil {
			return errors.Wrap(err, "train: agreeing on checkpoints")
		}
		l.saving = flag[0] > 0
	}
	l.started, l.elapsed0 = time.Now(), l.Elapsed
	defer func() { l.Elapsed, l.started = l.ElapsedNow(), time.Time{} }()
	stop := false
	for l.Step < l.Steps && !stop && !l.EarlyStopped {
		if c.Size() == 1 && ctx.Err() != nil {
			break
		}
		info, agreedStop, err := l.step(ctx)
		if err != nil && c.Size() == 1 && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			break // cancelled while drawing the batch
		}
		if err != nil {
			l.Progress.Done()
			return err
		}
		stop = agreedStop
		if err := l.afterStep(ctx, info); err != nil {
			return err
		}
	}
	l.Progress.Done()
	if l.lastSaved != l.Step {
		if err := l.save(); err != nil {
			return err
		}
	}
	if l.Step < l.Steps && !l.EarlyStopped {
		return errors.Wrapf(ErrInterrupted, "at step %d of %d", l.Step, l.Steps)
	}
	return nil
}

// local returns the context of the work of one process between two
// collective operations: ctx for one process; with several, a context that
// is never cancelled, since a process leaving alone would leave the others
// waiting, and the processes agree on stopping after every step instead.
func (l *Loop) local(ctx context.Context) context.Context {
	if l.comm().Size() == 1 {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// step trains one step and returns what it did and, with several
// processes, whether any of them asked to stop (its context cancelled).
func (l *Loop) step(ctx context.Context) (StepInfo, bool, error) {
	c := l.comm()
	if err := l.Task.Next(l.local(ctx)); err != nil {
		return StepInfo{}, false, errors.Wrap(err, "train: drawing a batch")
	}
	parts := l.parts()
	total := 0
	for i := 0; i < parts[0].Of; i++ {
		total += l.Task.Tokens(Part{Index: i, Of: parts[0].Of})
	}
	info := StepInfo{Step: l.Step + 1, Tokens: total}
	if l.Schedule != nil {
		info.LR = l.Schedule.Rate(l.Step + 1)
	}
	l.comb.summed = false
	loss := 0.0
	for i, p := range parts {
		l.comb.weight, l.comb.last = 1, i == len(parts)-1
		if len(parts) > 1 || c.Size() > 1 {
			l.comb.weight = float64(l.Task.Tokens(p)) / float64(total)
		}
		partLoss, err := l.Task.Step(p, l.comb)
		if err != nil || !isFinite(partLoss) {
			if err := l.diverged(c, partLoss, err); err != nil {
				l.record(Record{Step: info.Step, Split: Train, Loss: partLoss, LR: info.LR, Elapsed: l.ElapsedNow()})
				return info, false, err
			}
		}
		if l.comb.weight == 1 {
			loss = partLoss
		} else {
			loss += l.comb.weight * partLoss
		}
	}
	stop := false
	if c.Size() > 1 {
		buf := []float64{loss, 0}
		if ctx.Err() != nil {
			buf[1] = 1
		}
		if err := c.AllReduceFloat64(buf); err != nil {
			return info, false, errors.Wrap(err, "train: all-reduce of the loss")
		}
		loss, stop = buf[0], buf[1] > 0
		if l.CheckReplicas {
			if err := distributed.Identical(c, l.Task.Model().Params()); err != nil {
				return info, false, err
			}
		}
	}
	info.Loss = loss
	return info, stop, nil
}

// diverged returns the error of a part whose step failed or whose loss is
// not finite. With several processes, a failing process cannot tell the
// others, which wait in the next all-reduce: the caller aborts the job.
func (l *Loop) diverged(c distributed.Comm, loss float64, err error) error {
	if isFinite(loss) {
		return errors.Wrapf(err, "train: step %d", l.Step+1)
	}
	return nonFinite(l.Task.Model(), l.Step+1, loss, l.lastSaved)
}

// afterStep logs, evaluates and saves after a step.
func (l *Loop) afterStep(ctx context.Context, info StepInfo) error {
	l.Step, l.TrainLoss = info.Step, info.Loss
	if l.leader() {
		l.Progress.Update(Stats{Step: l.Step, Loss: info.Loss, LR: info.LR, Tokens: info.Tokens})
	}
	final := l.Step == l.Steps
	if l.Step%max(l.LogEvery, 1) == 0 || final {
		rec := Record{Step: l.Step, Split: Train, Loss: info.Loss, LR: info.LR, TokensPerSec: l.Progress.TokensPerSec(), Elapsed: l.ElapsedNow()}
		if err := l.record(rec); err != nil {
			return err
		}
	}
	if l.Hooks.Step != nil {
		if err := l.Hooks.Step(info); err != nil {
			return err
		}
	}
	if (l.EvalEvery > 0 && l.Step%l.EvalEvery == 0) || final {
		if err := l.evaluate(ctx); err != nil {
			return err
		}
	}
	if (l.SaveEvery > 0 && l.Step%l.SaveEvery == 0) || final || l.EarlyStopped {
		return l.save()
	}
	return nil
}

// record writes r to Metrics on process 0.
func (l *Loop) record(r Record) error {
	if l.Metrics == nil || !l.leader() {
		return nil
	}
	return l.Metrics.Write(r)
}

// evaluate runs a validation pass, records it, saves BestFile at a new
// lowest loss and counts evaluations without improvement.
func (l *Loop) evaluate(ctx context.Context) error {
	loss, tokens, err := l.Task.Evaluate(l.local(ctx), l.EvalBatches)
	if err != nil {
		if ctx.Err() != nil {
			return errors.Wrapf(ErrInterrupted, "during the validation at step %d", l.Step)
		}
		return errors.Wrap(err, "train: validation")
	}
	if tokens == 0 {
		return nil
	}
	l.ValLoss = loss
	best := math.IsNaN(l.BestVal) || loss < l.BestVal
	if best {
		l.BestVal, l.BadEvals = loss, 0
	} else {
		l.BadEvals++
	}
	if l.leader() {
		note := ""
		if best {
			note = " (best so far)"
		}
		l.Progress.Printf("step %d: validation loss %.4f, perplexity %.2f%s", l.Step, loss, math.Exp(loss), note)
	}
	rec := Record{Step: l.Step, Split: Val, Loss: loss, Elapsed: l.ElapsedNow()}
	if l.Schedule != nil {
		rec.LR = l.Schedule.Rate(l.Step)
	}
	if err := l.record(rec); err != nil {
		return err
	}
	if l.Hooks.Eval != nil {
		if err := l.Hooks.Eval(EvalInfo{Step: l.Step, Loss: loss, Tokens: tokens, Best: best}); err != nil {
			return err
		}
	}
	if best && l.saving {
		ck, err := l.Checkpoint()
		if err != nil {
			return err
		}
		if l.leader() {
			path, err := l.Dir.SaveBest(ck)
			if err != nil {
				return err
			}
			if l.Hooks.Save != nil {
				if err := l.Hooks.Save(path, l.Step); err != nil {
					return err
				}
			}
		}
	}
	if l.Patience > 0 && l.BadEvals >= l.Patience {
		l.EarlyStopped = true
		if l.leader() {
			l.Progress.Printf("step %d: no lower validation loss in %d evaluations: stopping early (best %.4f)", l.Step, l.BadEvals, l.BestVal)
		}
	}
	return nil
}

// save writes the step checkpoint (with Dir; every process takes part in
// gathering the state, process 0 writes it).
func (l *Loop) save() error {
	if !l.saving {
		l.lastSaved = l.Step
		return nil
	}
	if l.Metrics != nil && l.leader() {
		if err := l.Metrics.Sync(); err != nil {
			return err
		}
	}
	ck, err := l.Checkpoint()
	if err != nil {
		return err
	}
	l.lastSaved = l.Step
	if !l.leader() {
		return nil
	}
	path, err := l.Dir.SaveStep(ck)
	if err != nil {
		return err
	}
	if l.Hooks.Save != nil {
		return l.Hooks.Save(path, l.Step)
	}
	return nil
}

// LastSaved returns the step of the last checkpoint written or restored,
// −1 when there is none.
func (l *Loop) LastSaved() int { return l.lastSaved }
