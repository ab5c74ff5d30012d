package main

import (
	"fmt"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/safetensors"
)

// s2sBatcherConfig is the batcher configuration shared by training and
// evaluation: fixed [B,S] and [B,T] shapes, S = context and T = context
// (the target plus its end mark), pairs that do not fit dropped.
func s2sBatcherConfig(cfg Config, B int, shuffle bool) datasets.Seq2SeqConfig {
	ctx := cfg.Model.Context
	return datasets.Seq2SeqConfig{BatchSize: B, MaxSourceLen: ctx, MaxTargetLen: ctx - 1, FixedShape: true,
		Shuffle: shuffle, Seed: cfg.Train.Seed}
}

// evaluateS2S returns the mean loss per target token (end marks included)
// of pairs, in batches of B, and the number of tokens. The last pairs that
// do not fill a batch are left out.
func evaluateS2S(loss s2sLoss, cfg Config, tok datasets.Tokenizer, pairs []datasets.Pair, B, limit int) (float64, int, error) {
	batcher, err := datasets.NewSeq2SeqBatcher(pairs, tok, tok, s2sBatcherConfig(cfg, B, false))
	if err != nil {
		return 0, 0, err
	}
	n := batcher.BatchesPerEpoch()
	if limit > 0 {
		n = min(n, limit)
	}
	var sum float64
	var tokens int
	for k := 0; k < n; k++ {
		b := batcher.Next()
		valid := 0
		for _, m := range b.TargetMask {
			if m != 0 {
				valid++
			}
		}
		l, err := loss(b)
		if err != nil {
			return 0, 0, errors.Wrapf(err, "evaluation batch %d", k)
		}
		sum += l * float64(valid)
		tokens += valid
	}
	if tokens == 0 {
		return 0, 0, errors.New("no target tokens to evaluate")
	}
	return sum / float64(tokens), tokens, nil
}

// s2sTask trains a sequence-to-sequence model on pairs.
type s2sTask struct {
	cfg     Config
	data    *s2sData
	train   s2sStep
	eval    s2sLoss // nil without validation pairs
	evalB   int
	batcher *datasets.Seq2SeqBatcher
}

// newS2STask compiles the programs of net for [B,context] batches and makes
// the batcher; pairs longer than the context are left out (and counted).
func newS2STask(cfg Config, net s2sNet, data *s2sData) (*s2sTask, error) {
	B, ctx := cfg.Train.BatchSize, cfg.Model.Context
	batcher, err := datasets.NewSeq2SeqBatcher(data.train, data.tok, data.tok, s2sBatcherConfig(cfg, B, true))
	if err != nil {
		return nil, errors.Wrapf(err, "data.path %s (sources longer than model.context %d or targets longer than %d are dropped)", data.source, ctx, ctx-1)
	}
	t := &s2sTask{cfg: cfg, data: data, batcher: batcher}
	if t.train, err = net.compileTrain(B, ctx, ctx); err != nil {
		return nil, errors.Wrap(err, "compiling the training program")
	}
	if t.evalB = min(B, fittingPairs(data.tok, data.val, ctx)); t.evalB > 0 {
		if t.eval, err = net.compileEval(t.evalB, ctx, ctx); err != nil {
			return nil, errors.Wrap(err, "compiling the validation program")
		}
	}
	return t, nil
}

func (t *s2sTask) step(opt graph.Optimizer) (float64, int, error) {
	b := t.batcher.Next()
	tokens := 0
	for _, m := range b.TargetMask {
		if m != 0 {
			tokens++
		}
	}
	loss, err := t.train(b, opt)
	return loss, tokens, err
}

func (t *s2sTask) validate(limit int) (float64, bool, error) {
	if t.eval == nil {
		return 0, false, nil
	}
	loss, _, err := evaluateS2S(t.eval, t.cfg, t.data.tok, t.data.val, t.evalB, limit)
	return loss, err == nil, err
}

func (t *s2sTask) batcherState() datasets.BatcherState { return t.batcher.State() }
func (t *s2sTask) carried() []safetensors.NamedTensor  { return nil }

func (t *s2sTask) restore(s datasets.BatcherState, _ map[string]*tensor.Dense) error {
	return t.batcher.Restore(s)
}

func (t *s2sTask) describe() string {
	s := fmt.Sprintf("%s: %d training and %d validation pairs, %s tokenizer of %d ids",
		t.data.source, t.batcher.Len(), len(t.data.val), t.data.tok.Kind(), t.data.tok.VocabSize())
	if d := t.batcher.Dropped(); d > 0 {
		s += fmt.Sprintf(" (%d training pairs longer than model.context %d left out)", d, t.cfg.Model.Context)
	}
	return s
}

// fittingPairs counts the pairs whose source fits in context tokens and
// whose target, with its end mark, too.
func fittingPairs(tok datasets.Tokenizer, pairs []datasets.Pair, context int) int {
	n := 0
	for _, p := range pairs {
		if len(tok.Encode(p.Source)) <= context && len(tok.Encode(p.Target)) <= context-1 {
			n++
		}
	}
	return n
}
