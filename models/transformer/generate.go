package transformer

import (
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
// s says and returns the n new ids. It runs a forward-only program over the
// current parameters without dropout, one token at a time; the whole
// sequence, prompt included, must fit in the model's context:
// len(prompt)+n ≤ Context, or Generate returns an error.
func (lm *LM) Generate(prompt []int, n int, s Sampling) ([]int, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	ctx := lm.Config.Context
	switch {
	case len(prompt) == 0:
		return nil, errors.New("transformer: LM.Generate: empty prompt")
	case n < 0:
		return nil, errors.Errorf("transformer: LM.Generate: %d new tokens requested", n)
	case len(prompt)+n > ctx:
		return nil, errors.Errorf("transformer: LM.Generate: prompt of %d tokens plus %d new ones is %d, more than the model's context of %d",
			len(prompt), n, len(prompt)+n, ctx)
	}
	for i, id := range prompt {
		if id < 0 || id >= lm.Config.Vocab {
			return nil, errors.Errorf("transformer: LM.Generate: prompt id %d at position %d outside the vocabulary [0,%d)", id, i, lm.Config.Vocab)
		}
	}
	p, err := lm.program()
	if err != nil {
		return nil, err
	}
	clear(p.ids)
	copy(p.ids, prompt)
	smp := sampling.NewSampler(s)
	row := make([]float64, lm.Config.Vocab)
	out := make([]int, 0, n)
	for pos := len(prompt); pos < len(prompt)+n; pos++ {
		res, err := p.prog.Forward(p.feed)
		if err != nil {
			return nil, errors.Wrap(err, "transformer: LM.Generate")
		}
		// The logits at pos−1 predict the token at pos; the ids after it
		// (zeros) are hidden from them by the causal mask.
		copyRow(row, res[0], (pos-1)*lm.Config.Vocab)
		next := smp.Next(row)
		p.ids[pos] = next
		out = append(out, next)
	}
	return out, nil
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
