package main

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/gorgonet/gorgonet/train/recipe"
)

const evalHelp = `
Usage: trainer eval RUN_DIR|CHECKPOINT [flags]

Computes the mean loss per token (cross-entropy in nats) and the perplexity
of a checkpoint on the validation or training split of its own data, or on
another file (--data: text for a language model, TSV pairs for a seq2seq
model), without dropout. A language model reads the text as train.batch_size
contiguous streams cut into model.context windows, so every token but the
first is predicted once. For a run directory the best checkpoint is used.

Examples:
  trainer eval runs/default
  trainer eval runs/default --split train --batches 20
  trainer eval runs/default/ckpt-000400.safetensors --data other-book.txt
`

// cmdEval evaluates a checkpoint.
func cmdEval(args []string, stdout, _ io.Writer) error {
	fs := newFlags("eval", evalHelp, stdout)
	split := fs.String("split", "val", "split of the checkpoint's data: val or train")
	data := fs.String("data", "", "evaluate on this `file` instead of a split")
	batches := fs.Int("batches", 0, "evaluate at most this many batches; 0 means all")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	arg, err := oneArg(pos, "the run directory or checkpoint to evaluate")
	if err != nil {
		return err
	}
	if *split != "val" && *split != "train" {
		return usagef("--split must be val or train, got %q", *split)
	}
	if *batches < 0 {
		return usagef("--batches %d is negative", *batches)
	}
	ck, net, err := recipe.OpenCheckpoint(arg, true)
	if err != nil {
		return err
	}
	loss, tokens, what, err := ck.Evaluate(context.Background(), net, *data, *split == "val", *batches)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s (step %d) on %s: loss %.4f, perplexity %.3f, %d tokens\n", ck.Path, ck.Step, what, loss, math.Exp(loss), tokens)
	return nil
}
