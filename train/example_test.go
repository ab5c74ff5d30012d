package train_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/optim"
	"github.com/gorgonet/gorgonet/train"
)

// Example trains a small GPT on Newton's Opticks with validation and
// checkpoints, is interrupted at step 30 (a cancelled context, as Ctrl-C
// cancels the trainer's), and resumes from its checkpoint to step 60
// exactly as if it had not stopped. Set loop.Progress =
// train.NewTerminalProgress(os.Stdout, 60, 10) to watch it.
func Example() {
	corpus, _ := datasets.DefaultCorpus()
	text, _ := corpus.Text(0)
	tok := datasets.NewCharTokenizer(text)
	ids, val, _ := datasets.SplitIDs(tok.Encode(text[:60000]), 0.1)
	dir, _ := os.MkdirTemp("", "gpt")
	defer os.RemoveAll(dir)
	run, _ := train.OpenRunDir(dir) // locked for this process
	defer run.Close()

	newLoop := func() *train.Loop {
		m := graph.NewModel(graph.Float32, 1)
		gpt, _ := transformer.NewLM(m, transformer.LMConfig{Vocab: tok.VocabSize(), Context: 32, Dim: 32, Heads: 2, Layers: 2})
		task, _ := train.NewLMTask(gpt, ids, val, train.LMConfig{Batch: 8, Context: 32, Seed: 1})
		loop := train.NewLoop(task, optim.NewAdamW(optim.WarmupCosine(3e-3, 10, 60, 3e-4), 0.1), 60)
		loop.EvalEvery, loop.EvalBatches, loop.SaveEvery, loop.Dir = 20, 4, 20, run
		return loop
	}

	ctx, stop := context.WithCancel(context.Background())
	loop := newLoop()
	loop.Hooks.Step = func(s train.StepInfo) error {
		if s.Step == 30 {
			stop() // the loop saves a checkpoint and returns
		}
		return nil
	}
	err := loop.Run(ctx)
	fmt.Println(errors.Is(err, train.ErrInterrupted), loop.Step)

	latest, _ := train.FindCheckpoint(dir, false)
	ck, _ := train.ReadCheckpoint(latest)
	loop = newLoop()
	if err := loop.Restore(ck); err != nil {
		fmt.Println(err)
		return
	}
	err = loop.Run(context.Background())
	fmt.Println(filepath.Base(latest), err, loop.Step, loop.BestVal < 3.2)
	// Output:
	// true 30
	// ckpt-000030.safetensors <nil> 60 true
}
