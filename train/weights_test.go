package train

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/models/transformer"
)

// TestFineTuneStartsFromTheSourceModel trains a Transformer LM for 10
// steps into a run directory, then starts a new run from its weights on
// other data with a fresh optimizer: the loss of the new run's first step
// equals the source model's loss on that same batch, and the optimizer
// counts only the new run's steps.
func TestFineTuneStartsFromTheSourceModel(t *testing.T) {
	ctx := context.Background()
	dir, err := OpenRunDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	source := newTestLM(t, "transformer", graph.Float32)
	srcTask, err := NewLMTask(source, testIDs(2000, 1), nil, LMConfig{Batch: 4, Context: 8, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	first := NewLoop(srcTask, newAdamW(), 10)
	first.Dir = dir
	if err := first.Run(ctx); err != nil {
		t.Fatal(err)
	}

	newData := testIDs(3000, 9)
	cfg := LMConfig{Batch: 4, Context: 8, Seed: 77}
	batcher, err := datasets.NewLMBatcher(newData, datasets.LMConfig{BatchSize: 4, SeqLen: 8, Mode: datasets.RandomWindows, Seed: 77})
	if err != nil {
		t.Fatal(err)
	}
	batch := batcher.Next()
	eval, err := compileLM(source, 4, 8, true)
	if err != nil {
		t.Fatal(err)
	}
	want, err := eval.loss(batch.Inputs, batch.Targets)
	if err != nil {
		t.Fatal(err)
	}

	w, err := ReadWeights(dir.Path)
	if err != nil {
		t.Fatal(err)
	}
	tuned := newTestLM(t, "transformer", graph.Float32)
	if err := InitFrom(tuned.Model(), w); err != nil {
		t.Fatal(err)
	}
	task, err := NewLMTask(tuned, newData, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	opt := newAdamW()
	second := NewLoop(task, opt, 5)
	got, err := trainLosses(t, ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(got[0]-want) / want; !(d <= 1e-6) {
		t.Errorf("first loss of the new run %v, the source model's on that batch %v", got[0], want)
	}
	if opt.Steps() != 5 {
		t.Errorf("the optimizer made %d updates in a run of 5 steps", opt.Steps())
	}
	t.Logf("source loss on the new run's first batch %.6f, new run's first loss %.6f", want, got[0])

	m := graph.NewModel(graph.Float32, 1)
	if _, err := transformer.NewLM(m, transformer.LMConfig{Vocab: testVocab, Context: 8, Dim: 8, Heads: 2, Layers: 1}); err != nil {
		t.Fatal(err)
	}
	if err := InitFrom(m, w); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("weights of another width: %v", err)
	}
}
