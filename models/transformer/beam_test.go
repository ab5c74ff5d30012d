package transformer

import (
	"fmt"
	"math"
	"testing"
)

// exhaustiveBest returns, by scoring every output of at most maxLen tokens
// counting EOSID, the one Beam must return: the best log P(y)/lp(y), with
// lp(y) = ((5+|y|)/6)^lengthPenalty, without EOSID, and its score. It
// scores each prefix with the recomputing decoder (NoKVCache), which reads
// the whole prefix at every step.
func exhaustiveBest(t *testing.T, s *Seq2Seq, src []int, lengthPenalty float64, maxLen int) ([]int, float64) {
	t.Helper()
	saved := s.NoKVCache
	s.NoKVCache = true
	d, err := s.start([][]int{src}, maxLen)
	s.NoKVCache = saved
	if err != nil {
		t.Fatal(err)
	}
	var best []int
	bestScore := math.Inf(-1)
	var extend func(prefix []int, logProb float64)
	extend = func(prefix []int, logProb float64) {
		var next []float64
		if err := d.step(len(prefix), [][]int{prefix}, nil, func(_ int, lp []float64) { next = append([]float64(nil), lp...) }); err != nil {
			t.Fatal(err)
		}
		for v, lp := range next {
			switch {
			case math.IsInf(lp, -1):
			case v == s.Config.EOSID:
				score := (logProb + lp) / math.Pow((5+float64(len(prefix)+1))/6, lengthPenalty)
				if score > bestScore {
					best, bestScore = append([]int(nil), prefix...), score
				}
			case len(prefix)+1 < maxLen:
				extend(append(append([]int(nil), prefix...), v), logProb+lp)
			}
		}
	}
	extend(nil, 0)
	return best, bestScore
}

// TestBeamIsExhaustiveWhenWide: a beam as wide as the number of outputs
// (3 tokens, at most 4 positions counting EOS) finds the output that scores
// best under the length penalty, for every source and penalty, with the
// key/value cache and without; the cases
// include sources where greedy decoding misses it and sources where the
// penalty changes the answer, so that a beam that keeps one hypothesis per
// step, or that ignores the penalty, fails.
func TestBeamIsExhaustiveWhenWide(t *testing.T) {
	s := newTinySeq2Seq(t, func(c *Seq2SeqConfig) { c.Dim, c.Layers = 16, 1 })
	for _, p := range s.Model().Params() {
		if p.Shape().Dims() == 2 {
			scaleParam(p, 2) // sharper, more varied outputs
		}
		if p.Name() == "head.bias" {
			p.Value().Float64s()[s.Config.EOSID]-- // outputs of several lengths
		}
	}
	const maxLen = 4
	tokens := s.Config.TargetVocab - 3 // all but PadID, BOSID and EOSID
	width := int(math.Pow(float64(tokens), maxLen))
	sources := [][]int{{3, 4, 5}, {6}, {5, 5, 3, 4, 6, 3, 4}, {4, 3}, {6, 6, 5}, {3}, {5, 4, 3, 6}, {4, 4}}
	penalties := []float64{0, 1, 3}
	greedyMisses, penaltyMatters := 0, 0
	for _, src := range sources {
		var answers []string
		for _, alpha := range penalties {
			want, score := exhaustiveBest(t, s, src, alpha, maxLen)
			for _, noCache := range []bool{false, true} {
				s.NoKVCache = noCache
				got, err := s.Beam(src, width, alpha, maxLen)
				if err != nil {
					t.Fatal(err)
				}
				if !equalInts(got, want) {
					t.Errorf("source %v, length penalty %v, NoKVCache %v: beam of width %d gives %v, the best output is %v (score %.4f)", src, alpha, noCache, width, got, want, score)
				}
			}
			s.NoKVCache = false
			answers = append(answers, fmt.Sprint(want))
			if alpha == 0 {
				greedy, err := s.Greedy([][]int{src}, maxLen)
				if err != nil {
					t.Fatal(err)
				}
				if !equalInts(greedy[0], want) {
					greedyMisses++
				}
			}
		}
		if answers[0] != answers[len(answers)-1] {
			penaltyMatters++
		}
		t.Logf("source %v: best outputs %v under length penalties %v", src, answers, penalties)
	}
	if greedyMisses == 0 || penaltyMatters == 0 {
		t.Fatalf("the cases do not tell the searches apart: greedy misses the best output on %d sources, the penalty changes it on %d", greedyMisses, penaltyMatters)
	}
}
