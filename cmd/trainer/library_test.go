package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/train"
	"github.com/gorgonet/gorgonet/train/recipe"
)

// TestLibraryRunReadByTrainer trains a run from Go with packages train and
// recipe (as README's Define and train does), then reads its run directory
// with `trainer sample`, `eval`, `inspect` and `resume`.
func TestLibraryRunReadByTrainer(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "text.txt", corpus())
	cfg := recipe.Default()
	cfg.Model.DModel, cfg.Model.Heads, cfg.Model.Layers, cfg.Model.Context = 16, 2, 1, 16
	cfg.Data.Path, cfg.Train.BatchSize, cfg.Train.Steps, cfg.Train.EvalEvery, cfg.Train.SaveEvery = data, 4, 10, 5, 5
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	d, err := train.OpenRunDir(run)
	if err != nil {
		t.Fatal(err)
	}
	r, err := recipe.NewRun(context.Background(), cfg, recipe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.Loop.Dir = d
	if err := r.Loop.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if res := mustSucceed(t, dir, "sample", run, "--length", "10", "--prompt", "the "); !strings.HasPrefix(res.stdout, "the ") {
		t.Errorf("sample: %q", res.stdout)
	}
	if res := mustSucceed(t, dir, "eval", run); !strings.Contains(res.stdout, "(step 10) on "+data+" (validation split): loss ") {
		t.Errorf("eval: %q", res.stdout)
	}
	if res := mustSucceed(t, dir, "inspect", run); !strings.Contains(res.stdout, "step       10 of 10") {
		t.Errorf("inspect: %q", res.stdout)
	}
	mustSucceed(t, dir, "resume", run, "--set", "train.steps=15")
	if _, err := recipe.ReadCheckpoint(filepath.Join(run, stepCheckpointName(15))); err != nil {
		t.Errorf("resumed: %v", err)
	}
}
