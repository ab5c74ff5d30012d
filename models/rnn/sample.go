package rnn

import (
	"context"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/models/sampling"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Sampling says how LM.Generate picks each next token from the model's
// logits (temperature, top-k, top-p, seed); the zero value is greedy
// decoding. It is package sampling's type, shared with the Transformer LM.
type Sampling = sampling.Sampling

// generator is the forward program LM.Generate runs: one token of one
// sequence in, its logits and the next state out, built in evaluation mode.
type generator struct {
	w      *Window
	prog   *graph.Program
	ids    []int
	feeds  graph.Feeds
	logits []float64
}

// generator compiles the generation program on first use.
func (lm *LM) generator() (*generator, error) {
	if lm.gen != nil {
		return lm.gen, nil
	}
	prev := lm.m.Training()
	lm.m.SetTraining(false)
	w, err := lm.NewWindow(1, 1)
	lm.m.SetTraining(prev)
	if err != nil {
		return nil, errors.Wrap(err, "rnn: LM: building the generation graph")
	}
	prog, err := lm.m.CompileForward(append([]*gorgonia.Node{w.Logits}, w.State.Outputs()...)...)
	if err != nil {
		return nil, errors.Wrap(err, "rnn: LM: compiling the generation program")
	}
	g := &generator{w: w, prog: prog, ids: make([]int, 1), logits: make([]float64, lm.Config.Vocab)}
	g.feeds = graph.Feeds{w.ids: tensor.New(tensor.WithShape(1, 1), tensor.WithBacking(g.ids))}
	lm.gen = g
	return g, nil
}

// next feeds one token, carries the state and leaves the logits of the next
// token in g.logits.
func (g *generator) next(id int) error {
	g.ids[0] = id
	outs, err := g.prog.Forward(g.w.State.Feed(g.feeds))
	if err != nil {
		return err
	}
	if err := g.w.State.Update(outs); err != nil {
		return err
	}
	for i := range g.logits {
		g.logits[i] = valueAt(outs[0], i)
	}
	return nil
}

// Generate continues prompt (token ids, at least one) by n tokens drawn as s
// says and returns the n new ids. It reads the prompt one token at a time
// from a zero state, then feeds each drawn token back, the recurrent state
// carried from token to token, with the current parameters and no dropout;
// unlike a Transformer, no context length limits n.
func (lm *LM) Generate(prompt []int, n int, s Sampling) ([]int, error) {
	return lm.GenerateContext(context.Background(), prompt, n, s)
}

// GenerateContext is Generate that stops between two tokens, returning
// ctx's error, once ctx is done.
func (lm *LM) GenerateContext(ctx context.Context, prompt []int, n int, s Sampling) ([]int, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if len(prompt) == 0 || n < 0 {
		return nil, errors.Errorf("rnn: LM.Generate: prompt of %d tokens and n = %d; want a prompt and n ≥ 0", len(prompt), n)
	}
	for i, id := range prompt {
		if id < 0 || id >= lm.Config.Vocab {
			return nil, errors.Errorf("rnn: LM.Generate: prompt token %d is %d, outside [0,%d)", i, id, lm.Config.Vocab)
		}
	}
	g, err := lm.generator()
	if err != nil {
		return nil, err
	}
	g.w.State.Reset()
	for _, id := range prompt {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := g.next(id); err != nil {
			return nil, errors.Wrap(err, "rnn: LM.Generate")
		}
	}
	smp := sampling.NewSampler(s)
	out := make([]int, 0, n)
	for len(out) < n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		id := smp.Next(g.logits)
		out = append(out, id)
		if len(out) < n {
			if err := g.next(id); err != nil {
				return nil, errors.Wrap(err, "rnn: LM.Generate")
			}
		}
	}
	return out, nil
}
