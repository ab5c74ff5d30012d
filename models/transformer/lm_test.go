package transformer

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tinyLM is a configuration small enough for finite-difference checks.
func tinyLM() LMConfig {
	return LMConfig{Vocab: 7, Context: 5, Dim: 4, Heads: 2, Layers: 1, Hidden: 6}
}

// ints returns ids as a tensor.Int of the given shape.
func ints(ids []int, shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]int(nil), ids...)))
}

func TestLMGradient(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*LMConfig)
		T    int
	}{
		{"learned positions, untied head", func(*LMConfig) {}, 4},
		{"sinusoidal positions, tied head", func(c *LMConfig) { c.Positions, c.TiedHead = SinusoidalPositions, true }, 5},
		{"no bias, tied head, two layers", func(c *LMConfig) { c.NoBias, c.TiedHead, c.Layers = true, true, 2 }, 5},
		{"dropout", func(c *LMConfig) { c.Dropout = 0.2 }, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := tinyLM()
			c.edit(&cfg)
			m := graph.NewModel(graph.Float64, 3)
			lm, err := NewLM(m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			// Larger weights than GPT-2's 0.02, so that every path carries
			// a gradient well above rounding.
			for _, p := range m.Params() {
				if p.Shape().Dims() == 2 {
					scaleParam(p, 20)
				}
			}
			loss, err := lm.Loss(2, c.T)
			if err != nil {
				t.Fatal(err)
			}
			ids := []int{3, 1, 4, 1, 5, 2, 6, 5, 3, 5}[:2*c.T]
			targets := []int{1, 4, 1, 5, 2, 6, 5, -1, 5, 0}[:2*c.T] // −1: left out
			feeds := graph.Feeds{LMInput: ints(ids, 2, c.T), LMTarget: ints(targets, 2, c.T)}
			// h = 1e-5: the rounding noise of the central difference of this
			// many-term loss stays far below the tolerance (see layers' checkLossGrad).
			res, err := graph.GradCheck(m, loss, graph.GradCheckOptions{Feeds: feeds, Eps: 1e-5})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxRelError > 1e-6 {
				t.Fatalf("gradient check: %v", res)
			}
			t.Log(res)
		})
	}
}

