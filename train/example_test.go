package train_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gorgonet/gorgonet/train"
	"github.com/gorgonet/gorgonet/train/recipe"
)

// Example trains a small character-level GPT on Newton's Opticks with
// validation and checkpoints, is interrupted at step 30 (a cancelled
// context, as Ctrl-C cancels the trainer's) and resumes from its checkpoint
// to step 60 exactly as if it had not stopped. The run directory is the
// trainer's: `trainer sample DIR`, `eval`, `inspect` and `resume` read it.
// Set loop.Progress = train.NewTerminalProgress(os.Stdout, 60, 10) to
// watch it.
func Example() {
	dir, _ := os.MkdirTemp("", "gpt")
	defer os.RemoveAll(dir)
	cfg := recipe.Default() // the trainer's defaults: a 2-block GPT on the Opticks
	cfg.Model.DModel, cfg.Model.Context, cfg.Train.BatchSize, cfg.Train.Steps = 32, 32, 8, 60
	cfg.Train.EvalEvery, cfg.Train.EvalBatches, cfg.Train.SaveEvery = 20, 4, 20
	if err := cfg.Resolve(); err != nil { // derived keys (warm-up, decay), validation
		fmt.Println(err)
		return
	}
	run, _ := train.OpenRunDir(dir) // locked while this process runs
	defer run.Close()
	newLoop := func() *train.Loop {
		r, err := recipe.NewRun(context.Background(), cfg, recipe.Options{}) // data, model, optimizer
		if err != nil {
			panic(err)
		}
		r.Loop.Dir = run
		return r.Loop
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
	if err := loop.Restore(ck); err != nil { // weights, optimizer, RNG, data position
		fmt.Println(err)
		return
	}
	err = loop.Run(context.Background())
	fmt.Println(filepath.Base(latest), err, loop.Step, loop.BestVal < 3.2)
	// Output:
	// true 30
	// ckpt-000030.safetensors <nil> 60 true
}
