package interop

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/optim"
	"github.com/gorgonet/gorgonet/safetensors"
	"gorgonia.org/tensor"
)

// lmLogits runs lm in evaluation mode on ids [B,T] and returns the logits
// [B,T,V] as float32.
func lmLogits(t *testing.T, lm *transformer.LM, ids []int, B, T int) []float32 {
	t.Helper()
	m := lm.Model()
	m.SetTraining(false)
	name := fmt.Sprintf("ref_ids_%d", refInputs.Add(1))
	in, err := m.IndexInput(name, B, T)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := lm.Logits(in)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(logits)
	if err != nil {
		t.Fatal(err)
	}
	out, err := prog.Forward(graph.Feeds{name: tensor.New(tensor.WithShape(B, T), tensor.WithBacking(append([]int(nil), ids...)))})
	if err != nil {
		t.Fatal(err)
	}
	c, err := convert(out[0], tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), c.Data().([]float32)...)
}

// refInputs numbers the inputs lmLogits declares.
var refInputs atomic.Int64

// gpt2Sizes are the reference's sizes: non-square enough (vocab 50,
// context 12, width 16, 4 heads, 2 blocks) for every layout mistake to show.
var gpt2Sizes = []string{"--vocab", "50", "--ctx", "12", "--dim", "16", "--heads", "4", "--layers", "2", "--batch", "2", "--steps", "12"}

// TestImportMatchesPyTorch: random weights saved by the PyTorch modules of
// Hugging Face's and nanoGPT's layouts are imported, with the configuration
// inferred, and give PyTorch's logits.
func TestImportMatchesPyTorch(t *testing.T) {
	needTorch(t)
	tests := []struct {
		arch  string
		extra []string
		want  Format
		tied  bool
	}{
		{"hf-gpt2", nil, HFGPT2, true},
		{"nanogpt", nil, NanoGPT, true},
		{"nanogpt", []string{"--bias", "0"}, NanoGPT, true},
	}
	for _, tc := range tests {
		t.Run(tc.arch+strings.Join(tc.extra, ""), func(t *testing.T) {
			dir := t.TempDir()
			w, io := filepath.Join(dir, "w.safetensors"), filepath.Join(dir, "io.safetensors")
			torchRef(t, append(append([]string{"random", tc.arch, w, io}, gpt2Sizes...), tc.extra...)...)
			ref := readIO(t, io)
			weights, err := ReadLMFile(w, ImportOptions{Heads: 4})
			if err != nil {
				t.Fatal(err)
			}
			c := weights.Config
			if weights.Format != tc.want || c.Vocab != 50 || c.Context != 12 || c.Dim != 16 || c.Layers != 2 || c.Hidden != 64 || !c.TiedHead ||
				c.NoBias != (len(tc.extra) > 0) {
				t.Fatalf("inferred %s %+v", weights.Format, c)
			}
			lm, err := weights.NewLM(graph.NewModel(graph.Float32, 1))
			if err != nil {
				t.Fatal(err)
			}
			e := checkLogits(t, tc.arch, lmLogits(t, lm, ref.ids, ref.B, ref.T), ref.logits)
			t.Logf("%s: max relative logit error %.2g", tc.arch, e)

			// Hugging Face's hub files (GPT2Model) have no "transformer." prefix.
			ts, meta, err := safetensors.ReadFile(w)
			if err != nil {
				t.Fatal(err)
			}
			bare := map[string]*tensor.Dense{}
			for name, x := range ts {
				bare["_orig_mod."+strings.TrimPrefix(name, "transformer.")] = x
			}
			if tc.arch == "hf-gpt2" {
				again, err := ImportLM(bare, meta, ImportOptions{Heads: 4})
				if err != nil {
					t.Fatal(err)
				}
				lm2, err := again.NewLM(graph.NewModel(graph.Float64, 1))
				if err != nil {
					t.Fatal(err)
				}
				checkLogits(t, "hf-gpt2 without prefix, float64", lmLogits(t, lm2, ref.ids, ref.B, ref.T), ref.logits)
			}
		})
	}
}

