package transformer

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/ops"
)

// s2sStep is the key/value-cache decoder of a Seq2Seq for batch rows, built
// in evaluation mode: one program reads the previous token of every row at
// one position, the sources (for their padding mask), the encoder's memory
// and the caches of every decoder layer's self-attention, and returns the
// logits [batch,1,TargetVocab] and each layer's new keys and values.
type s2sStep struct {
	batch      int
	prog       *graph.Program
	cache      *kvCache
	token, pos []int // backing arrays of the fed token [batch,1] and position [1]
	feeds      graph.Feeds
	names      [2]string // inputs of the sources and of the memory
}

// stepProgram compiles the cached decoder for batch rows on first use.
func (s *Seq2Seq) stepProgram(batch int) (*s2sStep, error) {
	if st, ok := s.steps[batch]; ok {
		return st, nil
	}
	c := s.Config
	prefix := fmt.Sprintf("decode.b%d.step", batch)
	st := &s2sStep{batch: batch, token: make([]int, batch), pos: make([]int, 1),
		names: [2]string{prefix + ".src", prefix + ".memory"}}
	outs := []*gorgonia.Node{nil}
	err := s.m.InEvalMode(func() error {
		var err error
		if st.cache, err = newKVCache(s.m, prefix+".cache", c.Layers, batch, c.MaxLen, c.Dim); err != nil {
			return err
		}
		src, err := s.m.IndexInput(st.names[0], batch, c.MaxLen)
		if err != nil {
			return err
		}
		memory, err := s.m.Input(st.names[1], batch, c.MaxLen, c.Dim)
		if err != nil {
			return err
		}
		token, err := s.m.IndexInput(prefix+".token", batch, 1)
		if err != nil {
			return err
		}
		pos, err := s.m.IndexInput(prefix+".pos", 1)
		if err != nil {
			return err
		}
		srcMask, err := ops.PaddingMask(src, c.PadID, s.m.Dtype())
		if err != nil {
			return err
		}
		y, err := s.TgtEmb.Forward(token)
		if err != nil {
			return err
		}
		if y, err = gorgonia.Mul(y, scalarNode(s.m, math.Sqrt(float64(c.Dim)))); err != nil {
			return err
		}
		if y, err = s.PosEnc.At(y, pos); err != nil {
			return err
		}
		for l, dl := range s.Decoder {
			var k, v *gorgonia.Node
			if y, k, v, err = dl.Step(y, st.cache.caches[l], memory, layers.Mask{KeyPadding: srcMask}); err != nil {
				return err
			}
			outs = append(outs, k, v)
		}
		if s.DecNorm != nil {
			if y, err = s.DecNorm.Forward(y); err != nil {
				return err
			}
		}
		outs[0], err = project(y, s.Head, s.TgtEmb)
		return err
	})
	if err != nil {
		return nil, errors.Wrap(err, "transformer: Seq2Seq: building the cached decoder")
	}
	if st.prog, err = s.m.CompileForward(outs...); err != nil {
		return nil, errors.Wrap(err, "transformer: Seq2Seq: compiling the cached decoder")
	}
	st.feeds = graph.Feeds{
		prefix + ".token": tensor.New(tensor.WithShape(batch, 1), tensor.WithBacking(st.token)),
		prefix + ".pos":   tensor.New(tensor.WithShape(1), tensor.WithBacking(st.pos))}
	s.steps[batch] = st
	return st, nil
}

// start begins decoding sources srcIDs [batch,MaxLen] whose encoder output
// is memory [batch,MaxLen,Dim], with an empty cache.
func (st *s2sStep) start(srcIDs, memory *tensor.Dense) {
	st.feeds[st.names[0]], st.feeds[st.names[1]] = srcIDs, memory
	st.cache.length[0] = 0
}

// next runs step t (the cache holds t positions): row r reads the last
// token of prefixes[r] (BOSID at t = 0, and for a row whose prefix is
// shorter than t, a finished one, its last token or BOSID) after the cache
// rows are reordered by from (nil: unchanged). It returns the logits
// [batch,1,TargetVocab], owned by the program.
func (st *s2sStep) next(t int, prefixes [][]int, from []int, bos int) (*tensor.Dense, error) {
	if t != st.cache.length[0] {
		return nil, errors.Errorf("step %d with %d cached positions", t, st.cache.length[0])
	}
	if from != nil {
		st.cache.reorder(from)
	}
	for r := range st.token {
		st.token[r] = bos
		if r < len(prefixes) && len(prefixes[r]) > 0 {
			st.token[r] = prefixes[r][len(prefixes[r])-1]
		}
	}
	st.pos[0] = t
	st.cache.feed(st.feeds)
	out, err := st.prog.Forward(st.feeds)
	if err != nil {
		return nil, err
	}
	if err := st.cache.push(out[1:]); err != nil {
		return nil, err
	}
	return out[0], nil
}
