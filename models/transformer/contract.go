package transformer

import (
	"context"
	"fmt"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/models"
)

var (
	_ models.LanguageModel = (*LM)(nil)
	_ models.Seq2SeqModel  = (*Seq2Seq)(nil)
)

// Vocab returns Config.Vocab.
func (lm *LM) Vocab() int { return lm.Config.Vocab }

// Context returns Config.Context, the longest window the LM reads.
func (lm *LM) Context() int { return lm.Config.Context }

// NewObjective declares the inputs "objective<k>.idx" and
// "objective<k>.targets" (tensor.Int [batch,steps], steps ≤ Context) for
// the k-th objective built, and returns LossOf them in the model's current
// mode. A Transformer carries no state: State is nil.
func (lm *LM) NewObjective(batch, steps int) (*models.Objective, error) {
	if batch <= 0 || steps <= 0 || steps > lm.Config.Context {
		return nil, errors.Errorf("transformer: LM.NewObjective: batch %d and steps %d, want both positive and steps ≤ Context %d",
			batch, steps, lm.Config.Context)
	}
	prefix := fmt.Sprintf("objective%d", lm.objectives)
	lm.objectives++
	names := [2]string{prefix + ".idx", prefix + ".targets"}
	ids, err := lm.m.IndexInput(names[0], batch, steps)
	if err != nil {
		return nil, errors.Wrap(err, "transformer: LM.NewObjective")
	}
	targets, err := lm.m.IndexInput(names[1], batch, steps)
	if err != nil {
		return nil, errors.Wrap(err, "transformer: LM.NewObjective")
	}
	loss, err := lm.LossOf(ids, targets)
	if err != nil {
		return nil, err
	}
	return models.NewObjective(loss, nil, batch, steps, func(inputs, targets *tensor.Dense) (graph.Feeds, error) {
		return graph.Feeds{names[0]: inputs, names[1]: targets}, nil
	}), nil
}

// Translate decodes every source greedily (d.Beam ≤ 1, as Greedy) or each
// by beam search (Beam), at most d.MaxLen tokens (0 or more than
// Config.MaxLen mean Config.MaxLen).
func (s *Seq2Seq) Translate(ctx context.Context, src [][]int, d models.Decoding) ([][]int, error) {
	maxLen := d.MaxLen
	if maxLen <= 0 || maxLen > s.Config.MaxLen {
		maxLen = s.Config.MaxLen
	}
	if d.Beam <= 1 {
		return s.greedy(ctx, src, maxLen)
	}
	out := make([][]int, len(src))
	for i, seq := range src {
		var err error
		if out[i], err = s.beam(ctx, seq, d.Beam, d.LengthPenalty, maxLen); err != nil {
			return nil, errors.Wrapf(err, "source %d", i)
		}
	}
	return out, nil
}
