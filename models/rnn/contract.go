package rnn

import (
	"context"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/models"
)

var (
	_ models.LanguageModel = (*LM)(nil)
	_ models.Seq2SeqModel  = (*Seq2Seq)(nil)
)

// Vocab returns Config.Vocab.
func (lm *LM) Vocab() int { return lm.Config.Vocab }

// Context returns 0: a recurrent LM reads streams of any length, its state
// carried from window to window.
func (lm *LM) Context() int { return 0 }

// NewObjective builds a Window of batch rows and steps tokens in the
// model's current mode and returns its loss, its carried state and its
// feeds.
func (lm *LM) NewObjective(batch, steps int) (*models.Objective, error) {
	w, err := lm.NewWindow(batch, steps)
	if err != nil {
		return nil, err
	}
	return models.NewObjective(w.Loss, w.State, batch, steps, w.Feeds), nil
}

// Vocabs returns Config.SourceVocab and Config.TargetVocab.
func (s *Seq2Seq) Vocabs() (source, target int) { return s.Config.SourceVocab, s.Config.TargetVocab }

// MaxLen returns 0: the recurrent encoder and decoder read sequences of any
// length.
func (s *Seq2Seq) MaxLen() int { return 0 }

// Translate decodes every source greedily (Greedy), at most d.MaxLen
// tokens, which must be positive. A beam width above 1 is an error wrapping
// models.ErrNoBeam.
func (s *Seq2Seq) Translate(ctx context.Context, src [][]int, d models.Decoding) ([][]int, error) {
	if d.Beam > 1 {
		return nil, errors.Wrapf(models.ErrNoBeam, "rnn: Seq2Seq.Translate: beam width %d", d.Beam)
	}
	if d.MaxLen <= 0 {
		return nil, errors.Errorf("rnn: Seq2Seq.Translate: MaxLen %d; a recurrent decoder needs a positive limit", d.MaxLen)
	}
	return s.greedy(ctx, src, d.MaxLen)
}
