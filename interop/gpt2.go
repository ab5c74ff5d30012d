package interop

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/safetensors"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// gpt2Param is one parameter of gorgonet's LM and its GPT-2 counterpart.
type gpt2Param struct {
	ours, theirs string
	shape        []int // gorgonet's shape: [In, Out] for a Linear weight
	kind         paramKind
}

// paramKind says how a parameter is laid out.
type paramKind int

const (
	table  paramKind = iota // an embedding table [Vocab, Dim], the same everywhere
	linear                  // a Linear weight: gorgonet and Conv1D [In, Out], nn.Linear [Out, In]
	gain                    // a LayerNorm gain
	bias                    // a bias: all present or all absent (nanoGPT's bias=False)
)

// gpt2Params lists the parameters of a GPT-2 LM of cfg other than query,
// key and value, which are c_attn's three column blocks, and the head.
func gpt2Params(cfg transformer.LMConfig) []gpt2Param {
	d, h := cfg.Dim, cfg.Hidden
	ps := []gpt2Param{
		{"tok_emb.weight", "wte.weight", []int{cfg.Vocab, d}, table},
		{"pos_emb.weight", "wpe.weight", []int{cfg.Context, d}, table},
	}
	for i := 0; i < cfg.Layers; i++ {
		o, t := fmt.Sprintf("blocks.%d.", i), fmt.Sprintf("h.%d.", i)
		ps = append(ps,
			gpt2Param{o + "ln1.weight", t + "ln_1.weight", []int{d}, gain},
			gpt2Param{o + "ln1.bias", t + "ln_1.bias", []int{d}, bias},
			gpt2Param{o + "attn.out.weight", t + "attn.c_proj.weight", []int{d, d}, linear},
			gpt2Param{o + "attn.out.bias", t + "attn.c_proj.bias", []int{d}, bias},
			gpt2Param{o + "ln2.weight", t + "ln_2.weight", []int{d}, gain},
			gpt2Param{o + "ln2.bias", t + "ln_2.bias", []int{d}, bias},
			gpt2Param{o + "ff.fc1.weight", t + "mlp.c_fc.weight", []int{d, h}, linear},
			gpt2Param{o + "ff.fc1.bias", t + "mlp.c_fc.bias", []int{h}, bias},
			gpt2Param{o + "ff.fc2.weight", t + "mlp.c_proj.weight", []int{h, d}, linear},
			gpt2Param{o + "ff.fc2.bias", t + "mlp.c_proj.bias", []int{d}, bias},
		)
	}
	return append(ps,
		gpt2Param{"ln_f.weight", "ln_f.weight", []int{d}, gain},
		gpt2Param{"ln_f.bias", "ln_f.bias", []int{d}, bias})
}

// theirShape returns the shape p has in the GPT-2 state_dict.
func (p gpt2Param) theirShape(torchLinear bool) []int {
	if p.kind == linear && torchLinear {
		return []int{p.shape[1], p.shape[0]}
	}
	return p.shape
}

// isGPT2Buffer reports whether name is a non-parameter buffer of a GPT-2
// state_dict: the causal mask "h.N.attn.bias" [1,1,C,C] and the scalar
// "h.N.attn.masked_bias" of older transformers versions and of nanoGPT
// without flash attention.
func isGPT2Buffer(name string, t *tensor.Dense) bool {
	return (strings.HasSuffix(name, ".attn.bias") && len(t.Shape()) == 4) || strings.HasSuffix(name, ".attn.masked_bias")
}

