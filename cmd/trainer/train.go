package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/internal/atomicfile"
	"github.com/gorgonet/gorgonet/internal/config"
	"github.com/gorgonet/gorgonet/plot"
	"github.com/gorgonet/gorgonet/train"
)

// defaultRunDir is where `trainer` and `trainer train` write when --out is
// not given; when it already holds a run, the first free of
// runs/default-2, runs/default-3, … is used instead.
const defaultRunDir = "runs/default"

// Files of a run directory besides the checkpoints.
const (
	metricsFile   = "metrics.jsonl"
	plotFile      = "loss.png"
	configFile    = "config.json"
	tokenizerFile = "tokenizer.json"
)

// openRunDir opens (and locks) a run directory for the trainer's files.
func openRunDir(dir string, keep int) (*train.RunDir, error) {
	d, err := train.OpenRunDir(dir, metricsFile, plotFile, configFile, tokenizerFile)
	if err == nil {
		d.Keep = keep
	}
	return d, err
}

// prepareRunDir returns the run directory to train into, created and
// locked. An explicit --out that already holds files is refused unless
// force is set, in which case the trainer's files in it are removed.
// Without --out the default directory is used, or the first free variant
// of it.
func prepareRunDir(out string, explicit, force bool, keep int) (*train.RunDir, error) {
	dir := out
	if !explicit && !force {
		for i := 2; !emptyOrMissing(dir); i++ {
			dir = fmt.Sprintf("%s-%d", out, i)
		}
	}
	if info, err := os.Stat(dir); err == nil && !info.IsDir() {
		return nil, errors.Errorf("--out %s is a file, not a directory", dir)
	}
	d, err := openRunDir(dir, keep)
	if err != nil {
		return nil, err
	}
	others, err := d.Others(4)
	if err == nil && len(others) > 0 {
		if !force {
			if len(others) > 3 {
				others[3] = "…"
			}
			err = errors.Errorf("run directory %s is not empty (%s); continue it with `trainer resume %s`, overwrite it with --force, or choose another --out",
				dir, strings.Join(others, ", "), dir)
		} else {
			err = errors.Wrap(d.Clear(), "--force")
		}
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// emptyOrMissing reports whether dir does not exist or holds nothing but a
// lock file.
func emptyOrMissing(dir string) bool {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return true
	}
	return err == nil && (len(entries) == 0 || len(entries) == 1 && entries[0].Name() == train.LockFile)
}

// writeRunFiles writes the resolved configuration and the tokenizer into
// the run directory; the first write also checks that it is writable.
func writeRunFiles(d *train.RunDir, r *run) error {
	js, err := config.Dump(r.cfg)
	if err != nil {
		return err
	}
	err = atomicfile.WriteFile(d.File(configFile), func(w io.Writer) error {
		_, err := io.WriteString(w, js+"\n")
		return err
	})
	if err != nil {
		return errors.Wrapf(err, "run directory %s is not writable", d.Path)
	}
	return atomicfile.WriteFile(d.File(tokenizerFile), r.tok.Save)
}

// trainLoop trains r up to train.steps in d (nil on the ranks other than
// 0), logging to out: progress, metrics, validation, checkpoints every
// train.save_every steps and at the end (the last train.keep kept, and
// best.safetensors at the lowest validation loss), a plot of the losses.
// It stops early, with a checkpoint, when ctx is cancelled
// (train.ErrInterrupted), and without one when the loss diverges (the last
// good checkpoint stays).
func trainLoop(ctx context.Context, r *run, d *train.RunDir, out io.Writer, resumed bool) error {
	l := r.loop
	tc := r.cfg.Train
	if d != nil {
		metricsPath := d.File(metricsFile)
		var err error
		if resumed {
			l.Metrics, err = train.ResumeMetrics(metricsPath, l.Step)
		} else {
			l.Metrics, err = train.CreateMetrics(metricsPath)
		}
		if err != nil {
			return err
		}
		defer l.Metrics.Close()
		l.Progress = train.NewTerminalProgress(out, tc.Steps, tc.LogEvery)
		l.Dir = d
	}
	err := l.Run(ctx)
	var nf *train.NonFiniteError
	switch {
	case errors.As(err, &nf):
		return diverged(nf, d)
	case errors.Is(err, train.ErrInterrupted):
		if d == nil {
			return err
		}
		// Said as soon as the checkpoint is saved: under mpirun, which kills
		// the ranks 1 s after passing the signal on, a plot drawn first
		// could cost the line.
		fmt.Fprintf(out, "interrupted at step %d of %d; checkpoint saved to %s\ncontinue with: trainer resume %s\n",
			l.Step, tc.Steps, d.File(train.StepFile(l.Step)), d.Path)
		if cerr := l.Metrics.Close(); cerr != nil {
			return cerr
		}
		plotLosses(d, out)
		return err
	case err != nil:
		return err
	}
	if d == nil {
		return nil
	}
	if err := l.Metrics.Close(); err != nil {
		return err
	}
	plotLosses(d, out)
	how := "trained"
	if l.EarlyStopped {
		how = "stopped early after"
	}
	fmt.Fprintf(out, "%s %d steps in %s; checkpoint %s", how, l.Step, time.Duration(l.Elapsed*float64(time.Second)).Round(time.Second),
		d.File(train.StepFile(l.Step)))
	if !math.IsNaN(l.BestVal) {
		fmt.Fprintf(out, ", best validation loss %.4f in %s", l.BestVal, d.File(train.BestFile))
	}
	fmt.Fprintln(out)
	return nil
}

// diverged builds the message of a run whose loss became NaN or infinite:
// nothing of that step is saved.
func diverged(nf *train.NonFiniteError, d *train.RunDir) error {
	keep := "no checkpoint had been written yet"
	if nf.LastSaved >= 0 && d != nil {
		keep = fmt.Sprintf("the last good checkpoint, %s (step %d), is kept", d.File(train.StepFile(nf.LastSaved)), nf.LastSaved)
	}
	what := fmt.Sprintf("the loss became %v", nf.Loss)
	if nf.Param != "" {
		what += fmt.Sprintf(" (first non-finite parameter: %s %v)", nf.Param, nf.Shape)
	}
	return errors.Errorf("training stopped at step %d: %s; %s. Try a lower optim.lr, optim.clip > 0 or a smaller model", nf.Step, what, keep)
}

// plotLosses draws loss.png from the metrics file; a failure is reported,
// not fatal.
func plotLosses(d *train.RunDir, out io.Writer) {
	records, err := train.ReadMetricsFile(d.File(metricsFile))
	if err == nil {
		var chart plot.Chart
		if chart, err = lossChart(records); err == nil {
			err = chart.Save(d.File(plotFile))
		}
	}
	if err != nil {
		fmt.Fprintf(out, "warning: no loss plot: %v\n", err)
	}
}

// lossChart is the chart of the training and validation losses of records.
func lossChart(records []train.Record) (plot.Chart, error) {
	var trainLoss, valLoss plot.Curve
	for _, r := range records {
		c := &trainLoss
		if r.Split == train.Val {
			c = &valLoss
		}
		c.Step = append(c.Step, float64(r.Step))
		c.Loss = append(c.Loss, r.Loss)
	}
	return plot.LossChart(trainLoss, valLoss)
}
