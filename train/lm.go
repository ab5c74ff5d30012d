package train

import (
	"context"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/distributed"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/safetensors"
)

// LMConfig shapes an LMTask.
type LMConfig struct {
	Batch   int // rows of a part, B
	Context int // tokens of a row, T
	// Parts is the number of parts of a global batch (micro-batches per step
	// times processes, see Task); 0 means 1. The batcher draws Parts·Batch
	// rows per step.
	Parts int
	// EvalBatch is the rows of a validation window; 0 means Parts·Batch.
	EvalBatch int
	Seed      uint64 // batch order (datasets.LMBatcher)
}

// LMTask trains a language model on a token sequence: a Transformer on
// random windows, a stateful RNN on contiguous streams, one per row, its
// hidden state carried from window to window of each row (and kept per
// part, so that every row of a global batch continues its own stream).
// Validation reads the validation tokens as EvalBatch contiguous streams
// cut into windows of Context tokens (EvaluateLM).
type LMTask struct {
	lm      LanguageModel
	cfg     LMConfig
	val     []int
	batcher *datasets.LMBatcher
	train   LMProgram
	eval    LMProgram // nil without validation tokens
	batch   datasets.LMBatch
	// carried state of the parts other than current, by part index (a
	// stateful model trained on several parts by one process)
	parts   map[int]map[string]*tensor.Dense
	current int
}

// NewLMTask compiles the programs of lm and makes the batcher over the
// training tokens; val may be nil (no validation).
func NewLMTask(lm LanguageModel, train, val []int, cfg LMConfig) (*LMTask, error) {
	cfg.Parts = max(cfg.Parts, 1)
	if cfg.EvalBatch <= 0 {
		cfg.EvalBatch = cfg.Batch * cfg.Parts
	}
	mode := datasets.RandomWindows
	if lm.Stateful() {
		mode = datasets.Streams
	}
	B, T := cfg.Batch, cfg.Context
	if mode == datasets.Streams && (len(train)-1)/(B*cfg.Parts) < T {
		return nil, errors.Errorf("%d training tokens make %d streams of %d tokens, fewer than the context %d; use fewer rows or a shorter context",
			len(train), B*cfg.Parts, (len(train)-1)/(B*cfg.Parts), T)
	}
	batcher, err := datasets.NewLMBatcher(train, datasets.LMConfig{BatchSize: B * cfg.Parts, SeqLen: T, Mode: mode, Seed: cfg.Seed})
	if err != nil {
		return nil, err
	}
	t := &LMTask{lm: lm, cfg: cfg, val: val, batcher: batcher, current: -1, parts: map[int]map[string]*tensor.Dense{}}
	if t.train, err = lm.CompileTrain(B, T); err != nil {
		return nil, errors.Wrap(err, "compiling the training program")
	}
	if len(val) >= 2 {
		if t.eval, err = lm.CompileEval(cfg.EvalBatch, T); err != nil {
			return nil, errors.Wrap(err, "compiling the validation program")
		}
	}
	return t, nil
}

// Model returns the model trained.
func (t *LMTask) Model() *graph.Model { return t.lm.Model() }

// Position returns the batcher.
func (t *LMTask) Position() Position { return t.batcher }

// Next draws the next global batch.
func (t *LMTask) Next(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t.batch = t.batcher.Next()
	return nil
}

// Tokens returns the targets of part p: Batch·Context.
func (t *LMTask) Tokens(Part) int { return t.cfg.Batch * t.cfg.Context }

// Step trains on part p of the batch.
func (t *LMTask) Step(p Part, opt graph.Optimizer) (float64, error) {
	if p.Of != t.cfg.Parts {
		return 0, errors.Errorf("train: LMTask built for %d parts, asked for part %d of %d", t.cfg.Parts, p.Index, p.Of)
	}
	inputs, targets := t.batch.Inputs, t.batch.Targets
	if p.Of > 1 {
		var err error
		if inputs, err = distributed.ShardRows(inputs, p.Index, p.Of); err != nil {
			return 0, err
		}
		if targets, err = distributed.ShardRows(targets, p.Index, p.Of); err != nil {
			return 0, err
		}
	}
	if t.lm.Stateful() {
		if err := t.switchTo(p.Index); err != nil {
			return 0, err
		}
		if t.batch.Step == 0 {
			t.train.Reset() // a new epoch starts every stream afresh
		}
	}
	return t.train.Step(inputs, targets, opt)
}

