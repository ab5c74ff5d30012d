// Package sampling picks the next token of a generated sequence from a
// model's logits: greedy, temperature, top-k (Fan et al. 2018) and top-p
// (nucleus, Holtzman et al. 2020) sampling, seeded and reproducible. The
// Transformer and recurrent language models of gorgonet share it.
package sampling

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/pkg/errors"
)

// Sampling says how each next token is picked from the model's logits. The
// zero value is greedy decoding.
type Sampling struct {
	// Temperature divides the logits before the softmax: below 1 sharpens,
	// above 1 flattens the distribution. 0 means greedy: always the most
	// likely token (the lowest id among equals), no randomness.
	Temperature float64
	// TopK keeps only the K most likely tokens (Fan et al. 2018); 0 keeps all.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probabilities
	// sum to at least TopP (nucleus sampling, Holtzman et al. 2020); 0 or 1
	// keeps all. Applied after TopK.
	TopP float64
	// Seed seeds the random draws: the same seed, model and prompt give the
	// same tokens.
	Seed uint64
}

// Validate returns an error naming an invalid field of s, or nil.
func (s Sampling) Validate() error {
	switch {
	case !(s.Temperature >= 0) || math.IsInf(s.Temperature, 0):
		return errors.Errorf("sampling: Temperature %v must be ≥ 0 and finite", s.Temperature)
	case s.TopK < 0:
		return errors.Errorf("sampling: TopK %d is negative", s.TopK)
	case !(s.TopP >= 0 && s.TopP <= 1):
		return errors.Errorf("sampling: TopP %v outside [0, 1]", s.TopP)
	}
	return nil
}

// Sampler draws tokens as a Sampling says, from its own seeded generator,
// reusing its buffers from draw to draw.
type Sampler struct {
	Sampling
	rng   *rand.Rand
	order []int
	probs []float64
}

// NewSampler returns a Sampler for s, its generator seeded by s.Seed.
func NewSampler(s Sampling) *Sampler {
	return &Sampler{Sampling: s, rng: rand.New(rand.NewPCG(s.Seed, 0x6e65_7874_746f_6b))}
}

// Next returns the token drawn from logits (one per token id).
func (s *Sampler) Next(logits []float64) int {
	if s.Temperature == 0 {
		return Argmax(logits)
	}
	n := len(logits)
	s.order = s.order[:0]
	for i := 0; i < n; i++ {
		s.order = append(s.order, i)
	}
	sort.SliceStable(s.order, func(a, b int) bool { return logits[s.order[a]] > logits[s.order[b]] })
	keep := n
	if s.TopK > 0 && s.TopK < keep {
		keep = s.TopK
	}
	// Softmax over the kept tokens, most likely first.
	s.probs = s.probs[:0]
	top := logits[s.order[0]]
	var sum float64
	for _, id := range s.order[:keep] {
		p := math.Exp((logits[id] - top) / s.Temperature)
		s.probs = append(s.probs, p)
		sum += p
	}
	if s.TopP > 0 && s.TopP < 1 {
		var cum float64
		for i, p := range s.probs {
			cum += p / sum
			if cum >= s.TopP {
				keep = i + 1
				break
			}
		}
		sum = 0
		for _, p := range s.probs[:keep] {
			sum += p
		}
	}
	u := s.rng.Float64() * sum
	for i, p := range s.probs[:keep] {
		if u < p {
			return s.order[i]
		}
		u -= p
	}
	return s.order[keep-1] // rounding left u ≥ the last probability
}

// Argmax returns the index of the largest of values (the first among
// equals).
func Argmax(values []float64) int {
	best := 0
	for i, v := range values {
		if v > values[best] {
			best = i
		}
	}
	return best
}
