package rnn

import (
	"fmt"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LMConfig configures an LM.
type LMConfig struct {
	Vocab   int             // V, number of token ids
	Embed   int             // size of the token embedding
	Hidden  int             // hidden size of every recurrent layer
	Layers  int             // stacked recurrent layers (0 means 1)
	Cell    layers.CellKind // layers.Elman, layers.LSTM or layers.GRU
	Dropout float64         // dropout between stacked layers, in training
}

// Validate returns an error naming an invalid field of c, or nil.
func (c LMConfig) Validate() error {
	switch {
	case c.Vocab <= 0 || c.Embed <= 0 || c.Hidden <= 0 || c.Layers < 0:
		return errors.Errorf("rnn: LMConfig: Vocab %d, Embed %d and Hidden %d must be positive, Layers %d not negative",
			c.Vocab, c.Embed, c.Hidden, c.Layers)
	case !(c.Dropout >= 0 && c.Dropout < 1):
		return errors.Errorf("rnn: LMConfig: Dropout %v outside [0,1)", c.Dropout)
	case c.Cell != layers.Elman && c.Cell != layers.LSTM && c.Cell != layers.GRU:
		return errors.Errorf("rnn: LMConfig: unknown Cell %v", c.Cell)
	}
	return nil
}

// LM is a recurrent language model: embedding → stacked RNN, LSTM or GRU →
// output projection, predicting every next token (char-rnn, Karpathy 2015).
// With the hidden state S_t and the output O_t of the seed's recurrent
// network, O_t = softmax(V·S_t) is the distribution of token t+1.
type LM struct {
	Config    LMConfig
	Embedding *layers.Embedding // "embedding.weight" [Vocab,Embed]
	RNN       *layers.RNN       // "rnn.weight_x_l0" [Embed,G·Hidden], ...
	Head      *layers.Linear    // "head.weight" [Hidden,Vocab], "head.bias" [Vocab]
	m         *graph.Model
	windows   int        // windows built, to name their inputs
	gen       *generator // the generation program, compiled on first use
}

// NewLM adds an LM to m, its parameters named as the fields of LM say.
func NewLM(m *graph.Model, cfg LMConfig) (*LM, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Layers == 0 {
		cfg.Layers = 1
	}
	lm := &LM{Config: cfg, m: m}
	var err error
	if lm.Embedding, err = layers.NewEmbedding(m, "embedding", cfg.Vocab, cfg.Embed); err != nil {
		return nil, errors.Wrap(err, "rnn: LM")
	}
	rc := layers.RNNConfig{Cell: cfg.Cell, Input: cfg.Embed, Hidden: cfg.Hidden, Layers: cfg.Layers, Dropout: cfg.Dropout}
	if lm.RNN, err = layers.NewRNN(m, "rnn", rc); err != nil {
		return nil, errors.Wrap(err, "rnn: LM")
	}
	if lm.Head, err = layers.NewLinear(m, "head", cfg.Hidden, cfg.Vocab); err != nil {
		return nil, errors.Wrap(err, "rnn: LM")
	}
	return lm, nil
}

// Model returns the graph.Model the LM belongs to.
func (lm *LM) Model() *graph.Model { return lm.m }

// Window is the LM unrolled over windows of Batch rows of Steps tokens, with
// the hidden state carried from one window to the next (truncated
// backpropagation through time): row b of a window continues row b of the
// previous one, as datasets.LMBatcher's Streams mode cuts them. Build one
// Window per batch shape and mode: a training window in training mode, an
// evaluation or generation window in evaluation mode.
type Window struct {
	Batch, Steps int
	// Loss is the mean next-token cross-entropy over every position whose
	// target is not −1.
	Loss *gorgonia.Node
	// Logits [Steps·Batch, Vocab] holds the scores of position t of row b in
	// row t·Batch+b (time-major).
	Logits *gorgonia.Node
	// State is the carried state: its inputs are the initial state, and the
	// final state is recorded as its outputs.
	State   *layers.Carry
	m       *graph.Model
	ids     string // input names
	targets string
	tgtBuf  []int
}

// NewWindow builds the LM over [batch,steps] windows in the model's current
// mode (training or evaluation). Its inputs are named "window<k>.ids",
// "window<k>.targets" and "window<k>.state.*" for the k-th window built.
//
// The first layer's input part is taken from the embedding table projected
// once, E·W_ih + b [Vocab, G·Hidden], and gathered per step: the same sums
// as projecting each looked-up vector, with Vocab rows of work in place of
// batch·steps (layers.Sequence.Tokens).
func (lm *LM) NewWindow(batch, steps int) (*Window, error) {
	if batch <= 0 || steps <= 0 {
		return nil, errors.Errorf("rnn: LM.NewWindow: batch %d and steps %d must be positive", batch, steps)
	}
	prefix := fmt.Sprintf("window%d", lm.windows)
	lm.windows++
	w := &Window{Batch: batch, Steps: steps, m: lm.m, ids: prefix + ".ids", targets: prefix + ".targets", tgtBuf: make([]int, batch*steps)}
	ids, err := lm.m.IndexInput(w.ids, batch, steps)
	if err != nil {
		return nil, errors.Wrap(err, "rnn: LM.NewWindow")
	}
	targets, err := lm.m.IndexInput(w.targets, steps*batch)
	if err != nil {
		return nil, errors.Wrap(err, "rnn: LM.NewWindow")
	}
	carry, init, err := lm.RNN.NewCarry(prefix+".state", batch)
	if err != nil {
		return nil, errors.Wrap(err, "rnn: LM.NewWindow")
	}
	ys, final, err := lm.RNN.RunTimeMajor(layers.Sequence{Tokens: ids, Embedding: lm.Embedding}, init)
	if err != nil {
		return nil, errors.Wrap(err, "rnn: LM")
	}
	if err := carry.SetFinal(final); err != nil {
		return nil, errors.Wrap(err, "rnn: LM")
	}
	rows, err := gorgonia.Reshape(ys, tensor.Shape{steps * batch, lm.RNN.OutputSize()}) // time-major
	if err != nil {
		return nil, errors.Wrap(err, "rnn: LM: stacking the steps")
	}
	if w.Logits, err = lm.Head.Forward(rows); err != nil {
		return nil, errors.Wrap(err, "rnn: LM")
	}
	if w.Loss, err = ops.CrossEntropy(w.Logits, targets, -1); err != nil {
		return nil, errors.Wrap(err, "rnn: LM loss")
	}
	w.State = carry
	return w, nil
}

// Feeds returns the feeds of one window: inputs and targets are tensor.Int
// [Batch,Steps] (as datasets.LMBatch holds them; a target of −1 is left out
// of the loss), and the carried state. Targets may be nil for a program that
// computes only the logits.
func (w *Window) Feeds(inputs, targets *tensor.Dense) (graph.Feeds, error) {
	want := tensor.Shape{w.Batch, w.Steps}
	for i, t := range []*tensor.Dense{inputs, targets} {
		if (t == nil && i == 1) || (t != nil && t.Dtype() == tensor.Int && t.Shape().Eq(want)) {
			continue
		}
		return nil, errors.Errorf("rnn: Window.Feeds: inputs and targets must be tensor.Int %v", want)
	}
	feeds := w.State.Feed(graph.Feeds{w.ids: inputs})
	if targets == nil {
		return feeds, nil
	}
	tg := targets.Ints()
	for b := 0; b < w.Batch; b++ {
		for t := 0; t < w.Steps; t++ {
			w.tgtBuf[t*w.Batch+b] = tg[b*w.Steps+t]
		}
	}
	feeds[w.targets] = tensor.New(tensor.WithShape(w.Steps*w.Batch), tensor.WithBacking(w.tgtBuf))
	return feeds, nil
}

// CompileTrain compiles the training program of the window: its loss, with
// the final state as extra outputs.
func (w *Window) CompileTrain() (*graph.Program, error) {
	return w.m.Compile(w.Loss, w.State.Outputs()...)
}

// CompileEval compiles a forward-only program computing the loss and the
// final state (build the window in evaluation mode).
func (w *Window) CompileEval() (*graph.Program, error) {
	return w.m.CompileForward(append([]*gorgonia.Node{w.Loss}, w.State.Outputs()...)...)
}

// Step runs one training step of prog (from CompileTrain) on a window, then
// carries its final state to the next window, and returns the loss.
func (w *Window) Step(prog *graph.Program, inputs, targets *tensor.Dense, opt graph.Optimizer) (float64, error) {
	feeds, err := w.Feeds(inputs, targets)
	if err != nil {
		return 0, err
	}
	loss, err := prog.Step(feeds, opt)
	if err != nil {
		return loss, err
	}
	return loss, w.carry(prog)
}

// Evaluate runs prog (from CompileEval) on a window, carries its final state
// to the next window, and returns the loss.
func (w *Window) Evaluate(prog *graph.Program, inputs, targets *tensor.Dense) (float64, error) {
	feeds, err := w.Feeds(inputs, targets)
	if err != nil {
		return 0, err
	}
	outs, err := prog.Forward(feeds)
	if err != nil {
		return 0, err
	}
	if err := w.State.Update(outs); err != nil {
		return 0, err
	}
	return valueAt(outs[0], 0), nil
}

// carry copies the final state of prog's last run into the carried state.
func (w *Window) carry(prog *graph.Program) error {
	outs, err := prog.Outputs()
	if err != nil {
		return err
	}
	return w.State.Update(outs)
}

// valueAt returns element i of a Float32 or Float64 tensor.
func valueAt(t *tensor.Dense, i int) float64 {
	switch v := t.Data().(type) {
	case []float32:
		return float64(v[i])
	case []float64:
		return v[i]
	case float32:
		return float64(v)
	case float64:
		return v
	}
	return 0
}
