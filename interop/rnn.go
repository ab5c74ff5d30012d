package interop

import (
	"fmt"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/safetensors"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// RNNWeights is a recurrent language model's weights in gorgonet's names
// and layouts (rnn.LM's parameters), with the configuration they imply.
type RNNWeights struct {
	Format  Format
	Config  rnn.LMConfig
	Tensors map[string]*tensor.Dense
}

// gatesOf is the number of gate blocks of each cell kind (G in
// weight_ih [G·Hidden, In]).
var gatesOf = map[layers.CellKind]int{layers.Elman: 1, layers.GRU: 3, layers.LSTM: 4}

// torchRecurrentNames returns PyTorch's names of layer l's parameters
// weight_ih, weight_hh, bias_ih, bias_hh of an nn.LSTM/GRU/RNN called "rnn".
func torchRecurrentNames(l int) []string {
	var out []string
	for _, w := range []string{"weight_ih", "weight_hh", "bias_ih", "bias_hh"} {
		out = append(out, fmt.Sprintf("rnn.%s_l%d", w, l))
	}
	return out
}

// ExportRNNLM returns lm's parameters as the state_dict of the PyTorch
// module nn.Embedding "embedding" + nn.LSTM / nn.GRU / nn.RNN "rnn"
// (batch_first, tanh for the Elman RNN) + nn.Linear "head", in PyTorch's
// layouts, with metadata "format": "pt" and "cell". format must be PyTorch
// (or Gorgonet, for gorgonet's own names).
func ExportRNNLM(lm *rnn.LM, format Format) ([]safetensors.NamedTensor, map[string]string, error) {
	meta := map[string]string{"format": "pt", "cell": lm.Config.Cell.String()}
	switch format {
	case Gorgonet:
		return lm.Model().ParamTensors(), meta, nil
	case PyTorch:
	default:
		return nil, nil, errors.Errorf("interop: a recurrent LM cannot be written as %s (want %s or %s)", format, PyTorch, Gorgonet)
	}
	if lm.Config.Cell == layers.Elman {
		if act, _ := layers.ActivationName(lm.RNN.Config.Activation); lm.RNN.Config.Activation != nil && act != "tanh" {
			return nil, nil, errors.Errorf("interop: the Elman RNN's activation is %s; nn.RNN's default is tanh", orUnnamed(act))
		}
	}
	out := []safetensors.NamedTensor{{Name: "embedding.weight", T: lm.Embedding.Weight.Value()}}
	for l, layer := range lm.RNN.Cells {
		if len(layer) != 1 {
			return nil, nil, errors.New("interop: a bidirectional RNN LM is not supported")
		}
		params := layer[0].Params()
		if len(params) != 4 {
			return nil, nil, errors.Errorf("interop: layer %d has no biases; nn.%s has them", l, lm.Config.Cell)
		}
		for i, name := range torchRecurrentNames(l) {
			t := params[i].Value()
			if i < 2 {
				var err error
				if t, err = transpose(t); err != nil {
					return nil, nil, errors.Wrapf(err, "interop: %s", name)
				}
			}
			out = append(out, safetensors.NamedTensor{Name: name, T: t})
		}
	}
	head, err := transpose(lm.Head.Weight.Value())
	if err != nil {
		return nil, nil, errors.Wrap(err, "interop: head.weight")
	}
	out = append(out, safetensors.NamedTensor{Name: "head.weight", T: head},
		safetensors.NamedTensor{Name: "head.bias", T: lm.Head.Bias.Value()})
	return out, meta, nil
}

// ImportRNNLM converts the state_dict of the PyTorch module ExportRNNLM
// describes to gorgonet's names and layouts and infers the configuration:
// vocabulary and embedding size from the embedding, hidden size and cell
// from weight_hh_l0 ([G·Hidden, Hidden]: G 4 is an LSTM, 3 a GRU, 1 an
// Elman RNN, whose nonlinearity, tanh or ReLU, no shape tells: tanh is
// assumed), layers counted. Every tensor must be used.
func ImportRNNLM(tensors map[string]*tensor.Dense) (*RNNWeights, error) {
	tensors = stripWrappers(tensors)
	emb, hh := tensors["embedding.weight"], tensors["rnn.weight_hh_l0"]
	if emb == nil || hh == nil || len(emb.Shape()) != 2 || len(hh.Shape()) != 2 {
		return nil, errors.New("interop: pytorch: embedding.weight and rnn.weight_hh_l0 matrices are needed")
	}
	cfg := rnn.LMConfig{Vocab: emb.Shape()[0], Embed: emb.Shape()[1], Hidden: hh.Shape()[1]}
	g := hh.Shape()[0] / cfg.Hidden
	for kind, gates := range gatesOf {
		if gates == g && g*cfg.Hidden == hh.Shape()[0] {
			cfg.Cell = kind
		}
	}
	if gatesOf[cfg.Cell] != g || g*cfg.Hidden != hh.Shape()[0] {
		return nil, errors.Errorf("interop: pytorch: rnn.weight_hh_l0 has shape %v: not [G·Hidden, Hidden] with G 1, 3 or 4", hh.Shape())
	}
	for tensors[fmt.Sprintf("rnn.weight_hh_l%d", cfg.Layers)] != nil {
		cfg.Layers++
	}
	// The names and shapes come from a model of this configuration.
	m := graph.NewModel(graph.Float32, 1)
	lm, err := rnn.NewLM(m, cfg)
	if err != nil {
		return nil, errors.Wrap(err, "interop: pytorch")
	}
	sd, _, err := ExportRNNLM(lm, PyTorch)
	if err != nil {
		return nil, err
	}
	ours := lm.Model().ParamTensors()
	byTheirs := map[string]string{"embedding.weight": "embedding.weight", "head.weight": "head.weight", "head.bias": "head.bias"}
	for l, layer := range lm.RNN.Cells {
		for i, name := range torchRecurrentNames(l) {
			byTheirs[name] = layer[0].Params()[i].Name()
		}
	}
	out := map[string]*tensor.Dense{}
	for _, want := range sd {
		t, ok := tensors[want.Name]
		if !ok {
			return nil, errors.Errorf("interop: pytorch: %s is missing", want.Name)
		}
		if len(t.Shape()) != len(want.T.Shape()) || !t.Shape().Eq(want.T.Shape()) {
			return nil, errors.Errorf("interop: pytorch: %s has shape %v, want %v", want.Name, t.Shape(), want.T.Shape())
		}
		if len(t.Shape()) == 2 && want.Name != "embedding.weight" {
			if t, err = transpose(t); err != nil {
				return nil, errors.Wrapf(err, "interop: pytorch: %s", want.Name)
			}
		}
		out[byTheirs[want.Name]] = t
	}
	if len(tensors) != len(ours) {
		var extra []string
		for _, n := range sortedNames(tensors) {
			if _, ok := byTheirs[n]; !ok {
				extra = append(extra, n)
			}
		}
		return nil, errors.Errorf("interop: pytorch: %d tensors are not part of the recurrent LM: %s", len(extra), namesSample(extra, 6))
	}
	return &RNNWeights{Format: PyTorch, Config: cfg, Tensors: out}, nil
}

// NewLM adds a recurrent LM of w's configuration to m and loads w into it.
func (w *RNNWeights) NewLM(m *graph.Model) (*rnn.LM, error) {
	lm, err := rnn.NewLM(m, w.Config)
	if err != nil {
		return nil, err
	}
	return lm, loadConverted(m, w.Tensors)
}

// loadConverted copies tensors, converted to m's element type, into m's
// parameters (graph.Model.SetParamTensors).
func loadConverted(m *graph.Model, tensors map[string]*tensor.Dense) error {
	conv := make(map[string]*tensor.Dense, len(tensors))
	for name, t := range tensors {
		c, err := convert(t, m.Dtype())
		if err != nil {
			return errors.Wrapf(err, "interop: %s", name)
		}
		conv[name] = c
	}
	return errors.Wrap(m.SetParamTensors(conv), "interop")
}
