package rnn

import (
	"context"
	"fmt"

	"github.com/gorgonet/gorgonet/models/sampling"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// decoding holds the two forward programs of greedy decoding for batches of
// one shape, built in evaluation mode: the encoder (source → memory and the
// decoder's initial state) and one decoder step (previous token, state and
// memory → logits and the next state).
type decoding struct {
	batch, srcLen int
	enc, step     *graph.Program
	src, prev     []int         // backing arrays of the fed ids
	encFeeds      graph.Feeds   // the source
	stepFeeds     graph.Feeds   // the previous tokens; the memory is added per batch
	memNames      []string      // inputs of the step program holding the memory
	state         *layers.Carry // the decoder state, carried from step to step
}

// decoder returns the decoding programs for batch sequences of srcLen ids,
// compiling them on first use.
func (s *Seq2Seq) decoder(batch, srcLen int) (*decoding, error) {
	key := [2]int{batch, srcLen}
	if d, ok := s.decoders[key]; ok {
		return d, nil
	}
	prev := s.m.Training()
	s.m.SetTraining(false)
	d, err := s.buildDecoder(fmt.Sprintf("decode%d", len(s.decoders)), batch, srcLen)
	s.m.SetTraining(prev)
	if err != nil {
		return nil, errors.Wrap(err, "rnn: Seq2Seq: building the decoding programs")
	}
	s.decoders[key] = d
	return d, nil
}

// buildDecoder builds and compiles the decoding programs, their inputs named
// "<prefix>.src", "<prefix>.prev", "<prefix>.memory.<i>" and
// "<prefix>.state.*".
func (s *Seq2Seq) buildDecoder(prefix string, batch, srcLen int) (*decoding, error) {
	d := &decoding{batch: batch, srcLen: srcLen, src: make([]int, batch*srcLen), prev: make([]int, batch)}
	// Encoder program: outputs the memory, then the initial state in the
	// order of the carried state.
	src, err := s.m.IndexInput(prefix+".src", batch, srcLen)
	if err != nil {
		return nil, err
	}
	e, err := s.encode(src)
	if err != nil {
		return nil, err
	}
	var mem []*gorgonia.Node // what attention reads (nothing without it)
	if s.Attention != nil {
		mem = []*gorgonia.Node{e.mem.enc, e.mem.keys, e.mem.maskAdd}
	}
	outs := append([]*gorgonia.Node(nil), mem...)
	for _, st := range e.init {
		outs = append(outs, st.H)
		if st.C != nil {
			outs = append(outs, st.C)
		}
	}
	if d.enc, err = s.m.CompileForward(outs...); err != nil {
		return nil, err
	}
	// Step program: the memory comes back in as inputs.
	var stepMem memory
	fed := make([]*gorgonia.Node, len(mem))
	for i, n := range mem {
		name := fmt.Sprintf("%s.memory.%d", prefix, i)
		if fed[i], err = s.m.Input(name, n.Shape()...); err != nil {
			return nil, err
		}
		d.memNames = append(d.memNames, name)
	}
	if s.Attention != nil {
		stepMem = memory{enc: fed[0], keys: fed[1], maskAdd: fed[2]}
	}
	prevIDs, err := s.m.IndexInput(prefix+".prev", batch)
	if err != nil {
		return nil, err
	}
	var init []layers.State
	if d.state, init, err = s.Decoder.NewCarry(prefix+".state", batch); err != nil {
		return nil, err
	}
	x, err := s.TargetEmbedding.Forward(prevIDs)
	if err != nil {
		return nil, err
	}
	out, next, err := s.step(x, init, stepMem)
	if err != nil {
		return nil, err
	}
	logits, err := s.Head.Forward(out)
	if err != nil {
		return nil, err
	}
	if err := d.state.SetFinal(next); err != nil {
		return nil, err
	}
	if d.step, err = s.m.CompileForward(append([]*gorgonia.Node{logits}, d.state.Outputs()...)...); err != nil {
		return nil, err
	}
	d.encFeeds = graph.Feeds{prefix + ".src": tensor.New(tensor.WithShape(batch, srcLen), tensor.WithBacking(d.src))}
	d.stepFeeds = graph.Feeds{prefix + ".prev": tensor.New(tensor.WithShape(batch), tensor.WithBacking(d.prev))}
	return d, nil
}

// Greedy decodes every source sequence of src (ids, at least one each) and
// returns, for each, the most likely token at every step, fed back as the
// next input, until EOSID or maxLen tokens (EOSID is not included). The batch
// is decoded at once, with programs compiled once per batch size and longest
// source length; shorter sources are padded with PadID.
func (s *Seq2Seq) Greedy(src [][]int, maxLen int) ([][]int, error) {
	return s.greedy(context.Background(), src, maxLen)
}

// greedy is Greedy, stopped with ctx's error once ctx is done.
func (s *Seq2Seq) greedy(ctx context.Context, src [][]int, maxLen int) ([][]int, error) {
	if len(src) == 0 || maxLen <= 0 {
		return nil, errors.Errorf("rnn: Seq2Seq.Greedy: %d sources and maxLen %d; want both positive", len(src), maxLen)
	}
	srcLen := 0
	for i, seq := range src {
		if len(seq) == 0 {
			return nil, errors.Errorf("rnn: Seq2Seq.Greedy: source %d is empty", i)
		}
		for _, id := range seq {
			if id < 0 || id >= s.Config.SourceVocab {
				return nil, errors.Errorf("rnn: Seq2Seq.Greedy: source %d holds id %d, outside [0,%d)", i, id, s.Config.SourceVocab)
			}
		}
		srcLen = max(srcLen, len(seq))
	}
	d, err := s.decoder(len(src), srcLen)
	if err != nil {
		return nil, err
	}
	for i, seq := range src {
		row := d.src[i*srcLen : (i+1)*srcLen]
		for j := range row {
			row[j] = s.Config.PadID
		}
		copy(row, seq)
	}
	mem, err := d.enc.Forward(d.encFeeds)
	if err != nil {
		return nil, errors.Wrap(err, "rnn: Seq2Seq.Greedy: encoder")
	}
	for i, name := range d.memNames {
		d.stepFeeds[name] = mem[i]
	}
	if err := d.state.Update(mem); err != nil { // the initial state comes last
		return nil, err
	}
	out := make([][]int, len(src))
	done := make([]bool, len(src))
	for i := range d.prev {
		d.prev[i] = s.Config.BOSID
	}
	logits := make([]float64, s.Config.TargetVocab)
	for t, left := 0, len(src); t < maxLen && left > 0; t++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		outs, err := d.step.Forward(d.state.Feed(d.stepFeeds))
		if err != nil {
			return nil, errors.Wrapf(err, "rnn: Seq2Seq.Greedy: step %d", t)
		}
		if err := d.state.Update(outs); err != nil {
			return nil, err
		}
		for r := range src {
			if done[r] {
				d.prev[r] = s.Config.PadID
				continue
			}
			for v := range logits {
				logits[v] = valueAt(outs[0], r*len(logits)+v)
			}
			id := sampling.Argmax(logits)
			if id == s.Config.EOSID {
				done[r] = true
				left--
			} else {
				out[r] = append(out[r], id)
			}
			d.prev[r] = id
		}
	}
	return out, nil
}
