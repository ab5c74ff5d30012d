package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/safetensors"
)

// TestNonFiniteParameterStopsTraining poisons one weight of a checkpoint
// with NaN and resumes it: training must stop at the next step with a
// message naming the step and the parameter, write no checkpoint of that
// step, and leave every earlier checkpoint as it was.
func TestNonFiniteParameterStopsTraining(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "text.txt", corpus())
	run := filepath.Join(dir, "run")
	mustSucceed(t, dir, append([]string{"train", "--out", run}, tinyLM(data, 10)...)...)
	path := filepath.Join(run, stepCheckpointName(10))
	tensors, meta, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const poisoned = "blocks.0.ff.fc1.weight"
	w, ok := tensors[poisoned]
	if !ok {
		t.Fatalf("the checkpoint has no %s", poisoned)
	}
	w.Data().([]float32)[3] = float32(math.Inf(1))
	var list []safetensors.NamedTensor
	for name, x := range tensors {
		list = append(list, safetensors.NamedTensor{Name: name, T: x})
	}
	if err := safetensors.WriteFile(path, list, meta); err != nil {
		t.Fatal(err)
	}
	before := hashFiles(t, run)

	res := trainer(t, dir, "", "resume", run, "--set", "train.steps=20")
	if res.code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"training stopped at step 11", "NaN", "first non-finite parameter: " + poisoned,
		"the last good checkpoint", "optim.clip"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("message lacks %q:\n%s", want, res.stderr)
		}
	}
	t.Logf("%s", strings.TrimSpace(res.stderr))
	after := hashFiles(t, run)
	for name, h := range before {
		if strings.HasSuffix(name, ".safetensors") && after[name] != h {
			t.Errorf("%s changed", name)
		}
	}
	if fileExists(filepath.Join(run, stepCheckpointName(11))) {
		t.Errorf("a checkpoint of the diverged step was written")
	}
}

// TestPresetsClipAndWarmUp checks that the defaults clip gradients and warm
// the learning rate up.
func TestPresetsClipAndWarmUp(t *testing.T) {
	cfg, err := loadConfig("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Optim.Clip <= 0 || cfg.Optim.Schedule != "warmup_cosine" || cfg.Optim.Warmup <= 0 {
		t.Errorf("defaults: clip %v, schedule %s, warm-up %d steps", cfg.Optim.Clip, cfg.Optim.Schedule, cfg.Optim.Warmup)
	}
	_, sched, err := buildOptimizer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if first, peak := sched.Rate(1), sched.Rate(cfg.Optim.Warmup); !(first < peak/10) || peak > cfg.Optim.LR {
		t.Errorf("learning rate %v at step 1, %v at the end of the warm-up (optim.lr %v)", first, peak, cfg.Optim.LR)
	}
}
