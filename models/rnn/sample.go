package rnn

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Sampling says how LM.Generate picks each next token from the model's
// logits. The zero value is greedy decoding.
type Sampling struct {
	// Temperature divides the logits before the softmax: below 1 sharpens,
	// above 1 flattens the distribution. 0 means greedy: always the most
	// likely token (the lowest id among equals), no randomness.
	Temperature float64
	// TopK keeps only the K most likely tokens (Fan et al. 2018); 0 keeps all.
	TopK int
	// Seed seeds the random draws: the same seed, model and prompt give the
	// same tokens.
	Seed uint64
}

// Validate returns an error naming an invalid field of s, or nil.
func (s Sampling) Validate() error {
	switch {
	case !(s.Temperature >= 0) || math.IsInf(s.Temperature, 0):
		return errors.Errorf("rnn: Sampling: Temperature %v must be ≥ 0 and finite", s.Temperature)
	case s.TopK < 0:
		return errors.Errorf("rnn: Sampling: TopK %d is negative", s.TopK)
	}
	return nil
}

// draw returns the token drawn from logits as s says, using rng.
func (s Sampling) draw(logits []float64, rng *rand.Rand) int {
	if s.Temperature == 0 {
		return argmax(logits)
	}
	order := make([]int, len(logits))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return logits[order[a]] > logits[order[b]] })
	keep := len(order)
	if s.TopK > 0 && s.TopK < keep {
		keep = s.TopK
	}
	probs := make([]float64, 0, keep)
	top := logits[order[0]]
	var sum float64
	for _, id := range order[:keep] {
		p := math.Exp((logits[id] - top) / s.Temperature)
		probs = append(probs, p)
		sum += p
	}
	u := rng.Float64() * sum
	for i, p := range probs {
		if u < p {
			return order[i]
		}
		u -= p
	}
	return order[keep-1] // rounding left u ≥ the last probability
}

// argmax returns the index of the largest of values (the first among equals).
func argmax(values []float64) int {
	best := 0
	for i, v := range values {
		if v > values[best] {
			best = i
		}
	}
	return best
}

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
		if err := g.next(id); err != nil {
			return nil, errors.Wrap(err, "rnn: LM.Generate")
		}
	}
	rng := rand.New(rand.NewPCG(s.Seed, 0x726e_6e73))
	out := make([]int, 0, n)
	for len(out) < n {
		id := s.draw(g.logits, rng)
		out = append(out, id)
		if len(out) < n {
			if err := g.next(id); err != nil {
				return nil, errors.Wrap(err, "rnn: LM.Generate")
			}
		}
	}
	return out, nil
}
