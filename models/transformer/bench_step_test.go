package transformer

import (
	"math/rand/v2"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/tensor"
)

// BenchmarkTransformerStep times one training step (forward, cross-entropy,
// backward, clipping at 1.0, Adam) of the decoder-only Transformer of
// ../shared/bench/torch_reference.py's "transformer" config: vocab 96,
// context 64, batch 32, d_model 128, 4 heads, 4 layers, FFN 512, GELU,
// pre-LN, learned positions. Data are random ids (speed does not depend on
// them). Compare side by side with
//
//	go test ./models/transformer -run '^$' -bench 'Step$' -benchmem
//	/usr/bin/python3 ../shared/bench/torch_reference.py transformer
func BenchmarkTransformerStep(b *testing.B) {
	benchLMStep(b, LMConfig{Vocab: 96, Context: 64, Dim: 128, Heads: 4, Layers: 4, Hidden: 512}, 32, optim.NewAdam(optim.Constant(1e-3)))
}

// BenchmarkBabyGPTStep times one training step of nanoGPT's CPU baby GPT
// (torch_reference.py "babygpt"): vocab 65, context 64, batch 12, d_model
// 128, 4 heads, 4 layers, no biases, tied head, AdamW.
func BenchmarkBabyGPTStep(b *testing.B) {
	benchLMStep(b, LMConfig{Vocab: 65, Context: 64, Dim: 128, Heads: 4, Layers: 4, NoBias: true, TiedHead: true}, 12,
		optim.NewAdamW(optim.Constant(1e-3), 0.1))
}

func benchLMStep(b *testing.B, cfg LMConfig, batch int, inner optim.Optimizer) {
	m := graph.NewModel(graph.Float32, 1)
	lm, err := NewLM(m, cfg)
	if err != nil {
		b.Fatal(err)
	}
	loss, err := lm.Loss(batch, cfg.Context)
	if err != nil {
		b.Fatal(err)
	}
	prog, err := m.Compile(loss)
	if err != nil {
		b.Fatal(err)
	}
	opt := optim.ClipByGlobalNorm(inner, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	ids := func() *tensor.Dense {
		v := make([]int, batch*cfg.Context)
		for i := range v {
			v[i] = rng.IntN(cfg.Vocab)
		}
		return tensor.New(tensor.WithShape(batch, cfg.Context), tensor.WithBacking(v))
	}
	step := func() {
		if _, err := prog.Step(graph.Feeds{LMInput: ids(), LMTarget: ids()}, opt); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ { // warm up
		step()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step()
	}
	perStep := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(perStep, "s/step")
	b.ReportMetric(float64(batch*cfg.Context)/perStep, "tokens/s")
}
