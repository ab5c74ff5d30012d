package sampling

import (
	"math"
	"testing"
)

func TestSamplerKeepsOnlyTopTokens(t *testing.T) {
	logits := []float64{0.3, -1, 2, 1.9, 0.5, 1.95}
	tests := []struct {
		name string
		s    Sampling
		want map[int]bool // every token that may be drawn
	}{
		{"greedy", Sampling{}, map[int]bool{2: true}},
		{"top-1", Sampling{Temperature: 1, TopK: 1}, map[int]bool{2: true}},
		{"top-2", Sampling{Temperature: 5, TopK: 2}, map[int]bool{2: true, 5: true}},
		{"tiny top-p", Sampling{Temperature: 1, TopP: 1e-9}, map[int]bool{2: true}},
		{"top-p 0.5 hot", Sampling{Temperature: 100, TopP: 0.5}, map[int]bool{2: true, 5: true, 3: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSampler(tc.s)
			seen := map[int]int{}
			for i := 0; i < 300; i++ {
				seen[s.Next(logits)]++
			}
			for id := range seen {
				if !tc.want[id] {
					t.Fatalf("drew token %d; allowed %v (draws %v)", id, tc.want, seen)
				}
			}
			if len(seen) != len(tc.want) {
				t.Fatalf("draws %v, want every one of %v", seen, tc.want)
			}
		})
	}
}

// TestSamplerFrequencies checks that temperature-1 sampling draws each token
// with its softmax probability.
func TestSamplerFrequencies(t *testing.T) {
	logits := []float64{0, math.Log(2), math.Log(3)} // probabilities 1/6, 2/6, 3/6
	s := NewSampler(Sampling{Temperature: 1, Seed: 1})
	const n = 60000
	counts := make([]float64, 3)
	for i := 0; i < n; i++ {
		counts[s.Next(logits)]++
	}
	for i, c := range counts {
		want := float64(i+1) / 6
		if got := c / n; math.Abs(got-want) > 0.01 {
			t.Errorf("token %d drawn with frequency %.4f, want %.4f", i, got, want)
		}
	}
}

func TestSameSeedSameDraws(t *testing.T) {
	logits := []float64{0.1, 0.2, 0.3, 0.4}
	draw := func(seed uint64) []int {
		s := NewSampler(Sampling{Temperature: 1, Seed: seed})
		out := make([]int, 50)
		for i := range out {
			out[i] = s.Next(logits)
		}
		return out
	}
	a, b, c := draw(1), draw(1), draw(2)
	same := func(x, y []int) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if !same(a, b) || same(a, c) {
		t.Fatalf("seed 1 twice: %v / %v; seed 2: %v", a, b, c)
	}
}

func TestValidate(t *testing.T) {
	for _, s := range []Sampling{{Temperature: -1}, {Temperature: math.Inf(1)}, {Temperature: math.NaN()}, {TopK: -2}, {TopP: 1.5}, {TopP: -0.1}} {
		if err := s.Validate(); err == nil {
			t.Errorf("%+v: no error", s)
		}
	}
	if err := (Sampling{Temperature: 0.8, TopK: 20, TopP: 0.9}).Validate(); err != nil {
		t.Error(err)
	}
}