// switchTo puts the carried state of part index into the training program,
// keeping that of the part it held.
func (t *LMTask) switchTo(index int) error {
	if t.current == index {
		return nil
	}
	if t.current >= 0 {
		t.parts[t.current] = cloneState(t.train.Carried())
	}
	t.current = index
	saved, ok := t.parts[index]
	if !ok {
		t.train.Reset()
		return nil
	}
	delete(t.parts, index)
	return t.train.SetCarried(saved)
}

// cloneState copies named tensors into a map.
func cloneState(state []safetensors.NamedTensor) map[string]*tensor.Dense {
	out := make(map[string]*tensor.Dense, len(state))
	for _, nt := range state {
		out[nt.Name] = nt.T.Clone().(*tensor.Dense)
	}
	return out
}

// Carried returns the state carried into part p (Carrier).
func (t *LMTask) Carried(p Part) []safetensors.NamedTensor {
	if !t.lm.Stateful() {
		return nil
	}
	if saved, ok := t.parts[p.Index]; ok && p.Index != t.current {
		out := make([]safetensors.NamedTensor, 0, len(saved))
		for _, name := range sortedKeys(saved) {
			out = append(out, safetensors.NamedTensor{Name: name, T: saved[name]})
		}
		return out
	}
	if t.current >= 0 && t.current != p.Index {
		return zeroState(t.train.Carried())
	}
	return t.train.Carried()
}

// zeroState returns zero tensors shaped as state (a part not trained yet).
func zeroState(state []safetensors.NamedTensor) []safetensors.NamedTensor {
	out := make([]safetensors.NamedTensor, len(state))
	for i, nt := range state {
		out[i] = safetensors.NamedTensor{Name: nt.Name, T: tensor.New(tensor.Of(nt.T.Dtype()), tensor.WithShape(nt.T.Shape().Clone()...))}
	}
	return out
}

// SetCarried replaces the state carried into part p (Carrier).
func (t *LMTask) SetCarried(p Part, state map[string]*tensor.Dense) error {
	if !t.lm.Stateful() {
		return nil
	}
	if t.current < 0 || t.current == p.Index {
		t.current = p.Index
		return t.train.SetCarried(state)
	}
	// Checked against the program's state now, stored until the part runs.
	if err := t.switchTo(p.Index); err != nil {
		return err
	}
	return t.train.SetCarried(state)
}

// Evaluate returns the mean validation loss per token (EvaluateLM).
func (t *LMTask) Evaluate(ctx context.Context, limit int) (float64, int, error) {
	if t.eval == nil {
		return 0, 0, nil
	}
	return EvaluateLM(ctx, t.eval, t.val, t.cfg.EvalBatch, t.cfg.Context, limit)
}

// EvalWindows cuts ids into B contiguous streams, one per batch row, and
// returns a function giving the k-th [B,T] window of every stream and the
// number of windows (at most limit when limit > 0): the layout a stateful
// RNN reads, which a Transformer reads window by window. Positions past the
// end of a stream have input 0 and target −1, which the loss leaves out, so
// every token of ids but the first is predicted exactly once (within the
// limit).
func EvalWindows(ids []int, B, T, limit int) (func(k int) datasets.LMBatch, int) {
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

// EvaluateLM returns the mean loss per predicted token of ids under prog, an
// evaluation program on [B,T] windows (EvalWindows, within limit windows
// per stream), and the number of tokens predicted. ctx is checked between
// windows.
func EvaluateLM(ctx context.Context, prog LMProgram, ids []int, B, T, limit int) (float64, int, error) {
	window, count := EvalWindows(ids, B, T, limit)
	prog.Reset()
	var sum float64
	var tokens int
	for k := 0; k < count; k++ {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
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
		loss, err := prog.Loss(b.Inputs, b.Targets)
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
