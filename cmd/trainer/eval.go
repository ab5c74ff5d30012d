package main

import (
	"context"
	"fmt"
	"io"
	"math"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/train"
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
	ck, net, err := openCheckpoint(arg, true)
	if err != nil {
		return err
	}
	cfg := ck.cfg
	if *data != "" {
		cfg.Data.Path = *data
		cfg.Data.ValFraction = 0
	}
	var loss float64
	var tokens int
	var what string
	if net.lm != nil {
		loss, tokens, what, err = evalLMCheckpoint(ck, net.lm, cfg, *data != "", *split, *batches)
	} else {
		loss, tokens, what, err = evalS2SCheckpoint(ck, net.s2s, cfg, *data != "", *split, *batches)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s (step %d) on %s: loss %.4f, perplexity %.3f, %d tokens\n", ck.path, ck.Step, what, loss, math.Exp(loss), tokens)
	return nil
}

// evalLMCheckpoint evaluates a language model on a split of its data or on
// the file cfg.Data.Path (whole).
func evalLMCheckpoint(ck *checkpoint, lm train.LanguageModel, cfg Config, file bool, split string, batches int) (float64, int, string, error) {
	var ids []int
	var what string
	if file {
		text, desc, err := corpusText(cfg.Data.Path)
		if err != nil {
			return 0, 0, "", err
		}
		ids, what = ck.tok.Encode(text), desc
	} else {
		d, err := loadLMData(context.Background(), cfg, ck.tok)
		if err != nil {
			return 0, 0, "", err
		}
		ids, what = d.train, d.source+" (train split)"
		if split == "val" {
			ids, what = d.val, d.source+" (validation split)"
		}
	}
	if len(ids) < 2 {
		return 0, 0, "", errors.Errorf("%s: fewer than 2 tokens, nothing to predict", what)
	}
	e, err := lm.CompileEval(cfg.Train.BatchSize, cfg.Model.Context)
	if err != nil {
		return 0, 0, "", err
	}
	loss, tokens, err := train.EvaluateLM(context.Background(), e, ids, cfg.Train.BatchSize, cfg.Model.Context, batches)
	return loss, tokens, what, err
}

// evalS2SCheckpoint evaluates a seq2seq model on a split of its pairs or on
// the TSV file cfg.Data.Path.
func evalS2SCheckpoint(ck *checkpoint, s2s train.Seq2SeqModel, cfg Config, file bool, split string, batches int) (float64, int, string, error) {
	d, err := loadS2SData(context.Background(), cfg, ck.tok)
	if err != nil {
		return 0, 0, "", err
	}
	pairs, what := d.train, d.source+" (train split)"
	if !file && split == "val" {
		pairs, what = d.val, d.source+" (validation split)"
	}
	if file {
		what = d.source
	}
	ctx := cfg.Model.Context
	fit := train.FittingPairs(ck.tok, ck.tok, pairs, ctx, ctx)
	if fit == 0 {
		return 0, 0, "", errors.Errorf("%s: no pair fits the model's model.context %d", what, ctx)
	}
	B := min(cfg.Train.BatchSize, fit)
	loss, err := s2s.CompileEval(B, ctx, ctx)
	if err != nil {
		return 0, 0, "", err
	}
	sc := train.Seq2SeqConfig{Batch: B, SourceLen: ctx, TargetLen: ctx, EvalBatch: B, Seed: cfg.Train.Seed}
	l, tokens, err := train.EvaluateSeq2Seq(context.Background(), loss, pairs, ck.tok, ck.tok, sc, batches)
	return l, tokens, what, err
}
