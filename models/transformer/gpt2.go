package transformer

import (
	"sort"
	"strings"

	"github.com/gorgonet/gorgonet/layers"
	"github.com/pkg/errors"
)

// gpt2Sizes are the published GPT-2 models: layers, width, heads (Radford
// et al. 2019, Table 2, with the heads of the released configurations) and
// DistilGPT2 (Sanh et al. 2019).
var gpt2Sizes = map[string]struct{ layers, dim, heads int }{
	"gpt2":        {12, 768, 12},
	"gpt2-medium": {24, 1024, 16},
	"gpt2-large":  {36, 1280, 20},
	"gpt2-xl":     {48, 1600, 25},
	"distilgpt2":  {6, 768, 12},
}

// GPT2Config returns the configuration of a published GPT-2 model by name:
// "gpt2" (124M parameters), "gpt2-medium", "gpt2-large", "gpt2-xl" or
// "distilgpt2", with GPT-2's vocabulary of 50257 byte-level BPE tokens, a
// context of 1024, a feed-forward width of 4·Dim, biases, learned positions,
// the tanh approximation of GELU (Hugging Face's gelu_new) and the output
// head tied to the token embedding; the LM's blocks are pre-LN and its
// LayerNorms use ε = 1e-5, as GPT-2's.
func GPT2Config(name string) (LMConfig, error) {
	s, ok := gpt2Sizes[name]
	if !ok {
		names := make([]string, 0, len(gpt2Sizes))
		for n := range gpt2Sizes {
			names = append(names, n)
		}
		sort.Strings(names)
		return LMConfig{}, errors.Errorf("transformer: unknown GPT-2 model %q (want one of %s)", name, strings.Join(names, ", "))
	}
	return LMConfig{Vocab: 50257, Context: 1024, Dim: s.dim, Heads: s.heads, Layers: s.layers, Hidden: 4 * s.dim,
		TiedHead: true, Positions: LearnedPositions, Activation: layers.GELUTanh}, nil
}

// GPT2Heads returns the heads of the published GPT-2 model of width dim
// (12 for 768, 16 for 1024, 20 for 1280, 25 for 1600), and false for a
// width none has.
func GPT2Heads(dim int) (int, bool) {
	for _, s := range gpt2Sizes {
		if s.dim == dim {
			return s.heads, true
		}
	}
	return 0, false
}
