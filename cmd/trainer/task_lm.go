package main

import (
	"fmt"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/safetensors"
)

// evalWindows cuts ids into B contiguous streams, one per batch row, and
// returns a function giving the k-th [B,T] window of every stream and the
// number of windows (at most limit when limit > 0): the layout a stateful
// RNN reads, which a Transformer reads window by window. Positions past the
// end of a stream have input 0 and target −1, which the loss leaves out, so
// every token of ids but the first is predicted exactly once (within the
// limit).
func evalWindows(ids []int, B, T, limit int) (func(k int) datasets.LMBatch, int) {
	n := len(ids) - 1 // positions that have a next token
	streamLen := (n + B - 1) / B
	windows := (streamLen + T - 1) / T
	if limit > 0 && windows > limit {
		windows = limit
	}
	return func(k int) datasets.LMBatch {
		in, tg := make([]int, B*T), make([]int, B*T)
		for r := 0; r < B; r++ {
			for t := 0; t < T; t++ {
				p := r*streamLen + k*T + t
				i := r*T + t
				if k*T+t < streamLen && p < n {
					in[i], tg[i] = ids[p], ids[p+1]
				} else {
					in[i], tg[i] = 0, -1
				}
			}
		}
		return datasets.LMBatch{Inputs: tensor.New(tensor.WithShape(B, T), tensor.WithBacking(in)),
			Targets: tensor.New(tensor.WithShape(B, T), tensor.WithBacking(tg)), Step: k}
	}, windows
}

// evaluateLM returns the mean loss per predicted token of ids (within limit
// windows per stream) and the number of tokens predicted.
func evaluateLM(e lmEvaluator, ids []int, B, T, limit int) (float64, int, error) {
	window, count := evalWindows(ids, B, T, limit)
	e.reset()
	var sum float64
	var tokens int
	for k := 0; k < count; k++ {
		b := window(k)
		valid := 0
		for _, t := range b.Targets.Ints() {
			if t >= 0 {
				valid++
			}
		}
		if valid == 0 {
			continue
		}
		loss, err := e.loss(b.Inputs, b.Targets)
		if err != nil {
			return 0, 0, errors.Wrapf(err, "evaluation window %d", k)
		}
		sum += loss * float64(valid)
		tokens += valid
	}
	if tokens == 0 {
		return 0, 0, errors.New("no tokens to evaluate")
	}
	return sum / float64(tokens), tokens, nil
}

// lmTask trains a language model on a tokenised corpus.
type lmTask struct {
	data    *lmData
	train   lmTrainer
	eval    lmEvaluator // nil without validation data
	batcher *datasets.LMBatcher
	B, T    int
}

// newLMTask compiles the programs of net for batches of train.batch_size
// windows of model.context tokens and makes the batcher.
func newLMTask(cfg Config, net lmNet, data *lmData) (*lmTask, error) {
	B, T := cfg.Train.BatchSize, cfg.Model.Context
	mode := net.batchMode()
	if mode == datasets.Streams && (len(data.train)-1)/B < T {
		return nil, errors.Errorf("data.path %s: %d training tokens make %d streams (train.batch_size) of %d tokens, fewer than model.context %d; lower train.batch_size or model.context",
			data.source, len(data.train), B, (len(data.train)-1)/B, T)
	}
	batcher, err := datasets.NewLMBatcher(data.train, datasets.LMConfig{BatchSize: globalRows(B), SeqLen: T, Mode: mode, Seed: cfg.Train.Seed})
	if err != nil {
		return nil, err
	}
	t := &lmTask{data: data, batcher: batcher, B: B, T: T}
	if t.train, err = net.compileTrain(B, T); err != nil {
		return nil, errors.Wrap(err, "compiling the training program")
	}
	if data.val != nil {
		if t.eval, err = net.compileEval(globalRows(B), T); err != nil {
			return nil, errors.Wrap(err, "compiling the validation program")
		}
	}
	return t, nil
}

func (t *lmTask) step(opt graph.Optimizer) (float64, int, error) {
	b, err := shardLM(t.batcher.Next())
	if err != nil {
		return 0, 0, err
	}
	loss, err := agreeStep(t.train.step(b, opt))
	return loss, globalRows(t.B) * t.T, err
}

func (t *lmTask) validate(limit int) (float64, bool, error) {
	if t.eval == nil {
		return 0, false, nil
	}
	loss, _, err := evaluateLM(t.eval, t.data.val, globalRows(t.B), t.T, limit)
	return loss, err == nil, err
}

func (t *lmTask) batcherState() datasets.BatcherState { return t.batcher.State() }
func (t *lmTask) carried() []safetensors.NamedTensor  { return t.train.carried() }

func (t *lmTask) restore(s datasets.BatcherState, carried map[string]*tensor.Dense) error {
	if err := t.batcher.Restore(s); err != nil {
		return err
	}
	return t.train.restoreCarried(carried)
}

func (t *lmTask) describe() string {
	return fmt.Sprintf("%s: %d training and %d validation tokens, %s tokenizer of %d ids",
		t.data.source, len(t.data.train), len(t.data.val), t.data.tok.Kind(), t.data.tok.VocabSize())
}
