package transformer

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/gorgonet/gorgonet/models/sampling"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// s2sPrograms are the forward programs Greedy and Beam run for a batch of
// sequences: the encoder over sources padded to MaxLen, and the decoder
// over targets of MaxLen positions reading the encoder's output as an input.
type s2sPrograms struct {
	enc, dec                  *graph.Program
	srcName, memName, tgtName string
}

// programs compiles the decoding programs for batch sequences on first use.
func (s *Seq2Seq) programs(batch int) (*s2sPrograms, error) {
	if p, ok := s.decode[batch]; ok {
		return p, nil
	}
	c := s.Config
	p := &s2sPrograms{
		srcName: fmt.Sprintf("decode.b%d.src", batch),
		memName: fmt.Sprintf("decode.b%d.memory", batch),
		tgtName: fmt.Sprintf("decode.b%d.tgt", batch)}
	var memory, logits *gorgonia.Node
	err := s.m.InEvalMode(func() error {
		src, err := s.m.IndexInput(p.srcName, batch, c.MaxLen)
		if err != nil {
			return err
		}
		tgt, err := s.m.IndexInput(p.tgtName, batch, c.MaxLen)
		if err != nil {
			return err
		}
		mem, err := s.m.Input(p.memName, batch, c.MaxLen, c.Dim)
		if err != nil {
			return err
		}
		var srcMask *gorgonia.Node
		if memory, srcMask, err = s.Encode(src); err != nil {
			return err
		}
		logits, err = s.Decode(tgt, mem, srcMask)
		return err
	})
	if err != nil {
		return nil, errors.Wrap(err, "transformer: Seq2Seq: building the decoding graphs")
	}
	if p.enc, err = s.m.CompileForward(memory); err != nil {
		return nil, errors.Wrap(err, "transformer: Seq2Seq: compiling the encoder program")
	}
	if p.dec, err = s.m.CompileForward(logits); err != nil {
		return nil, errors.Wrap(err, "transformer: Seq2Seq: compiling the decoder program")
	}
	s.decode[batch] = p
	return p, nil
}

// decoding is the state shared by Greedy and Beam: the programs, the fed
// sources and memory, the target rows the recomputing decoder reads, and
// the key/value-cache step (nil with NoKVCache).
type decoding struct {
	s      *Seq2Seq
	p      *s2sPrograms
	feeds  graph.Feeds
	tgt    []int // [batch,MaxLen] backing array of the fed targets
	row    []float64
	cached *s2sStep
}

// start encodes the sources (one per row of the batch) and prepares the
// decoder's inputs.
func (s *Seq2Seq) start(src [][]int, maxLen int) (*decoding, error) {
	c := s.Config
	if maxLen <= 0 || maxLen > c.MaxLen {
		return nil, errors.Errorf("maximum output length %d outside 1…MaxLen %d", maxLen, c.MaxLen)
	}
	for i, seq := range src {
		if len(seq) == 0 {
			return nil, errors.Errorf("source %d is empty", i)
		}
	}
	srcIDs, err := padRows(src, c.MaxLen, c.PadID, c.SourceVocab)
	if err != nil {
		return nil, errors.Wrapf(err, "sources (at most MaxLen = %d tokens)", c.MaxLen)
	}
	p, err := s.programs(len(src))
	if err != nil {
		return nil, err
	}
	out, err := p.enc.Forward(graph.Feeds{p.srcName: srcIDs})
	if err != nil {
		return nil, errors.Wrap(err, "encoder")
	}
	tgt := make([]int, len(src)*c.MaxLen)
	memory := out[0].Clone().(*tensor.Dense)
	d := &decoding{s: s, p: p, tgt: tgt, row: make([]float64, c.TargetVocab),
		feeds: graph.Feeds{p.srcName: srcIDs, p.memName: memory,
			p.tgtName: tensor.New(tensor.WithShape(len(src), c.MaxLen), tensor.WithBacking(tgt))}}
	if !s.NoKVCache {
		if d.cached, err = s.stepProgram(len(src)); err != nil {
			return nil, err
		}
		d.cached.start(srcIDs, memory)
	}
	return d, nil
}

