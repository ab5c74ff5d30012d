package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/internal/atomicfile"
	"github.com/gorgonet/gorgonet/internal/config"
	"github.com/gorgonet/gorgonet/internal/runlog"
)

// defaultRunDir is where `trainer` and `trainer train` write when --out is
// not given; when it already holds a run, the first free of
// runs/default-2, runs/default-3, … is used instead.
const defaultRunDir = "runs/default"

// isTrainerFile reports whether name is one of the files the trainer writes
// into a run directory; --force removes exactly these.
func isTrainerFile(name string) bool {
	switch name {
	case bestFile, metricsFile, plotFile, configFile, tokenizerFile:
		return true
	}
	return stepFile.MatchString(name)
}

// prepareRunDir returns the run directory to train into and creates it.
// An explicit --out that already holds files is refused unless force is
// set, in which case the trainer's files in it are removed. Without --out
// the default directory is used, or the first free variant of it.
func prepareRunDir(out string, explicit, force bool) (string, error) {
	dir := out
	if !explicit && !force {
		for i := 2; !emptyOrMissing(dir); i++ {
			dir = fmt.Sprintf("%s-%d", out, i)
		}
	}
	info, err := os.Stat(dir)
	switch {
	case err == nil && !info.IsDir():
		return "", errors.Errorf("--out %s is a file, not a directory", dir)
	case err == nil && !emptyOrMissing(dir):
		if !force {
			return "", errors.Errorf("run directory %s is not empty (%s); continue it with `trainer resume %s`, overwrite it with --force, or choose another --out",
				dir, listSome(dir), dir)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return "", errors.Wrap(err, "--force")
		}
		for _, e := range entries {
			if isTrainerFile(e.Name()) {
				if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
					return "", errors.Wrap(err, "--force: clearing the run directory")
				}
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", errors.Wrap(err, "creating the run directory")
	}
	return dir, nil
}

// emptyOrMissing reports whether dir does not exist or has no entries.
func emptyOrMissing(dir string) bool {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return true
	}
	return err == nil && len(entries) == 0
}

// listSome names a few entries of dir for an error message.
func listSome(dir string) string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if len(names) == 3 {
			names = append(names, "…")
			break
		}
		names = append(names, e.Name())
	}
	return strings.Join(names, ", ")
}

// writeRunFiles writes the resolved configuration and the tokenizer into
// the run directory; the first write also checks that it is writable.
func writeRunFiles(dir string, r *run) error {
	js, err := config.Dump(r.cfg)
	if err != nil {
		return err
	}
	err = atomicfile.WriteFile(filepath.Join(dir, configFile), func(w io.Writer) error {
		_, err := io.WriteString(w, js+"\n")
		return err
	})
	if err != nil {
		return errors.Wrapf(err, "run directory %s is not writable", dir)
	}
	return atomicfile.WriteFile(filepath.Join(dir, tokenizerFile), r.tok.Save)
}

// trainLoop trains r up to train.steps in dir, logging to out: progress,
// metrics, validation, checkpoints every train.save_every steps and at the
// end (the last train.keep kept, and best.safetensors at the lowest
// validation loss), a plot of the losses. It stops early, with a
// checkpoint, when intr is triggered (errInterrupted), and without one when
// the loss diverges (the last good checkpoint stays).
func trainLoop(r *run, dir string, out io.Writer, intr *interrupter, resumed bool) error {
	tc := r.cfg.Train
	metricsPath := filepath.Join(dir, metricsFile)
	var metrics *runlog.MetricsWriter
	var err error
	if resumed {
		metrics, err = runlog.ResumeMetrics(metricsPath, r.step)
	} else {
		metrics, err = runlog.CreateMetrics(metricsPath)
	}
	if err != nil {
		return err
	}
	defer metrics.Close()
	progress := runlog.NewProgress(out, isTerminal(out), tc.Steps, tc.LogEvery)
	lastSaved := -1
	if resumed {
		lastSaved = r.step
	}
	save := func() error {
		if err := metrics.Sync(); err != nil {
			return err
		}
		path := filepath.Join(dir, stepCheckpointName(r.step))
		if err := saveCheckpoint(path, r); err != nil {
			return err
		}
		lastSaved = r.step
		return pruneCheckpoints(dir, tc.Keep)
	}
	r.started = time.Now()
	for r.step < tc.Steps {
		if intr.interrupted() {
			break
		}
		lr := r.sched.Rate(r.step + 1)
		loss, tokens, err := r.task.step(r.opt)
		if err != nil || math.IsNaN(loss) || math.IsInf(loss, 0) {
			progress.Done()
			metrics.Write(runlog.Record{Step: r.step + 1, Split: runlog.Train, Loss: loss, LR: lr, Elapsed: r.elapsed()})
			return diverged(r, dir, lastSaved, loss, err)
		}
		r.step++
		r.lastLoss = loss
		progress.Update(runlog.Stats{Step: r.step, Loss: loss, LR: lr, Tokens: tokens})
		final := r.step == tc.Steps
		if r.step%tc.LogEvery == 0 || final {
			rec := runlog.Record{Step: r.step, Split: runlog.Train, Loss: loss, LR: lr, TokensPerSec: progress.TokensPerSec(), Elapsed: r.elapsed()}
			if err := metrics.Write(rec); err != nil {
				return err
			}
		}
		if (tc.EvalEvery > 0 && r.step%tc.EvalEvery == 0) || final {
			if err := validate(r, dir, progress, metrics); err != nil {
				return err
			}
		}
		if (tc.SaveEvery > 0 && r.step%tc.SaveEvery == 0) || final {
			if err := save(); err != nil {
				return err
			}
		}
	}
	progress.Done()
	if lastSaved != r.step {
		if err := save(); err != nil {
			return err
		}
	}
	interrupted := r.step < tc.Steps
	if interrupted {
		// Said as soon as the checkpoint is saved: under mpirun, which kills
		// the ranks 1 s after passing the signal on, a plot drawn first
		// could cost the line.
		fmt.Fprintf(out, "interrupted at step %d of %d; checkpoint saved to %s\ncontinue with: trainer resume %s\n",
			r.step, tc.Steps, filepath.Join(dir, stepCheckpointName(r.step)), dir)
	}
	if err := metrics.Close(); err != nil {
		return err
	}
	plotLosses(dir, out)
	if interrupted {
		return errInterrupted
	}
	fmt.Fprintf(out, "trained %d steps in %s; checkpoint %s", r.step, time.Duration(r.elapsed()*float64(time.Second)).Round(time.Second),
		filepath.Join(dir, stepCheckpointName(r.step)))
	if !math.IsNaN(r.bestVal) {
		fmt.Fprintf(out, ", best validation loss %.4f in %s", r.bestVal, filepath.Join(dir, bestFile))
	}
	fmt.Fprintln(out)
	return nil
}