// trainedLM returns a float32 LM of cfg moved away from its initialisation
// by a few Adam steps on random tokens.
func trainedLM(t *testing.T, cfg transformer.LMConfig) *transformer.LM {
	t.Helper()
	m := graph.NewModel(graph.Float32, 7)
	lm, err := transformer.NewLM(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	B, T := 4, cfg.Context
	loss, err := lm.Loss(B, T)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.NewAdam(optim.Constant(3e-2))
	ids, tg := make([]int, B*T), make([]int, B*T)
	for step := 0; step < 8; step++ {
		for i := range ids {
			ids[i], tg[i] = (i*7+step*3)%cfg.Vocab, (i*5+step)%cfg.Vocab
		}
		feeds := graph.Feeds{transformer.LMInput: tensor.New(tensor.WithShape(B, T), tensor.WithBacking(append([]int(nil), ids...))),
			transformer.LMTarget: tensor.New(tensor.WithShape(B, T), tensor.WithBacking(append([]int(nil), tg...)))}
		if _, err := prog.Step(feeds, opt); err != nil {
			t.Fatal(err)
		}
	}
	return lm
}

// TestExportLoadsInPyTorch: a trained gorgonet LM exported as hf-gpt2 and
// nanogpt loads into the PyTorch modules with strict loading and gives its
// logits.
func TestExportLoadsInPyTorch(t *testing.T) {
	needTorch(t)
	base := transformer.LMConfig{Vocab: 50, Context: 12, Dim: 16, Heads: 4, Layers: 2, TiedHead: true}
	tests := []struct {
		format Format
		act    layers.Activation
		noBias bool
	}{
		{HFGPT2, layers.GELUTanh, false},
		{NanoGPT, layers.GELU, false},
		{NanoGPT, layers.GELU, true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s-nobias=%v", tc.format, tc.noBias), func(t *testing.T) {
			cfg := base
			cfg.Activation, cfg.NoBias = tc.act, tc.noBias
			lm := trainedLM(t, cfg)
			dir := t.TempDir()
			w, io, out := filepath.Join(dir, "w.safetensors"), filepath.Join(dir, "io.safetensors"), filepath.Join(dir, "out.safetensors")
			if err := WriteLMFile(w, lm, tc.format); err != nil {
				t.Fatal(err)
			}
			ids := make([]int, 2*12)
			for i := range ids {
				ids[i] = (i*13 + 5) % 50
			}
			writeIDs(t, io, ids, nil, 2, 12)
			torchRef(t, "logits", string(tc.format), w, io, out, "--heads", "4")
			e := checkLogits(t, string(tc.format), lmLogits(t, lm, ids, 2, 12), readIO(t, out).logits)
			t.Logf("%s: max relative logit error %.2g", tc.format, e)

			back, err := ReadLMFile(w, ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if back.Format != tc.format || back.Config.Heads != 4 {
				t.Errorf("read back as %s with %d heads", back.Format, back.Config.Heads)
			}
		})
	}
}

func TestExportRefusesWhatTheFormatCannotHold(t *testing.T) {
	base := transformer.LMConfig{Vocab: 20, Context: 8, Dim: 8, Heads: 2, Layers: 1, TiedHead: true, Activation: layers.GELU}
	tests := []struct {
		format Format
		edit   func(*transformer.LMConfig)
		want   string
	}{
		{NanoGPT, func(c *transformer.LMConfig) { c.TiedHead = false }, "head is untied"},
		{NanoGPT, func(c *transformer.LMConfig) { c.Positions = transformer.SinusoidalPositions }, "sinusoidal"},
		{NanoGPT, func(c *transformer.LMConfig) { c.Activation = layers.GELUTanh }, "activation is gelu_tanh, nanogpt's is gelu"},
		{NanoGPT, func(c *transformer.LMConfig) { c.Hidden = 12 }, "feed-forward width is 12"},
		{HFGPT2, func(*transformer.LMConfig) {}, "activation is gelu, hf-gpt2's is gelu_tanh"},
		{HFGPT2, func(c *transformer.LMConfig) { c.Activation, c.NoBias = layers.GELUTanh, true }, "no biases"},
		{PyTorch, func(*transformer.LMConfig) {}, "cannot be written as pytorch"},
	}
	for _, tc := range tests {
		cfg := base
		tc.edit(&cfg)
		lm, err := transformer.NewLM(graph.NewModel(graph.Float32, 1), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ExportLM(lm, tc.format); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.format, err, tc.want)
		}
	}
}