// setRow makes row r of the decoder input BOS followed by tokens, padded.
func (d *decoding) setRow(r int, tokens []int) {
	c := d.s.Config
	row := d.tgt[r*c.MaxLen : (r+1)*c.MaxLen]
	for i := range row {
		row[i] = c.PadID
	}
	row[0] = c.BOSID
	copy(row[1:], tokens)
}

// step runs the decoder at step t for rows 0…len(prefixes)−1, whose outputs
// so far are prefixes[r] (t tokens for a live row) and whose row r continues
// row from[r] of the previous step (nil: row r), and passes, for each row
// r, the log-probabilities of the token after position t to fn(r,
// logProbs). PadID and BOSID, which never follow a position in a target,
// get −Inf. The recomputing decoder reads every row's whole prefix; the
// cached one only the last token of each, over the keys and values of the
// earlier ones, reordered by from.
func (d *decoding) step(t int, prefixes [][]int, from []int, fn func(r int, logProbs []float64)) error {
	c := d.s.Config
	var logits *tensor.Dense
	var offset func(r int) int
	if d.cached != nil {
		var err error
		if logits, err = d.cached.next(t, prefixes, from, c.BOSID); err != nil {
			return errors.Wrap(err, "cached decoder step")
		}
		offset = func(r int) int { return r * c.TargetVocab }
	} else {
		for r := 0; r < len(d.tgt)/c.MaxLen; r++ {
			if r < len(prefixes) {
				d.setRow(r, prefixes[r])
			} else {
				d.setRow(r, nil)
			}
		}
		out, err := d.p.dec.Forward(d.feeds)
		if err != nil {
			return errors.Wrap(err, "decoder")
		}
		logits = out[0]
		offset = func(r int) int { return (r*c.MaxLen + t) * c.TargetVocab }
	}
	for r := range prefixes {
		copyRow(d.row, logits, offset(r))
		logSoftmax(d.row)
		d.row[c.PadID], d.row[c.BOSID] = math.Inf(-1), math.Inf(-1)
		fn(r, d.row)
	}
	return nil
}

// Greedy translates every source sequence (unpadded ids) by taking the most
// likely token at each step until EOSID or maxLen tokens (≤ MaxLen), and
// returns the outputs without EOSID. All sources are decoded together as one
// batch, by forward-only programs over the current parameters without
// dropout.
func (s *Seq2Seq) Greedy(src [][]int, maxLen int) ([][]int, error) {
	return s.greedy(context.Background(), src, maxLen)
}

// greedy is Greedy, stopped with ctx's error once ctx is done.
func (s *Seq2Seq) greedy(ctx context.Context, src [][]int, maxLen int) ([][]int, error) {
	if len(src) == 0 {
		return nil, errors.New("transformer: Seq2Seq.Greedy: no sources")
	}
	d, err := s.start(src, maxLen)
	if err != nil {
		return nil, errors.Wrap(err, "transformer: Seq2Seq.Greedy")
	}
	out := make([][]int, len(src))
	done := make([]bool, len(src))
	for t, left := 0, len(src); t < maxLen && left > 0; t++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := d.step(t, out, nil, func(r int, logProbs []float64) {
			if done[r] {
				return
			}
			next := sampling.Argmax(logProbs)
			if next == s.Config.EOSID {
				done[r] = true
				left--
				return
			}
			out[r] = append(out[r], next)
		})
		if err != nil {
			return nil, errors.Wrap(err, "transformer: Seq2Seq.Greedy")
		}
	}
	return out, nil
}

// hypothesis is a partial or finished output of beam search.
type hypothesis struct {
	tokens  []int
	logProb float64
}

// Beam translates one source sequence by beam search with width hypotheses
// and returns the best output without EOSID. At each step every live
// hypothesis is extended by every token; the width best extensions by total
// log-probability survive, and an extension by EOSID ranked above the last
// survivor finishes a hypothesis. Search stops when width hypotheses have
// finished or after maxLen (≤ MaxLen) tokens; the result is the finished
// hypothesis (or, if none finished, the live one) with the best score
// log P(y) / lp(y), where lp(y) = ((5+|y|)/6)^lengthPenalty is the length
// penalty of Wu et al. (2016, §7) and |y| counts EOSID. lengthPenalty 0
// ranks by log-probability alone; width 1 with lengthPenalty 0 is Greedy.
func (s *Seq2Seq) Beam(src []int, width int, lengthPenalty float64, maxLen int) ([]int, error) {
	return s.beam(context.Background(), src, width, lengthPenalty, maxLen)
}

