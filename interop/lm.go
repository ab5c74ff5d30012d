package interop

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/safetensors"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// LMWeights is a Transformer language model's weights in gorgonet's names
// and layouts (transformer.LM's parameters), with the configuration they
// imply, read from a file of any Format.
type LMWeights struct {
	Format  Format                   // the layout the weights came in
	Config  transformer.LMConfig     // inferred from the tensors (and ImportOptions)
	Tensors map[string]*tensor.Dense // by gorgonet parameter name, float32 or float64
}

// ImportOptions completes what a weight file may not say.
type ImportOptions struct {
	// Format of the tensors; "" detects it from their names and shapes.
	Format Format
	// Heads is the number of attention heads, which no weight shape
	// carries; 0 takes the metadata's "n_head" (which ExportLM writes), else
	// the heads of the GPT-2 size of that width (12 for 768 …).
	Heads int
	// Context is the context of a gorgonet model with sinusoidal positions
	// (which has no position table to read it from).
	Context int
	// Activation names the feed-forward activation of a gorgonet-format
	// file (layers.ActivationByName); "" takes the metadata's "activation",
	// else GELU. GPT-2 files imply theirs: Hugging Face's tanh GELU, nanoGPT's
	// exact GELU.
	Activation string
}

// DetectFormat tells the format of a state_dict from its names (wrapper
// prefixes such as torch.compile's "_orig_mod." removed) and, between
// Hugging Face and nanoGPT, which share names, from the layout of c_attn.
func DetectFormat(tensors map[string]*tensor.Dense) (Format, error) {
	tensors = stripWrappers(tensors)
	switch {
	case tensors["tok_emb.weight"] != nil:
		return Gorgonet, nil
	case tensors["embedding.weight"] != nil && tensors["rnn.weight_hh_l0"] != nil:
		return PyTorch, nil
	}
	_, torchLinear, err := gpt2Layout(tensors)
	if err != nil {
		return "", errors.Wrapf(err, "interop: not a GPT-2 (Hugging Face or nanoGPT), PyTorch RNN or gorgonet state_dict (names %s)",
			namesSample(sortedNames(tensors), 4))
	}
	if torchLinear {
		return NanoGPT, nil
	}
	return HFGPT2, nil
}

// ImportLM converts a Transformer LM's state_dict (tensors and metadata as
// graph.ReadSafetensors returns them) to gorgonet's names and layouts and
// infers its configuration.
func ImportLM(tensors map[string]*tensor.Dense, metadata map[string]string, opts ImportOptions) (*LMWeights, error) {
	tensors = stripWrappers(tensors)
	format := opts.Format
	if format == "" {
		var err error
		if format, err = DetectFormat(tensors); err != nil {
			return nil, err
		}
	}
	var w *LMWeights
	var err error
	switch format {
	case HFGPT2, NanoGPT:
		w, err = importGPT2(format, tensors, metadata, opts.Heads)
	case Gorgonet:
		w, err = importGorgonetLM(tensors, metadata, opts)
	default:
		return nil, errors.Errorf("interop: %s weights are not a Transformer LM", format)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "interop: %s", format)
	}
	if err := w.Config.Validate(); err != nil {
		return nil, errors.Wrapf(err, "interop: %s: the inferred configuration", format)
	}
	return w, nil
}

// ReadLMFile reads a safetensors file of a Transformer LM's weights (see
// ImportLM).
func ReadLMFile(path string, opts ImportOptions) (*LMWeights, error) {
	tensors, metadata, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "interop")
	}
	w, err := ImportLM(tensors, metadata, opts)
	return w, errors.Wrapf(err, "%s", path)
}

// NewLM adds an LM of w's configuration to m and loads w into it.
func (w *LMWeights) NewLM(m *graph.Model) (*transformer.LM, error) {
	lm, err := transformer.NewLM(m, w.Config)
	if err != nil {
		return nil, err
	}
	return lm, w.Load(m)
}

// Load copies the weights into the parameters of m (converted to its
// element type), which must be exactly those of an LM of w's configuration
// (graph.Model.SetParamTensors).
func (w *LMWeights) Load(m *graph.Model) error {
	return loadConverted(m, w.Tensors)
}