// gpt2Layout tells a GPT-2-family state_dict's name prefix ("transformer."
// or none, as Hugging Face's GPT2Model files have) and whether its Linear
// weights are nn.Linear's [Out, In] (nanoGPT) or Conv1D's [In, Out] (Hugging
// Face), from the shape of the first c_attn weight: [3·D, D] or [D, 3·D]
// (the square matrices alone could not tell).
func gpt2Layout(tensors map[string]*tensor.Dense) (prefix string, torchLinear bool, err error) {
	for _, p := range []string{"transformer.", ""} {
		wte, ok := tensors[p+"wte.weight"]
		if !ok {
			continue
		}
		cattn, ok := tensors[p+"h.0.attn.c_attn.weight"]
		if !ok || len(wte.Shape()) != 2 || len(cattn.Shape()) != 2 {
			return "", false, errors.Errorf("%sh.0.attn.c_attn.weight is missing or %swte.weight is not a matrix", p, p)
		}
		d, s := wte.Shape()[1], cattn.Shape()
		switch {
		case s[0] == d && s[1] == 3*d:
			return p, false, nil
		case s[0] == 3*d && s[1] == d:
			return p, true, nil
		}
		return "", false, errors.Errorf("%sh.0.attn.c_attn.weight has shape %v; with width %d (wte.weight %v) want [%d %d] (Conv1D) or [%d %d] (nn.Linear)",
			p, s, d, wte.Shape(), d, 3*d, 3*d, d)
	}
	return "", false, errors.New("no wte.weight or transformer.wte.weight: not a GPT-2 state_dict")
}

// inferGPT2 reads the configuration of a GPT-2-family state_dict from its
// shapes: vocabulary and width from wte, context from wpe, blocks counted,
// feed-forward width from c_fc, biases from c_attn's, heads as given.
func inferGPT2(tensors map[string]*tensor.Dense, prefix string, torchLinear bool, heads int) (transformer.LMConfig, error) {
	wte := tensors[prefix+"wte.weight"]
	cfg := transformer.LMConfig{Vocab: wte.Shape()[0], Dim: wte.Shape()[1], Heads: heads, TiedHead: true}
	wpe, ok := tensors[prefix+"wpe.weight"]
	if !ok || len(wpe.Shape()) != 2 {
		return cfg, errors.Errorf("%swpe.weight is missing or not a matrix", prefix)
	}
	cfg.Context = wpe.Shape()[0]
	for {
		if _, ok := tensors[fmt.Sprintf("%sh.%d.ln_1.weight", prefix, cfg.Layers)]; !ok {
			break
		}
		cfg.Layers++
	}
	fc, ok := tensors[prefix+"h.0.mlp.c_fc.weight"]
	if cfg.Layers == 0 || !ok || len(fc.Shape()) != 2 {
		return cfg, errors.Errorf("no block %sh.0 with an mlp.c_fc.weight matrix", prefix)
	}
	cfg.Hidden = fc.Shape()[1]
	if torchLinear {
		cfg.Hidden = fc.Shape()[0]
	}
	_, hasBias := tensors[prefix+"h.0.attn.c_attn.bias"]
	cfg.NoBias = !hasBias
	return cfg, nil
}

