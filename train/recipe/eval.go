package recipe

import (
	"context"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/train"
)

// Evaluate returns the mean loss per token of net, the checkpoint's model
// (LoadNetwork), in evaluation mode, on the validation (val) or training
// split of the checkpoint's data, or on the file at path when path is not
// empty (text for a language model, TSV pairs for a seq2seq model), over
// at most batches batches (0: all); and the number of tokens and what the
// data was, for messages.
func (ck *Checkpoint) Evaluate(ctx context.Context, net *Network, path string, val bool, batches int) (loss float64, tokens int, what string, err error) {
	cfg := ck.Config
	if path != "" {
		cfg.Data.Path, cfg.Data.ValFraction = path, 0
	}
	if net.LM != nil {
		return ck.evaluateLM(ctx, net.LM, cfg, path != "", val, batches)
	}
	return ck.evaluateS2S(ctx, net.S2S, cfg, path != "", val, batches)
}

// evaluateLM evaluates a language model on a split of its data or on the
// file cfg.Data.Path (whole).
func (ck *Checkpoint) evaluateLM(ctx context.Context, lm models.LanguageModel, cfg Config, file, val bool, batches int) (float64, int, string, error) {
	var ids []int
	var what string
	if file {
		text, desc, err := CorpusText(ctx, cfg.Data.Path)
		if err != nil {
			return 0, 0, "", err
		}
		ids, what = ck.Tok.Encode(text), desc
	} else {
		d, err := LoadLMData(ctx, cfg, ck.Tok)
		if err != nil {
			return 0, 0, "", err
		}
		ids, what = d.Train, d.Source+" (train split)"
		if val {
			ids, what = d.Val, d.Source+" (validation split)"
		}
	}
	if len(ids) < 2 {
		return 0, 0, "", errors.Errorf("%s: fewer than 2 tokens, nothing to predict", what)
	}
	loss, tokens, err := train.EvaluateLM(ctx, lm, ids, cfg.Train.BatchSize, cfg.Model.Context, batches)
	return loss, tokens, what, err
}

// evaluateS2S evaluates a seq2seq model on a split of its pairs or on the
// TSV file cfg.Data.Path.
func (ck *Checkpoint) evaluateS2S(ctx context.Context, s2s models.Seq2SeqModel, cfg Config, file, val bool, batches int) (float64, int, string, error) {
	d, err := LoadS2SData(ctx, cfg, ck.Tok)
	if err != nil {
		return 0, 0, "", err
	}
	pairs, what := d.Train, d.Source+" (train split)"
	if !file && val {
		pairs, what = d.Val, d.Source+" (validation split)"
	}
	if file {
		what = d.Source
	}
	n := cfg.Model.Context
	fit := train.FittingPairs(ck.Tok, ck.Tok, pairs, n, n)
	if fit == 0 {
		return 0, 0, "", errors.Errorf("%s: no pair fits the model's model.context %d", what, n)
	}
	B := min(cfg.Train.BatchSize, fit)
	sc := train.Seq2SeqConfig{Batch: B, SourceLen: n, TargetLen: n, EvalBatch: B, Seed: cfg.Train.Seed}
	l, tokens, err := train.EvaluateSeq2Seq(ctx, s2s, pairs, ck.Tok, ck.Tok, sc, batches)
	return l, tokens, what, err
}