// importGorgonetLM reads tensors in gorgonet's own names, keeping only the
// parameters (not a trainer checkpoint's "optim/…" or "carried/…" entries),
// and infers the configuration from their shapes.
func importGorgonetLM(all map[string]*tensor.Dense, metadata map[string]string, opts ImportOptions) (*LMWeights, error) {
	tensors := map[string]*tensor.Dense{}
	for name, t := range all {
		if !strings.Contains(name, "/") {
			tensors[name] = t
		}
	}
	emb := tensors["tok_emb.weight"]
	if emb == nil || len(emb.Shape()) != 2 {
		return nil, errors.New("tok_emb.weight is missing or not a matrix")
	}
	cfg := transformer.LMConfig{Vocab: emb.Shape()[0], Dim: emb.Shape()[1], Context: opts.Context}
	if pos := tensors["pos_emb.weight"]; pos != nil {
		if len(pos.Shape()) != 2 {
			return nil, errors.Errorf("pos_emb.weight has shape %v, not a matrix", pos.Shape())
		}
		cfg.Context = pos.Shape()[0]
	} else {
		cfg.Positions = transformer.SinusoidalPositions
		if cfg.Context == 0 {
			return nil, errors.New("no pos_emb.weight: the positions are sinusoidal and the weights do not say the context; give it")
		}
	}
	for tensors[fmt.Sprintf("blocks.%d.ln1.weight", cfg.Layers)] != nil {
		cfg.Layers++
	}
	fc1 := tensors["blocks.0.ff.fc1.weight"]
	if cfg.Layers == 0 || fc1 == nil || len(fc1.Shape()) != 2 {
		return nil, errors.New("no block blocks.0 with a ff.fc1.weight matrix")
	}
	cfg.Hidden = fc1.Shape()[1]
	cfg.NoBias = tensors["blocks.0.attn.q.bias"] == nil
	cfg.TiedHead = tensors["head.weight"] == nil
	var err error
	if cfg.Heads, err = gpt2HeadCount(opts.Heads, metadata, cfg.Dim); err != nil {
		return nil, err
	}
	act := opts.Activation
	if act == "" {
		act = metadata["activation"]
	}
	cfg.Activation = layers.GELU // the LM's default
	if act != "" {
		if cfg.Activation, err = layers.ActivationByName(act); err != nil {
			return nil, err
		}
	}
	if err := checkParams(cfg, tensors); err != nil {
		return nil, err
	}
	return &LMWeights{Format: Gorgonet, Config: cfg, Tensors: tensors}, nil
}

// checkParams checks that tensors hold exactly the parameters of an LM of
// cfg with their shapes, by building one on a scratch float32 model (shapes
// only matter: parameters are allocated, so this costs the model's size).
func checkParams(cfg transformer.LMConfig, tensors map[string]*tensor.Dense) error {
	m := graph.NewModel(graph.Float32, 1)
	if _, err := transformer.NewLM(m, cfg); err != nil {
		return err
	}
	var problems []string
	for _, p := range m.ParamTensors() {
		t, ok := tensors[p.Name]
		switch {
		case !ok:
			problems = append(problems, p.Name+" is missing")
		case len(t.Shape()) != len(p.T.Shape()) || !t.Shape().Eq(p.T.Shape()):
			problems = append(problems, fmt.Sprintf("%s has shape %v, want %v", p.Name, t.Shape(), p.T.Shape()))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	if len(tensors) != len(m.ParamTensors()) {
		names := map[string]bool{}
		for _, p := range m.ParamTensors() {
			names[p.Name] = true
		}
		var extra []string
		for _, n := range sortedNames(tensors) {
			if !names[n] {
				extra = append(extra, n)
			}
		}
		return errors.Errorf("%d tensors are not parameters of the LM: %s", len(extra), namesSample(extra, 6))
	}
	return nil
}

// ExportLM returns lm's parameters in format's names and layouts (see
// LMWeights.Export).
func ExportLM(lm *transformer.LM, format Format) ([]safetensors.NamedTensor, map[string]string, error) {
	params := map[string]*tensor.Dense{}
	for _, p := range lm.Model().ParamTensors() {
		params[p.Name] = p.T
	}
	return (&LMWeights{Format: Gorgonet, Config: lm.Config, Tensors: params}).Export(format)
}

// Export returns the weights in format's names and layouts (weights only)
// with the metadata to write beside them: "format": "pt" (which Hugging
// Face's loader requires) and the configuration as n_head, n_layer, n_embd,
// n_positions, vocab_size and activation (which ImportLM reads back). A
// model the format cannot hold is refused with the reason.
func (w *LMWeights) Export(format Format) ([]safetensors.NamedTensor, map[string]string, error) {
	cfg := w.Config
	meta := map[string]string{"format": "pt", "n_head": strconv.Itoa(cfg.Heads), "n_layer": strconv.Itoa(cfg.Layers),
		"n_embd": strconv.Itoa(cfg.Dim), "n_positions": strconv.Itoa(cfg.Context), "vocab_size": strconv.Itoa(cfg.Vocab)}
	if act, ok := layers.ActivationName(cfg.Activation); ok {
		meta["activation"] = act
	}
	switch format {
	case Gorgonet:
		var ts []safetensors.NamedTensor
		for _, name := range sortedNames(w.Tensors) {
			ts = append(ts, safetensors.NamedTensor{Name: name, T: w.Tensors[name]})
		}
		return ts, meta, nil
	case HFGPT2, NanoGPT:
		ts, err := exportGPT2(format, cfg, w.Tensors)
		return ts, meta, err
	}
	return nil, nil, errors.Errorf("interop: a Transformer LM cannot be written as %s (want %s, %s or %s)", format, Gorgonet, HFGPT2, NanoGPT)
}

// WriteLMFile writes lm's weights as a safetensors file in format (see
// ExportLM), atomically.
func WriteLMFile(path string, lm *transformer.LM, format Format) error {
	ts, meta, err := ExportLM(lm, format)
	if err != nil {
		return err
	}
	return errors.Wrap(safetensors.WriteFile(path, ts, meta), "interop")
}
