package transformer

import (
	"context"
	"fmt"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/sampling"
)

// lmCached is the key/value-cache generation of an LM, built in evaluation
// mode: prefill programs, which read a window of ids padded to a power of
// two (or to Context) and return the logits and every block's keys and
// values, and a step program, which reads one token at one position over
// the cache and returns its logits and its keys and values.
type lmCached struct {
	cache      *kvCache
	prefill    map[int]*prefill // by length
	step       *graph.Program
	token, pos []int // backing arrays of the step's inputs
	stepFeeds  graph.Feeds
}

// prefill is a program reading len(ids) ids.
type prefill struct {
	prog  *graph.Program
	ids   []int
	feeds graph.Feeds
}

// Names of the inputs of the cached generation programs.
const (
	stepToken    = "generate.step.token"
	stepPosition = "generate.step.pos"
	cachePrefix  = "generate.cache"
)

// cached compiles the cached generation programs on first use.
func (lm *LM) cached() (*lmCached, error) {
	if lm.kv != nil {
		return lm.kv, nil
	}
	c := lm.Config
	g := &lmCached{prefill: map[int]*prefill{}, token: make([]int, 1), pos: make([]int, 1)}
	var stepOut []*gorgonia.Node
	err := lm.m.InEvalMode(func() error {
		var err error
		if g.cache, err = newKVCache(lm.m, cachePrefix, c.Layers, 1, c.Context, c.Dim); err != nil {
			return err
		}
		token, err := lm.m.IndexInput(stepToken, 1, 1)
		if err != nil {
			return err
		}
		pos, err := lm.m.IndexInput(stepPosition, 1)
		if err != nil {
			return err
		}
		x, err := lm.TokEmb.Forward(token)
		if err != nil {
			return err
		}
		if x, err = lm.PosEnc.At(x, pos); err != nil {
			return err
		}
		stepOut = []*gorgonia.Node{nil}
		for l, b := range lm.Blocks {
			var k, v *gorgonia.Node
			if x, k, v, err = b.Step(x, g.cache.caches[l], nil, layers.Mask{}); err != nil {
				return err
			}
			stepOut = append(stepOut, k, v)
		}
		if x, err = lm.LnF.Forward(x); err != nil {
			return err
		}
		stepOut[0], err = project(x, lm.Head, lm.TokEmb)
		return err
	})
	if err != nil {
		return nil, errors.Wrap(err, "transformer: LM: building the key/value-cache programs")
	}
	if g.step, err = lm.m.CompileForward(stepOut...); err != nil {
		return nil, errors.Wrap(err, "transformer: LM: compiling the cached step program")
	}
	g.stepFeeds = graph.Feeds{
		stepToken:    tensor.New(tensor.WithShape(1, 1), tensor.WithBacking(g.token)),
		stepPosition: tensor.New(tensor.WithShape(1), tensor.WithBacking(g.pos))}
	g.cache.feed(g.stepFeeds)
	lm.kv = g
	return g, nil
}

// prefillFor returns the prefill program for a window of n ids, compiling
// it on first use: the program reads the smallest power of two ≥ n ids, or
// Context, padded with zeros that the causal mask hides from the window.
func (lm *LM) prefillFor(g *lmCached, n int) (*prefill, error) {
	size := 1
	for size < n {
		size *= 2
	}
	size = min(size, lm.Config.Context)
	if p, ok := g.prefill[size]; ok {
		return p, nil
	}
	name := fmt.Sprintf("generate.prefill%d.idx", size)
	var out []*gorgonia.Node
	err := lm.m.InEvalMode(func() error {
		ids, err := lm.m.IndexInput(name, 1, size)
		if err != nil {
			return err
		}
		logits, kv, err := lm.logits(ids, true)
		out = append([]*gorgonia.Node{logits}, kv...)
		return err
	})
	if err != nil {
		return nil, errors.Wrap(err, "transformer: LM: building a prefill program")
	}
	p := &prefill{ids: make([]int, size)}
	if p.prog, err = lm.m.CompileForward(out...); err != nil {
		return nil, errors.Wrap(err, "transformer: LM: compiling a prefill program")
	}
	p.feeds = graph.Feeds{name: tensor.New(tensor.WithShape(1, size), tensor.WithBacking(p.ids))}
	g.prefill[size] = p
	return p, nil
}

// generateCached is GenerateContext over the key/value cache: each window
// of the sliding rule is read once by the prefill program, and every
// further token of it by one step. It draws the tokens the recomputing
// path draws, up to the rounding of the matrix products.
func (lm *LM) generateCached(ctx context.Context, prompt []int, n int, s Sampling) ([]int, error) {
	g, err := lm.cached()
	if err != nil {
		return nil, err
	}
	vocab := lm.Config.Vocab
	text := append(make([]int, 0, len(prompt)+n), prompt...)
	w := newWindow(lm.Config.Context, len(prompt))
	smp := sampling.NewSampler(s)
	row := make([]float64, vocab)
	refill := true
	for len(text) < len(prompt)+n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if refill {
			window := len(text) - w.start
			p, err := lm.prefillFor(g, window)
			if err != nil {
				return nil, err
			}
			clear(p.ids)
			copy(p.ids, text[w.start:])
			res, err := p.prog.Forward(p.feeds)
			if err != nil {
				return nil, errors.Wrap(err, "transformer: LM.Generate: prefill")
			}
			if err := g.cache.fill(res[1:], window); err != nil {
				return nil, errors.Wrap(err, "transformer: LM.Generate")
			}
			copyRow(row, res[0], (window-1)*vocab)
			refill = false
		} else {
			g.token[0], g.pos[0] = text[len(text)-1], len(text)-1-w.start
			res, err := g.step.Forward(g.stepFeeds)
			if err != nil {
				return nil, errors.Wrap(err, "transformer: LM.Generate: cached step")
			}
			if err := g.cache.push(res[1:]); err != nil {
				return nil, errors.Wrap(err, "transformer: LM.Generate")
			}
			copyRow(row, res[0], 0)
		}
		text = append(text, smp.Next(row))
		refill = w.grow(len(text))
	}
	return text[len(prompt):], nil
}
