// Package models states what every model of gorgonet offers the code that
// trains, evaluates and runs it: a LanguageModel (the Transformer and the
// recurrent LM) and a Seq2SeqModel (the encoder–decoder Transformer and the
// RNN encoder–decoder). Packages models/transformer and models/rnn
// implement them; a training loop written against these interfaces serves
// all four models.
package models

import (
	"context"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/sampling"
)

// LanguageModel predicts the next token of sequences of token ids in
// [0, Vocab()).
type LanguageModel interface {
	// Model returns the graph.Model holding the parameters.
	Model() *graph.Model
	// Vocab returns the number of token ids.
	Vocab() int
	// Context returns the longest window the model reads at once, or 0 for
	// a recurrent model, which reads streams of any length and carries its
	// state from one window to the next (Objective.State): its batches must
	// be contiguous streams (row b of a window continues row b of the
	// previous one), where a Transformer's may be independent windows.
	Context() int
	// NewObjective builds, in the model's current mode (training or
	// evaluation, graph.Model.SetTraining), the mean next-token
	// cross-entropy over windows of batch rows of steps tokens (steps ≤
	// Context() when that is not 0), on inputs of names of its own: call it
	// once per program (a training and an evaluation program each get one).
	NewObjective(batch, steps int) (*Objective, error)
	// GenerateContext continues prompt (token ids, at least one) by n
	// tokens drawn as s says and returns the n new ids; it stops between
	// two tokens with ctx's error once ctx is done. A prompt longer than
	// the context and an n past it are fine: the model reads a window of
	// the text, as its documentation says. The models' Generate is
	// GenerateContext without a deadline.
	GenerateContext(ctx context.Context, prompt []int, n int, s sampling.Sampling) ([]int, error)
}

// Objective is a language model's loss over windows of one shape: compile
// Loss with Outputs() after it (graph.Model.Compile(Loss, Outputs()...) to
// train, graph.Model.CompileForward(append([]*gorgonia.Node{Loss},
// Outputs()...)...) to evaluate), feed each batch with Feeds and, after each
// run, pass the program's outputs to Carry.
type Objective struct {
	Loss  *gorgonia.Node // scalar mean cross-entropy over the targets that are not −1
	State *layers.Carry  // state carried from window to window; nil when the model carries none
	batch int
	steps int
	feed  func(inputs, targets *tensor.Dense) (graph.Feeds, error)
}

// NewObjective returns the Objective of a model that built loss over
// [batch,steps] windows, with carried state (nil for none) and feed, which
// maps a window's inputs and targets (tensor.Int [batch,steps], as
// datasets.LMBatch holds them) to the program's feeds, the carried state
// included.
func NewObjective(loss *gorgonia.Node, state *layers.Carry, batch, steps int,
	feed func(inputs, targets *tensor.Dense) (graph.Feeds, error)) *Objective {
	return &Objective{Loss: loss, State: state, batch: batch, steps: steps, feed: feed}
}

// Shape returns the batch rows and the steps of the windows the objective
// reads.
func (o *Objective) Shape() (batch, steps int) { return o.batch, o.steps }

// Outputs returns the nodes to compile after Loss: the final carried
// state, or nil.
func (o *Objective) Outputs() []*gorgonia.Node {
	if o.State == nil {
		return nil
	}
	return o.State.Outputs()
}

// Feeds returns the feeds of one window: inputs and targets are tensor.Int
// [batch,steps]; a target of −1 is left out of the loss.
func (o *Objective) Feeds(inputs, targets *tensor.Dense) (graph.Feeds, error) {
	want := tensor.Shape{o.batch, o.steps}
	for _, t := range []*tensor.Dense{inputs, targets} {
		if t == nil || t.Dtype() != tensor.Int || !t.Shape().Eq(want) {
			return nil, errors.Errorf("models: Objective.Feeds: inputs and targets must be tensor.Int %v", want)
		}
	}
	return o.feed(inputs, targets)
}

// Carry makes the final state of the last run, read from outs (the
// program's outputs, Loss first), the state of the next window; it does
// nothing for a model without carried state.
func (o *Objective) Carry(outs []*tensor.Dense) error {
	if o.State == nil {
		return nil
	}
	return o.State.Update(outs)
}

// Reset starts a new pass: the carried state returns to zeros.
func (o *Objective) Reset() {
	if o.State != nil {
		o.State.Reset()
	}
}

// Names of the inputs a Seq2SeqModel's Loss declares. They take the fields
// Source, DecoderInput and Target of a datasets.Seq2SeqBatch.
const (
	S2SSource    = "src"     // source ids [B,S], padded with PadID
	S2STargetIn  = "tgt_in"  // decoder input [B,T]: BOSID, y_1 … y_n, padding
	S2STargetOut = "tgt_out" // decoder target [B,T]: y_1 … y_n, EOSID, padding
)

// Seq2SeqModel maps a source sequence of ids to a target sequence, trained
// with teacher forcing.
type Seq2SeqModel interface {
	// Model returns the graph.Model holding the parameters.
	Model() *graph.Model
	// Vocabs returns the number of source and of target token ids.
	Vocabs() (source, target int)
	// MaxLen returns the longest source and target the model reads, or 0
	// when a recurrent model has no limit.
	MaxLen() int
	// Loss declares the inputs S2SSource [batch,srcLen], S2STargetIn and
	// S2STargetOut [batch,tgtLen] (tensor.Int) and returns the mean
	// cross-entropy of the teacher-forced decoder over the target positions
	// that are not padding.
	Loss(batch, srcLen, tgtLen int) (*gorgonia.Node, error)
	// LossOf is Loss on given input nodes, e.g. inputs of other names for a
	// validation loss built in evaluation mode.
	LossOf(src, tgtIn, tgtOut *gorgonia.Node) (*gorgonia.Node, error)
	// Translate decodes every source (unpadded ids, at least one each) as d
	// says and returns the outputs without EOSID; it stops between two
	// decoding steps with ctx's error once ctx is done.
	Translate(ctx context.Context, src [][]int, d Decoding) ([][]int, error)
}

// Decoding says how a Seq2SeqModel decodes.
type Decoding struct {
	// Beam is the beam width; 0 or 1 decodes greedily.
	Beam int
	// LengthPenalty α ranks finished beam hypotheses by log P(y) / lp(y),
	// lp(y) = ((5+|y|)/6)^α (Wu et al. 2016, §7); 0 ranks by log P(y).
	LengthPenalty float64
	// MaxLen is the most tokens of each output (EOSID counted); 0 means the
	// model's MaxLen (required for a model without one).
	MaxLen int
}

// ErrNoBeam is returned (wrapped) by a Seq2SeqModel's Translate when the
// model has no beam search.
var ErrNoBeam = errors.New("models: this model decodes greedily only (beam width 1)")
