package transformer

import (
	"context"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/models/sampling"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lmProgram is the forward program LM.Generate runs: logits [1,Context,Vocab]
// for one sequence of Context ids, built in evaluation mode.
type lmProgram struct {
	prog *graph.Program
	ids  []int // backing array of the fed ids
	feed graph.Feeds
}

// generateInput names the input of the generation program.
const generateInput = "generate.idx"

// program compiles the generation program on first use.
func (lm *LM) program() (*lmProgram, error) {
	if lm.gen != nil {
		return lm.gen, nil
	}
	var logits *gorgonia.Node
	err := lm.m.InEvalMode(func() error {
		ids, err := lm.m.IndexInput(generateInput, 1, lm.Config.Context)
		if err != nil {
			return err
		}
		logits, err = lm.Logits(ids)
		return err
	})
	if err != nil {
		return nil, errors.Wrap(err, "transformer: LM: building the generation graph")
	}
	prog, err := lm.m.CompileForward(logits)
	if err != nil {
		return nil, errors.Wrap(err, "transformer: LM: compiling the generation program")
	}
	ids := make([]int, lm.Config.Context)
	lm.gen = &lmProgram{prog: prog, ids: ids,
		feed: graph.Feeds{generateInput: tensor.New(tensor.WithShape(1, lm.Config.Context), tensor.WithBacking(ids))}}
	return lm.gen, nil
}

// Generate continues prompt (token ids, at least one) by n tokens drawn as
// s says and returns the n new ids. It runs forward-only programs over the
// current parameters without dropout, one token at a time, on a window of
// the text (prompt and tokens drawn so far) whose positions count from the
// window's start. The window follows one sliding rule: it starts as the
// prompt, or its last Context tokens when the prompt is longer; it grows by
// each drawn token while it fits in the context, and a token that would
// make it longer than Context restarts it from its last Context−⌊Context/2⌋
// tokens. Every token is therefore predicted from at least half a context
// of text before it, as long as there is that much.
//
// With the key/value cache (the default) a window is read once by one
// program (over the smallest power of two of positions that holds it, at
// most Context), which also fills a cache of every block's keys and values;
// each further token of the window is one step over the cache, whose cost
// grows with the window's length rather than with its square. Once the window slides, every position in it changes, so the
// cache is refilled from the restarted window: the cache and the
// recomputing path (NoKVCache) read the same tokens at the same positions
// and draw the same tokens, up to the rounding of the matrix products.
func (lm *LM) Generate(prompt []int, n int, s Sampling) ([]int, error) {
	return lm.GenerateContext(context.Background(), prompt, n, s)
}

// GenerateContext is Generate that stops between two tokens, returning
// ctx's error, once ctx is done.
func (lm *LM) GenerateContext(ctx context.Context, prompt []int, n int, s Sampling) ([]int, error) {
	if err := lm.checkGenerate(prompt, n, s); err != nil {
		return nil, err
	}
	if !lm.NoKVCache {
		return lm.generateCached(ctx, prompt, n, s)
	}
	p, err := lm.program()
	if err != nil {
		return nil, err
	}
	text := append(make([]int, 0, len(prompt)+n), prompt...)
	w := newWindow(lm.Config.Context, len(prompt))
	smp := sampling.NewSampler(s)
	row := make([]float64, lm.Config.Vocab)
	for len(text) < len(prompt)+n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		clear(p.ids)
		copy(p.ids, text[w.start:])
		res, err := p.prog.Forward(p.feed)
		if err != nil {
			return nil, errors.Wrap(err, "transformer: LM.Generate")
		}
		// The logits at the window's last position predict the next token;
		// the positions after it (zeros) are hidden by the causal mask.
		copyRow(row, res[0], (len(text)-w.start-1)*lm.Config.Vocab)
		text = append(text, smp.Next(row))
		w.grow(len(text))
	}
	return text[len(prompt):], nil
}

// checkGenerate returns an error naming what is wrong with the arguments of
// Generate, or nil.
func (lm *LM) checkGenerate(prompt []int, n int, s Sampling) error {
	if err := s.Validate(); err != nil {
		return err
	}
	switch {
	case len(prompt) == 0:
		return errors.New("transformer: LM.Generate: empty prompt")
	case n < 0:
		return errors.Errorf("transformer: LM.Generate: %d new tokens requested", n)
	}
	for i, id := range prompt {
		if id < 0 || id >= lm.Config.Vocab {
			return errors.Errorf("transformer: LM.Generate: prompt id %d at position %d outside the vocabulary [0,%d)", id, i, lm.Config.Vocab)
		}
	}
	return nil
}

// window is the part text[start:] of a generated text that an LM with a
// context of Context tokens reads to predict the next token, with position
// 0 at start. Its sliding rule: newWindow starts it at the beginning of the
// prompt, or at the prompt's last Context tokens; grow keeps start while the
// window fits in Context tokens and, when the text outgrows it, restarts it
// from the last keep() tokens.
type window struct {
	context int // longest window, the model's context
	start   int // index in the text of the window's first token
}

// newWindow returns the window of a text of promptLen tokens (at least one)
// for a context of ctx tokens (at least one).
func newWindow(ctx, promptLen int) window {
	return window{context: ctx, start: max(0, promptLen-ctx)}
}

// keep returns how many tokens the window keeps when it slides:
// Context−⌊Context/2⌋, so at least one.
func (w window) keep() int { return w.context - w.context/2 }

// grow moves the window for a text grown to textLen tokens (one more than
// at the last call) and reports whether it slid.
func (w *window) grow(textLen int) bool {
	if textLen-w.start <= w.context {
		return false
	}
	w.start = textLen - w.keep()
	return true
}

// copyRow copies len(dst) elements of t, from flat offset off, into dst.
func copyRow(dst []float64, t *tensor.Dense, off int) {
	switch v := t.Data().(type) {
	case []float32:
		for i := range dst {
			dst[i] = float64(v[off+i])
		}
	case []float64:
		copy(dst, v[off:])
	}
}
