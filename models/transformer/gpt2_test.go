package transformer

import (
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
)

func TestGPT2Config(t *testing.T) {
	cfg, err := GPT2Config("gpt2")
	if err != nil {
		t.Fatal(err)
	}
	if name, _ := layers.ActivationName(cfg.Activation); name != "gelu_tanh" || !cfg.TiedHead || cfg.NoBias || cfg.Context != 1024 {
		t.Errorf("gpt2: %+v", cfg)
	}
	// The parameter count of GPT-2 small with a tied head: 124,439,808.
	cfg.Context, cfg.Layers = 1024, 12
	count := func(c LMConfig) int {
		d, v, h := c.Dim, c.Vocab, c.Hidden
		block := 2*2*d + 4*(d*d+d) + d*h + h + h*d + d
		return v*d + c.Context*d + c.Layers*block + 2*d
	}
	if n := count(cfg); n != 124439808 {
		t.Errorf("gpt2 has %d parameters, want 124,439,808", n)
	}
	small := cfg
	small.Vocab, small.Context, small.Dim, small.Heads, small.Layers, small.Hidden = 11, 6, 8, 2, 1, 32
	m := graph.NewModel(graph.Float32, 1)
	if _, err := NewLM(m, small); err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, p := range m.ParamTensors() {
		got += p.T.Shape().TotalSize()
	}
	if got != count(small) {
		t.Errorf("an LM of the preset's options has %d parameters, the count says %d", got, count(small))
	}
	for _, name := range []string{"gpt2-medium", "gpt2-large", "gpt2-xl", "distilgpt2"} {
		c, err := GPT2Config(name)
		if err != nil || c.Validate() != nil {
			t.Errorf("%s: %v, %v", name, err, c.Validate())
		}
		if h, ok := GPT2Heads(c.Dim); !ok || h != c.Heads {
			t.Errorf("GPT2Heads(%d) = %d, want %d", c.Dim, h, c.Heads)
		}
	}
	if _, err := GPT2Config("gpt3"); err == nil {
		t.Error("gpt3: no error")
	}
}
