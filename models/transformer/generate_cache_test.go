package transformer

import (
	"fmt"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// TestLMCacheMatchesRecompute checks that generation over the key/value
// cache draws the tokens of the recomputing path, greedily and by seeded
// sampling, inside the context and past it (prompts shorter and longer than
// the context; windows that slide several times), in float64 and float32,
// with learned and sinusoidal positions and a tied head.
func TestLMCacheMatchesRecompute(t *testing.T) {
	samplings := []Sampling{{}, {Temperature: 1, Seed: 5}, {Temperature: 0.8, TopK: 4, Seed: 6}, {Temperature: 1.2, TopP: 0.9, Seed: 7}}
	for _, c := range []struct {
		dt     tensor.Dtype
		config LMConfig
	}{
		{graph.Float64, LMConfig{Vocab: 13, Context: 8, Dim: 12, Heads: 3, Layers: 2, InitStd: 0.4}},
		{graph.Float32, LMConfig{Vocab: 13, Context: 8, Dim: 12, Heads: 3, Layers: 2, InitStd: 0.4}},
		{graph.Float32, LMConfig{Vocab: 11, Context: 7, Dim: 8, Heads: 2, Layers: 3, InitStd: 0.5, Positions: SinusoidalPositions, TiedHead: true}},
		{graph.Float64, LMConfig{Vocab: 11, Context: 1, Dim: 8, Heads: 2, Layers: 1, InitStd: 0.5, NoBias: true}},
	} {
		m := graph.NewModel(c.dt, 9)
		lm, err := NewLM(m, c.config)
		if err != nil {
			t.Fatal(err)
		}
		for _, prompt := range [][]int{{3}, {1, 2, 3, 4, 5}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2}} {
			for _, s := range samplings {
				gen := func(noCache bool) string {
					lm.NoKVCache = noCache
					out, err := lm.Generate(prompt, 3*c.config.Context+2, s)
					if err != nil {
						t.Fatal(err)
					}
					return fmt.Sprint(out)
				}
				cached, recomputed := gen(false), gen(true)
				if cached != recomputed {
					t.Fatalf("%v %+v, prompt %v, %+v:\ncache     %s\nrecompute %s", c.dt, c.config, prompt, s, cached, recomputed)
				}
			}
		}
	}
}