// importGPT2 converts a Hugging Face (format HFGPT2) or nanoGPT state_dict
// to gorgonet's names and layouts with the configuration it implies. heads
// 0 takes the metadata's "n_head", else the GPT-2 size of that width.
// Every tensor must be used (buffers aside) and have the shape the
// configuration gives it.
func importGPT2(format Format, tensors map[string]*tensor.Dense, metadata map[string]string, heads int) (*LMWeights, error) {
	prefix, torchLinear, err := gpt2Layout(tensors)
	if err != nil {
		return nil, err
	}
	if torchLinear != (format == NanoGPT) {
		layouts := map[bool]string{false: "Conv1D's [In, Out] (Hugging Face)", true: "nn.Linear's [Out, In] (nanoGPT)"}
		return nil, errors.Errorf("the weights are in %s layout, not in %s's", layouts[torchLinear], format)
	}
	cfg, err := inferGPT2(tensors, prefix, torchLinear, 0)
	if err != nil {
		return nil, err
	}
	if cfg.Heads, err = gpt2HeadCount(heads, metadata, cfg.Dim); err != nil {
		return nil, err
	}
	cfg.Activation = layers.GELUTanh // Hugging Face's gelu_new
	if format == NanoGPT {
		cfg.Activation = layers.GELU // nanoGPT's nn.GELU()
	}
	used := map[string]bool{}
	take := func(name string, shape []int) (*tensor.Dense, error) {
		t, ok := tensors[prefix+name]
		if !ok {
			return nil, errors.Errorf("%s%s is missing", prefix, name)
		}
		if len(t.Shape()) != len(shape) || !t.Shape().Eq(tensor.Shape(shape)) {
			return nil, errors.Errorf("%s%s has shape %v, want %v", prefix, name, t.Shape(), shape)
		}
		used[prefix+name] = true
		return t, nil
	}
	out := map[string]*tensor.Dense{}
	for _, p := range gpt2Params(cfg) {
		if p.kind == bias && cfg.NoBias {
			if _, ok := tensors[prefix+p.theirs]; ok {
				return nil, errors.Errorf("%s%s is present, but h.0.attn.c_attn.bias is not: biases must be all there or all left out", prefix, p.theirs)
			}
			continue
		}
		t, err := take(p.theirs, p.theirShape(torchLinear))
		if err != nil {
			return nil, err
		}
		if p.kind == linear && torchLinear {
			if t, err = transpose(t); err != nil {
				return nil, err
			}
		}
		out[p.ours] = t
	}
	d := cfg.Dim
	for i := 0; i < cfg.Layers; i++ {
		o, th := fmt.Sprintf("blocks.%d.attn.", i), fmt.Sprintf("h.%d.attn.c_attn.", i)
		w, err := take(th+"weight", gpt2Param{kind: linear, shape: []int{d, 3 * d}}.theirShape(torchLinear))
		if err != nil {
			return nil, err
		}
		if torchLinear {
			if w, err = transpose(w); err != nil {
				return nil, err
			}
		}
		parts, err := splitColumns(w, 3)
		if err != nil {
			return nil, err
		}
		for k, name := range []string{"q", "k", "v"} {
			out[o+name+".weight"] = parts[k]
		}
		if cfg.NoBias {
			continue
		}
		b, err := take(th+"bias", []int{3 * d})
		if err != nil {
			return nil, err
		}
		if parts, err = splitColumns(b, 3); err != nil {
			return nil, err
		}
		for k, name := range []string{"q", "k", "v"} {
			out[o+name+".bias"] = parts[k]
		}
	}
	if head, ok := tensors["lm_head.weight"]; ok {
		used["lm_head.weight"] = true
		wte := out["tok_emb.weight"]
		if len(head.Shape()) != 2 || !head.Shape().Eq(wte.Shape()) {
			return nil, errors.Errorf("lm_head.weight has shape %v, want %v as wte.weight", head.Shape(), wte.Shape())
		}
		if !equalValues(head, wte) {
			if format == NanoGPT {
				return nil, errors.New("lm_head.weight differs from transformer.wte.weight, but nanoGPT always ties them: not a nanoGPT state_dict")
			}
			cfg.TiedHead = false
			if out["head.weight"], err = transpose(head); err != nil {
				return nil, err
			}
		}
	}
	var extra []string
	for _, name := range sortedNames(tensors) {
		if !used[name] && !isGPT2Buffer(name, tensors[name]) {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		return nil, errors.Errorf("%d tensors are not part of a GPT-2 LM: %s", len(extra), namesSample(extra, 6))
	}
	return &LMWeights{Format: format, Config: cfg, Tensors: out}, nil
}

// gpt2HeadCount returns heads when positive, else the metadata's "n_head",
// else the heads of the GPT-2 size of width dim.
func gpt2HeadCount(heads int, metadata map[string]string, dim int) (int, error) {
	if heads == 0 && metadata["n_head"] != "" {
		h, err := strconv.Atoi(metadata["n_head"])
		if err != nil || h <= 0 {
			return 0, errors.Errorf("metadata n_head %q is not a positive integer", metadata["n_head"])
		}
		heads = h
	}
	if heads == 0 {
		h, ok := transformer.GPT2Heads(dim)
		if !ok {
			return 0, errors.Errorf("the number of heads cannot be inferred from weights of width %d (no GPT-2 size has it): give it", dim)
		}
		heads = h
	}
	if heads < 0 || dim%heads != 0 {
		return 0, errors.Errorf("width %d is not divisible by %d heads", dim, heads)
	}
	return heads, nil
}

// exportGPT2 writes the parameters of an LM in the names and layouts of
// format (HFGPT2 or NanoGPT), refusing what the format cannot hold.
func exportGPT2(format Format, cfg transformer.LMConfig, params map[string]*tensor.Dense) ([]safetensors.NamedTensor, error) {
	if err := checkGPT2Export(format, cfg); err != nil {
		return nil, err
	}
	torchLinear := format == NanoGPT
	const prefix = "transformer."
	var out []safetensors.NamedTensor
	for _, p := range gpt2Params(cfg) {
		if p.kind == bias && cfg.NoBias {
			continue
		}
		t, ok := params[p.ours]
		if !ok {
			return nil, errors.Errorf("the model has no parameter %s", p.ours)
		}
		var err error
		if p.kind == linear && torchLinear {
			if t, err = transpose(t); err != nil {
				return nil, err
			}
		}
		out = append(out, safetensors.NamedTensor{Name: prefix + p.theirs, T: t})
	}
	for i := 0; i < cfg.Layers; i++ {
		o, th := fmt.Sprintf("blocks.%d.attn.", i), fmt.Sprintf("h.%d.attn.c_attn.", i)
		for _, suffix := range []string{"weight", "bias"} {
			if suffix == "bias" && cfg.NoBias {
				continue
			}
			var parts []*tensor.Dense
			for _, name := range []string{"q", "k", "v"} {
				parts = append(parts, params[o+name+"."+suffix])
			}
			t, err := joinColumns(parts...)
			if err != nil {
				return nil, errors.Wrapf(err, "%s%s", th, suffix)
			}
			if suffix == "weight" && torchLinear {
				if t, err = transpose(t); err != nil {
					return nil, err
				}
			}
			out = append(out, safetensors.NamedTensor{Name: prefix + th + suffix, T: t})
		}
	}
	if format == NanoGPT {
		// nanoGPT's state_dict holds the tied table under both names.
		out = append(out, safetensors.NamedTensor{Name: "lm_head.weight", T: params["tok_emb.weight"]})
	}
	return out, nil
}

// checkGPT2Export refuses a model that format cannot hold: stock GPT-2
// (Hugging Face, default config) and nanoGPT both have learned positions, a
// head tied to the token embedding and a feed-forward width of 4·Dim;
// Hugging Face's GPT-2 has biases and the tanh GELU, nanoGPT the exact GELU.
func checkGPT2Export(format Format, cfg transformer.LMConfig) error {
	var problems []string
	if cfg.Positions != transformer.LearnedPositions {
		problems = append(problems, "its positions are sinusoidal, "+string(format)+" learns them (model.positions=learned)")
	}
	if !cfg.TiedHead {
		problems = append(problems, "its head is untied, "+string(format)+" ties it to the token embedding (model.tied_head=true)")
	}
	if cfg.Hidden != 4*cfg.Dim {
		problems = append(problems, fmt.Sprintf("its feed-forward width is %d, %s's is 4·d_model = %d (model.hidden=0)", cfg.Hidden, format, 4*cfg.Dim))
	}
	act, _ := layers.ActivationName(cfg.Activation)
	want := "gelu_tanh"
	if format == NanoGPT {
		want = "gelu"
	}
	if act != want {
		problems = append(problems, fmt.Sprintf("its activation is %s, %s's is %s (model.activation=%s)", orUnnamed(act), format, want, want))
	}
	if format == HFGPT2 && cfg.NoBias {
		problems = append(problems, "it has no biases, GPT-2 has them (model.bias=true)")
	}
	if len(problems) > 0 {
		return errors.Errorf("interop: the model cannot be written as %s without changing what it computes: %s", format, strings.Join(problems, "; "))
	}
	return nil
}

// orUnnamed returns name, or "a custom function" when it is empty.
func orUnnamed(name string) string {
	if name == "" {
		return "a custom function"
	}
	return name
}
