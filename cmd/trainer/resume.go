package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/internal/config"
	"github.com/gorgonet/gorgonet/train"
)

const resumeHelp = `
Usage: trainer resume RUN_DIR|CHECKPOINT [flags]

Continues a run from its latest step checkpoint (or from the checkpoint file
given) exactly as if it had never stopped: parameters, optimizer state, step
(and so the learning-rate schedule), dropout RNG and data position come from
the checkpoint, so the losses are those an uninterrupted run would have had.
The metrics file is cut back to the checkpoint's step and continued.

Only train.steps, train.log_every, train.eval_every, train.eval_batches,
train.save_every, train.keep and sample.* may be changed with --set; any
other key must match the checkpoint. The learning-rate schedule stays the
run's (optim.warmup and optim.decay_steps were fixed when it started), so
steps added beyond optim.decay_steps run at optim.min_lr. "trainer train
--resume --out DIR" is the same as "trainer resume DIR".

Examples:
  trainer resume runs/default
  trainer resume runs/default --set train.steps=1000
  trainer resume runs/default/ckpt-000200.safetensors --force
`

// cmdResume continues a run.
func cmdResume(args []string, stdout, _ io.Writer) error {
	fs := newFlags("resume", resumeHelp, stdout)
	var sets setFlags
	fs.Var(&sets, "set", "override a configuration key, `key=value` (repeatable; train.steps and logging keys only)")
	force := fs.Bool("force", false, "resume from an older checkpoint, deleting the later step checkpoints of the run")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	arg, err := oneArg(pos, "the run directory or checkpoint to resume")
	if err != nil {
		return err
	}
	return resume(arg, sets, *force, stdout)
}

// resume continues the run at arg (a run directory or a step checkpoint).
func resume(arg string, sets []string, force bool, stdout io.Writer) error {
	ctx, stop := interruptContext(stdout)
	defer stop()
	path, err := train.FindCheckpoint(arg, false)
	if err != nil {
		return err
	}
	var d *train.RunDir
	if leader() {
		if d, err = openRunDir(filepath.Dir(path), 0); err != nil {
			return err
		}
		defer d.Close()
	}
	ck, err := readCheckpoint(path)
	if err != nil {
		return err
	}
	if d != nil {
		if err := checkLaterCheckpoints(d, ck.Step, force); err != nil {
			return err
		}
	}
	cfg := ck.cfg
	if err := applySets(&cfg, sets); err != nil {
		return err
	}
	if err := cfg.resolve(); err != nil {
		return err
	}
	if err := checkResumable(ck.cfg, cfg); err != nil {
		return err
	}
	if ck.Step >= cfg.Train.Steps {
		fmt.Fprintf(stdout, "%s is at step %d and the run has %d steps: nothing to do (raise them with --set train.steps=N)\n",
			path, ck.Step, cfg.Train.Steps)
		return nil
	}
	r, err := newRun(ctx, cfg, ck)
	if err != nil {
		return interrupted(ctx, err)
	}
	fmt.Fprintf(stdout, "resuming %s at step %d of %d\n", path, ck.Step, cfg.Train.Steps)
	fmt.Fprintf(stdout, "data: %s\n", r.describe)
	if d != nil {
		d.Keep = cfg.Train.Keep
		if err := writeRunFiles(d, r); err != nil {
			return err
		}
	}
	if err := trainLoop(ctx, r, d, stdout, true); err != nil {
		return err
	}
	return interrupted(ctx, finalSample(ctx, r, stdout))
}

// checkLaterCheckpoints refuses to resume from step when the run holds step
// checkpoints after it (two histories would mix), unless force deletes them.
func checkLaterCheckpoints(d *train.RunDir, step int, force bool) error {
	if force {
		return errors.Wrap(d.RemoveAfter(step), "--force")
	}
	steps, err := train.StepCheckpoints(d.Path)
	if err != nil {
		return err
	}
	if n := len(steps); n > 0 {
		if last, _ := train.CheckpointStep(steps[n-1]); last > step {
			return errors.Errorf("%s holds %s, later than the checkpoint of step %d being resumed; resume the latest with `trainer resume %s`, or pass --force to delete the later checkpoints",
				d.Path, filepath.Base(steps[n-1]), step, d.Path)
		}
	}
	return nil
}

// printConfig prints the resolved configuration.
func printConfig(w io.Writer, cfg Config) error {
	js, err := config.Dump(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "configuration:\n%s\n", js)
	return nil
}