// forwardLogits compiles a forward program of the logits of ids fed under
// name and returns a function running it on a batch of ids.
func forwardLogits(t *testing.T, m *graph.Model, name string, shape []int, logits func(ids *gorgonia.Node) (*gorgonia.Node, error)) func([]int) []float64 {
	t.Helper()
	var out *gorgonia.Node
	err := m.InEvalMode(func() error {
		ids, err := m.IndexInput(name, shape...)
		if err != nil {
			return err
		}
		out, err = logits(ids)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(out)
	if err != nil {
		t.Fatal(err)
	}
	return func(ids []int) []float64 {
		res, err := prog.Forward(graph.Feeds{name: ints(ids, shape...)})
		if err != nil {
			t.Fatal(err)
		}
		return append([]float64(nil), res[0].Float64s()...)
	}
}

// TestLMCausality changes the tokens after position t and checks that the
// logits at positions ≤ t do not change at all, while later ones do.
func TestLMCausality(t *testing.T) {
	cfg := LMConfig{Vocab: 9, Context: 6, Dim: 8, Heads: 2, Layers: 2}
	m := graph.NewModel(graph.Float64, 5)
	lm, err := NewLM(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	run := forwardLogits(t, m, "x", []int{2, 6}, lm.Logits)
	a := []int{1, 2, 3, 4, 5, 6, 8, 7, 6, 5, 4, 3}
	base := run(a)
	for tc := 0; tc < 5; tc++ {
		b := append([]int(nil), a...)
		for j := tc + 1; j < 6; j++ {
			b[j] = (b[j] + 1 + j) % cfg.Vocab      // sequence 0: change after tc
			b[6+j] = (b[6+j] + 2 + tc) % cfg.Vocab // sequence 1 too
		}
		got := run(b)
		for s := 0; s < 2; s++ {
			for pos := 0; pos < 6; pos++ {
				row := (s*6 + pos) * cfg.Vocab
				same := equalFloats(got[row:row+cfg.Vocab], base[row:row+cfg.Vocab])
				if pos <= tc && !same {
					t.Fatalf("tokens after %d changed the logits of sequence %d at position %d", tc, s, pos)
				}
				if pos > tc && same {
					t.Fatalf("tokens after %d left the logits of sequence %d at position %d unchanged: the test cannot see a change", tc, s, pos)
				}
			}
		}
	}
}

func equalFloats(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestLMLearnsText trains a small LM on a repeated sentence: the loss must
// fall clearly within 100 steps, and greedy generation must then continue the
// sentence.
func TestLMLearnsText(t *testing.T) {
	const sentence = "the quick brown fox jumps over the lazy dog. "
	text := strings.Repeat(sentence, 40)
	tok := datasets.NewCharTokenizer(text)
	ids := tok.Encode(text)
	m := graph.NewModel(graph.Float32, 1)
	lm, err := NewLM(m, LMConfig{Vocab: tok.VocabSize(), Context: 16, Dim: 32, Heads: 2, Layers: 2, TiedHead: true})
	if err != nil {
		t.Fatal(err)
	}
	loss, err := lm.Loss(8, 16)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	batches, err := datasets.NewLMBatcher(ids, datasets.LMConfig{BatchSize: 8, SeqLen: 16, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.ClipByGlobalNorm(optim.NewAdam(optim.Constant(3e-3)), 1)
	var first, last float64
	for step := 0; step < 100; step++ {
		b := batches.Next()
		l, err := prog.Step(graph.Feeds{LMInput: b.Inputs, LMTarget: b.Targets}, opt)
		if err != nil {
			t.Fatal(err)
		}
		if step == 0 {
			first = l
		}
		last = l
	}
	t.Logf("loss %.3f at step 1, %.3f at step 100 (ln V = %.3f)", first, last, math.Log(float64(tok.VocabSize())))
	if first < 3 || last > 0.3 {
		t.Fatalf("loss %.3f → %.3f: want a start near ln V = %.2f and an end below 0.3", first, last, math.Log(float64(tok.VocabSize())))
	}
	prompt := tok.Encode("the lazy ")
	gen, err := lm.Generate(prompt, 16-len(prompt), Sampling{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := tok.Decode(gen)
	if err != nil {
		t.Fatal(err)
	}
	if got != "dog. th" {
		t.Fatalf("greedy continuation of %q: %q, want %q", "the lazy ", got, "dog. th")
	}
}

// TestLMGenerate checks that sampling is reproducible and that greedy,
// temperature 0 and top-k 1 agree, on an untrained model.
func TestLMGenerate(t *testing.T) {
	m := graph.NewModel(graph.Float32, 2)
	lm, err := NewLM(m, LMConfig{Vocab: 11, Context: 24, Dim: 8, Heads: 2, Layers: 1, InitStd: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	gen := func(s Sampling) string {
		out, err := lm.Generate([]int{3, 4}, 22, s)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(out)
	}
	sampled := gen(Sampling{Temperature: 1, Seed: 7})
	if again := gen(Sampling{Temperature: 1, Seed: 7}); again != sampled {
		t.Fatalf("same seed, different text: %s and %s", sampled, again)
	}
	if other := gen(Sampling{Temperature: 1, Seed: 8}); other == sampled {
		t.Fatalf("seeds 7 and 8 gave the same 22 tokens %s", other)
	}
	greedy := gen(Sampling{})
	for _, s := range []Sampling{{Seed: 9}, {Temperature: 1, TopK: 1, Seed: 3}, {Temperature: 2, TopP: 1e-9, Seed: 4}} {
		if got := gen(s); got != greedy {
			t.Fatalf("%+v gave %s, greedy %s", s, got, greedy)
		}
	}
	if greedy == sampled {
		t.Fatalf("sampling at temperature 1 equals greedy decoding: %s", greedy)
	}
	t.Logf("greedy %s\nsampled %s", greedy, sampled)
}

func TestLMGenerateErrors(t *testing.T) {
	m := graph.NewModel(graph.Float32, 2)
	lm, err := NewLM(m, tinyLM())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		prompt []int
		n      int
		s      Sampling
		want   string
	}{
		{nil, 1, Sampling{}, "empty prompt"},
		{[]int{7}, 1, Sampling{}, "prompt id 7 at position 0 outside the vocabulary [0,7)"},
		{[]int{1}, -1, Sampling{}, "-1 new tokens"},
		{[]int{1}, 1, Sampling{Temperature: -1}, "Temperature -1"},
		{[]int{1}, 1, Sampling{TopK: -2}, "TopK -2"},
		{[]int{1}, 1, Sampling{TopP: 1.5}, "TopP 1.5"},
	} {
		_, err := lm.Generate(c.prompt, c.n, c.s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("Generate(%v, %d, %+v): error %v, want one containing %q", c.prompt, c.n, c.s, err, c.want)
		}
	}
	if out, err := lm.Generate([]int{1, 2}, 3, Sampling{}); err != nil || len(out) != 3 {
		t.Fatalf("a generation filling the context exactly: %v, %v", out, err)
	}
	if out, err := lm.Generate([]int{1, 2, 3, 4, 5, 6, 0}, 9, Sampling{}); err != nil || len(out) != 9 {
		t.Fatalf("a prompt longer than the context, continued past it: %v, %v", out, err)
	}
}

// TestLMGenerateSlides checks the sliding rule of Generate: every token past
// the context is the greedy prediction from the window the rule names (the
// prompt's last Context tokens at first; when the text outgrows the window,
// its last Context−⌊Context/2⌋ tokens), computed here by a generation of
// one token from that window, which fits the context and so does not slide.
func TestLMGenerateSlides(t *testing.T) {
	for _, ctx := range []int{1, 4, 5} {
		m := graph.NewModel(graph.Float64, 3)
		lm, err := NewLM(m, LMConfig{Vocab: 9, Context: ctx, Dim: 8, Heads: 2, Layers: 2, InitStd: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		prompt := []int{1, 7, 2, 8, 3, 6, 4}
		const n = 13
		got, err := lm.Generate(prompt, n, Sampling{})
		if err != nil {
			t.Fatal(err)
		}
		keep := ctx - ctx/2
		text := append([]int(nil), prompt...)
		start := max(0, len(text)-ctx)
		for i := 0; i < n; i++ {
			next, err := lm.Generate(text[start:], 1, Sampling{})
			if err != nil {
				t.Fatal(err)
			}
			text = append(text, next[0])
			if len(text)-start > ctx {
				start = len(text) - keep
			}
		}
		if want := text[len(prompt):]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("context %d: Generate gave %v, the windows of the sliding rule %v", ctx, got, want)
		}
	}
}

// TestLMNames checks the parameters of the baby GPT: nanoGPT's names and
// count (no biases, tied head: 12·d² per block plus embeddings and gains).
func TestLMNames(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	cfg := babyGPT(1).Model
	cfg.Vocab = 65
	if _, err := NewLM(m, cfg); err != nil {
		t.Fatal(err)
	}
	var names []string
	total := 0
	for _, p := range m.Params() {
		names = append(names, p.Name())
		total += p.Size()
	}
	if want := 65*128 + 64*128 + 4*(12*128*128+2*128) + 128; total != want {
		t.Fatalf("%d parameters, want %d", total, want)
	}
	want := []string{"tok_emb.weight", "pos_emb.weight", "blocks.0.attn.q.weight", "blocks.0.attn.k.weight",
		"blocks.0.attn.v.weight", "blocks.0.attn.out.weight", "blocks.0.ln1.weight", "blocks.0.ff.fc1.weight",
		"blocks.0.ff.fc2.weight", "blocks.0.ln2.weight"}
	for i, w := range want {
		if names[i] != w {
			t.Fatalf("parameter %d is %q, want %q (all: %v)", i, names[i], w, names)
		}
	}
	if last := names[len(names)-1]; last != "ln_f.weight" {
		t.Fatalf("last parameter %q, want ln_f.weight (tied head: no head.weight)", last)
	}
	m2 := graph.NewModel(graph.Float32, 1)
	cfg.TiedHead = false
	lm, err := NewLM(m2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if lm.Head == nil || lm.Head.Weight.Name() != "head.weight" || lm.Head.Bias != nil {
		t.Fatalf("untied head: %+v", lm.Head)
	}
}

// TestLMInit checks GPT-2's initialisation: N(0, 0.02²) weights, residual
// projections scaled by 1/√(2·Layers), unit LayerNorm gains.
func TestLMInit(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	if _, err := NewLM(m, LMConfig{Vocab: 50, Context: 64, Dim: 64, Heads: 4, Layers: 8}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		std  float64
	}{
		{"tok_emb.weight", 0.02}, {"blocks.3.attn.q.weight", 0.02}, {"blocks.3.ff.fc1.weight", 0.02},
		{"blocks.3.attn.out.weight", 0.02 / 4}, {"blocks.3.ff.fc2.weight", 0.02 / 4},
	} {
		p, _ := m.Param(c.name)
		var sq float64
		for _, v := range p.Value().Float64s() {
			sq += v * v
		}
		if std := math.Sqrt(sq / float64(p.Size())); math.Abs(std-c.std) > 0.05*c.std {
			t.Fatalf("%s: std %.5f, want %.5f", c.name, std, c.std)
		}
	}
	p, _ := m.Param("blocks.3.ln2.weight")
	b, _ := m.Param("blocks.3.ln2.bias")
	if p.Value().Float64s()[5] != 1 || b.Value().Float64s()[5] != 0 {
		t.Fatal("LayerNorm gain not 1 or shift not 0")
	}
}

func TestLMConfigValidate(t *testing.T) {
	ok := tinyLM()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		edit func(*LMConfig)
		want string
	}{
		{func(c *LMConfig) { c.Vocab = 0 }, "Vocab must be positive, got 0"},
		{func(c *LMConfig) { c.Context = -1 }, "Context must be positive, got -1"},
		{func(c *LMConfig) { c.Dim = 6; c.Heads = 4 }, "Dim 6 is not divisible by Heads 4"},
		{func(c *LMConfig) { c.Layers = 0 }, "Layers must be positive"},
		{func(c *LMConfig) { c.Hidden = -3 }, "Hidden -3 is negative"},
		{func(c *LMConfig) { c.Dropout = 1 }, "Dropout 1 outside [0, 1)"},
		{func(c *LMConfig) { c.Positions = 9 }, "unknown Positions 9"},
		{func(c *LMConfig) { c.InitStd = -0.1 }, "InitStd -0.1 is negative"},
	} {
		cfg := tinyLM()
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%+v: error %v, want one containing %q", cfg, err, c.want)
		}
		if _, err2 := NewLM(graph.NewModel(graph.Float32, 1), cfg); err2 == nil || err2.Error() != err.Error() {
			t.Fatalf("NewLM: error %v, want %v", err2, err)
		}
	}
	m := graph.NewModel(graph.Float32, 1)
	lm, err := NewLM(m, ok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lm.Loss(2, 6); err == nil || !strings.Contains(err.Error(), "Context 5") {
		t.Fatalf("Loss longer than the context: %v", err)
	}
}
