package train

import (
	"context"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/distributed"
	"github.com/gorgonet/gorgonet/graph"
)

// Seq2SeqConfig shapes a Seq2SeqTask.
type Seq2SeqConfig struct {
	Batch     int // rows (pairs) of a part
	SourceLen int // S: sources longer than this are left out
	TargetLen int // T: targets, with their end mark, longer than this are left out
	// Parts is the number of parts of a global batch (see Task); 0 means 1.
	Parts int
	// EvalBatch is the rows of a validation batch; 0 means Parts·Batch
	// (fewer when fewer validation pairs fit).
	EvalBatch int
	Seed      uint64 // pair order
}

// batcherConfig is the batcher configuration shared by training and
// evaluation: fixed [B,S] and [B,T] shapes, pairs that do not fit left out.
func (c Seq2SeqConfig) batcherConfig(B int, shuffle bool) datasets.Seq2SeqConfig {
	return datasets.Seq2SeqConfig{BatchSize: B, MaxSourceLen: c.SourceLen, MaxTargetLen: c.TargetLen - 1, FixedShape: true,
		Shuffle: shuffle, Seed: c.Seed}
}

// Seq2SeqTask trains a sequence-to-sequence model on pairs. Its loss is
// the mean over the target tokens that are not padding, so parts of a
// batch weigh by their numbers of target tokens (Task).
type Seq2SeqTask struct {
	model    Seq2SeqModel
	cfg      Seq2SeqConfig
	src, tgt datasets.Tokenizer
	val      []datasets.Pair
	batcher  *datasets.Seq2SeqBatcher
	train    Seq2SeqProgram
	eval     Seq2SeqProgram // nil without validation pairs that fit
	batch    datasets.Seq2SeqBatch
}

// NewSeq2SeqTask compiles the programs of model and makes the batcher over
// the training pairs, encoded by the src and tgt tokenizers.
func NewSeq2SeqTask(model Seq2SeqModel, train, val []datasets.Pair, src, tgt datasets.Tokenizer, cfg Seq2SeqConfig) (*Seq2SeqTask, error) {
	cfg.Parts = max(cfg.Parts, 1)
	if cfg.EvalBatch <= 0 {
		cfg.EvalBatch = cfg.Batch * cfg.Parts
	}
	batcher, err := datasets.NewSeq2SeqBatcher(train, src, tgt, cfg.batcherConfig(cfg.Batch*cfg.Parts, true))
	if err != nil {
		return nil, errors.Wrapf(err, "sources longer than %d or targets longer than %d are left out", cfg.SourceLen, cfg.TargetLen-1)
	}
	t := &Seq2SeqTask{model: model, cfg: cfg, src: src, tgt: tgt, val: val, batcher: batcher}
	if t.train, err = model.CompileTrain(cfg.Batch, cfg.SourceLen, cfg.TargetLen); err != nil {
		return nil, errors.Wrap(err, "compiling the training program")
	}
	if t.cfg.EvalBatch = min(cfg.EvalBatch, FittingPairs(src, tgt, val, cfg.SourceLen, cfg.TargetLen)); t.cfg.EvalBatch > 0 {
		if t.eval, err = model.CompileEval(t.cfg.EvalBatch, cfg.SourceLen, cfg.TargetLen); err != nil {
			return nil, errors.Wrap(err, "compiling the validation program")
		}
	}
	return t, nil
}

// Model returns the model trained.
func (t *Seq2SeqTask) Model() *graph.Model { return t.model.Model() }

// Position returns the batcher.
func (t *Seq2SeqTask) Position() Position { return t.batcher }

// Batcher returns the training batcher (its pairs, how many were left out).
func (t *Seq2SeqTask) Batcher() *datasets.Seq2SeqBatcher { return t.batcher }

// Next draws the next global batch.
func (t *Seq2SeqTask) Next(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t.batch = t.batcher.Next()
	return nil
}

// Tokens returns the number of target tokens (end marks included) of the
// rows of part p.
func (t *Seq2SeqTask) Tokens(p Part) int {
	perRow := len(t.batch.TargetMask) / max(t.cfg.Batch*t.cfg.Parts, 1)
	rows := t.cfg.Batch
	n := 0
	for _, m := range t.batch.TargetMask[p.Index*rows*perRow : (p.Index+1)*rows*perRow] {
		if m != 0 {
			n++
		}
	}
	return n
}

// Step trains on part p of the batch.
func (t *Seq2SeqTask) Step(p Part, opt graph.Optimizer) (float64, error) {
	if p.Of != t.cfg.Parts {
		return 0, errors.Errorf("train: Seq2SeqTask built for %d parts, asked for part %d of %d", t.cfg.Parts, p.Index, p.Of)
	}
	b := t.batch
	if p.Of > 1 {
		var err error
		for _, x := range []**tensor.Dense{&b.Source, &b.DecoderInput, &b.Target} {
			if *x, err = distributed.ShardRows(*x, p.Index, p.Of); err != nil {
				return 0, err
			}
		}
	}
	return t.train(b, opt)
}

// Evaluate returns the mean validation loss per target token
// (EvaluateSeq2Seq).
func (t *Seq2SeqTask) Evaluate(ctx context.Context, limit int) (float64, int, error) {
	if t.eval == nil {
		return 0, 0, nil
	}
	return EvaluateSeq2Seq(ctx, t.eval, t.val, t.src, t.tgt, t.cfg, limit)
}

// EvaluateSeq2Seq returns the mean loss per target token (end marks
// included) of pairs under prog, an evaluation program on batches of
// cfg.EvalBatch pairs, over at most limit batches (0: all), and the number
// of tokens. The last pairs that do not fill a batch are left out.
func EvaluateSeq2Seq(ctx context.Context, prog Seq2SeqProgram, pairs []datasets.Pair, src, tgt datasets.Tokenizer, cfg Seq2SeqConfig, limit int) (float64, int, error) {
	batcher, err := datasets.NewSeq2SeqBatcher(pairs, src, tgt, cfg.batcherConfig(cfg.EvalBatch, false))
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
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		b := batcher.Next()
		valid := 0
		for _, m := range b.TargetMask {
			if m != 0 {
				valid++
			}
		}
		l, err := prog(b, nil)
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

// FittingPairs counts the pairs whose source fits in srcLen tokens and
// whose target, with its end mark, in tgtLen.
func FittingPairs(src, tgt datasets.Tokenizer, pairs []datasets.Pair, srcLen, tgtLen int) int {
	n := 0
	for _, p := range pairs {
		if len(src.Encode(p.Source)) <= srcLen && len(tgt.Encode(p.Target)) <= tgtLen-1 {
			n++
		}
	}
	return n
}