// errInterrupted reports a run stopped by a signal after saving.
var errInterrupted = errors.New("interrupted")

// validate runs a validation pass, records and prints it, and saves
// best.safetensors when it is the best so far.
func validate(r *run, dir string, progress *runlog.Progress, metrics *runlog.MetricsWriter) error {
	loss, ok, err := r.task.validate(r.cfg.Train.EvalBatches)
	if err != nil {
		return errors.Wrap(err, "validation")
	}
	if !ok {
		return nil
	}
	r.lastVal = loss
	best := math.IsNaN(r.bestVal) || loss < r.bestVal
	note := ""
	if best {
		r.bestVal = loss
		note = " (best so far)"
	}
	progress.Printf("step %d: validation loss %.4f, perplexity %.2f%s", r.step, loss, math.Exp(loss), note)
	if err := metrics.Write(runlog.Record{Step: r.step, Split: runlog.Val, Loss: loss, LR: r.sched.Rate(r.step), Elapsed: r.elapsed()}); err != nil {
		return err
	}
	if best {
		return saveCheckpoint(filepath.Join(dir, bestFile), r)
	}
	return nil
}

// diverged builds the error of a run whose step failed or whose loss
// became NaN or infinite: nothing of that step is saved.
func diverged(r *run, dir string, lastSaved int, loss float64, err error) error {
	nonFinite := math.IsNaN(loss) || math.IsInf(loss, 0)
	what := fmt.Sprintf("the loss became %v", loss)
	if err != nil && !nonFinite {
		what = err.Error()
		nonFinite = strings.Contains(what, "NaN") || strings.Contains(what, "Inf")
	}
	keep := "no checkpoint had been written yet"
	if lastSaved >= 0 {
		keep = fmt.Sprintf("the last good checkpoint, %s (step %d), is kept", filepath.Join(dir, stepCheckpointName(lastSaved)), lastSaved)
	}
	hint := ""
	if nonFinite {
		hint = ". Try a lower optim.lr, optim.clip > 0 or a smaller model"
		what += firstNonFinite(r.net.m)
	}
	return errors.Errorf("training stopped at step %d: %s; %s%s", r.step+1, what, keep, hint)
}

// firstNonFinite names the first parameter (in creation order) holding a
// NaN or infinite value, for the message of a diverged run; "" when every
// one is finite (the forward pass overflowed; gradients are no help then,
// since graph.Program.Step zeroes them when the loss is not finite).
func firstNonFinite(m *graph.Model) string {
	for _, p := range m.Params() {
		if !allFinite(p.Value()) {
			return fmt.Sprintf(" (first non-finite parameter: %s %v)", p.Name(), p.Shape())
		}
	}
	return ""
}

// allFinite reports whether t, float32 or float64, holds no NaN or ±Inf.
func allFinite(t *tensor.Dense) bool {
	switch v := t.Data().(type) {
	case []float32:
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return false
			}
		}
	case []float64:
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
	}
	return true
}

// plotLosses draws loss.png from the metrics file; a failure is reported,
// not fatal.
func plotLosses(dir string, out io.Writer) {
	time.Sleep(1500 * time.Millisecond)
	records, err := runlog.ReadMetricsFile(filepath.Join(dir, metricsFile))
	if err == nil {
		err = runlog.PlotLosses(records, filepath.Join(dir, plotFile))
	}
	if err != nil {
		fmt.Fprintf(out, "warning: no loss plot: %v\n", err)
	}
}

// isTerminal reports whether w is a terminal (live progress line).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && runlog.IsTerminal(f)
}