// beam is Beam, stopped with ctx's error once ctx is done.
func (s *Seq2Seq) beam(ctx context.Context, src []int, width int, lengthPenalty float64, maxLen int) ([]int, error) {
	if width <= 0 {
		return nil, errors.Errorf("transformer: Seq2Seq.Beam: width %d must be positive", width)
	}
	if !(lengthPenalty >= 0) || math.IsInf(lengthPenalty, 0) {
		return nil, errors.Errorf("transformer: Seq2Seq.Beam: length penalty %v must be ≥ 0 and finite", lengthPenalty)
	}
	rows := make([][]int, width)
	for i := range rows {
		rows[i] = src
	}
	d, err := s.start(rows, maxLen)
	if err != nil {
		return nil, errors.Wrap(err, "transformer: Seq2Seq.Beam")
	}
	type candidate struct {
		from, token int
		logProb     float64
	}
	alive := []hypothesis{{}}
	var from []int // the row of the previous step each live hypothesis continues
	var finished []hypothesis
	var cands []candidate
	prefixes := make([][]int, 0, width)
	for t := 0; t < maxLen && len(alive) > 0 && len(finished) < width; t++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		prefixes = prefixes[:0]
		for _, h := range alive {
			prefixes = append(prefixes, h.tokens)
		}
		cands = cands[:0]
		err := d.step(t, prefixes, from, func(r int, logProbs []float64) {
			for v, lp := range logProbs {
				if !math.IsInf(lp, -1) {
					cands = append(cands, candidate{r, v, alive[r].logProb + lp})
				}
			}
		})
		if err != nil {
			return nil, errors.Wrap(err, "transformer: Seq2Seq.Beam")
		}
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].logProb > cands[j].logProb })
		var next []hypothesis
		from = from[:0]
		for _, c := range cands {
			if len(next) == width {
				break
			}
			tokens := append(append([]int(nil), alive[c.from].tokens...), c.token)
			if c.token == s.Config.EOSID {
				finished = append(finished, hypothesis{tokens: tokens, logProb: c.logProb})
				continue
			}
			next = append(next, hypothesis{tokens: tokens, logProb: c.logProb})
			from = append(from, c.from)
		}
		alive = next
	}
	if len(finished) == 0 {
		finished = alive
	}
	best, bestScore := 0, math.Inf(-1)
	for i, h := range finished {
		score := h.logProb / math.Pow((5+float64(len(h.tokens)))/6, lengthPenalty)
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	tokens := finished[best].tokens
	if n := len(tokens); n > 0 && tokens[n-1] == s.Config.EOSID {
		tokens = tokens[:n-1]
	}
	return tokens, nil
}

// padRows returns the rows as a [len(rows),length] tensor.Int padded with
// pad. Ids must lie in [0,vocab).
func padRows(rows [][]int, length, pad, vocab int) (*tensor.Dense, error) {
	ids := make([]int, len(rows)*length)
	for i := range ids {
		ids[i] = pad
	}
	for r, row := range rows {
		if len(row) > length {
			return nil, errors.Errorf("sequence %d has %d tokens, more than %d", r, len(row), length)
		}
		for j, id := range row {
			if id < 0 || id >= vocab {
				return nil, errors.Errorf("sequence %d: id %d at position %d outside the vocabulary [0,%d)", r, id, j, vocab)
			}
		}
		copy(ids[r*length:], row)
	}
	return tensor.New(tensor.WithShape(len(rows), length), tensor.WithBacking(ids)), nil
}

// logSoftmax replaces v by log softmax(v).
func logSoftmax(v []float64) {
	top := math.Inf(-1)
	for _, x := range v {
		top = math.Max(top, x)
	}
	var sum float64
	for _, x := range v {
		sum += math.Exp(x - top)
	}
	lse := top + math.Log(sum)
	for i := range v {
		v[i] -= lse
	}
}
