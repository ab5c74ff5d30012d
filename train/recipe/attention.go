package recipe

import (
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/layers"
)

// Attention runs the checkpoint's Transformer LM (net.TLM) on text in
// evaluation mode and returns the causal self-attention weights of block
// layer, of head (their mean over heads when head is −1), [T,T] queries by
// keys row-major, and the T tokens as labels.
//
// The LM is pre-LN (transformer.LM): block l attends over LN1(x_l), where
// x_l is the output of the blocks before it applied to the embeddings.
func (ck *Checkpoint) Attention(net *Network, text string, layer, head int) ([]float64, []string, error) {
	lm := net.TLM
	if lm == nil {
		return nil, nil, errors.Errorf("attention maps need a transformer_lm checkpoint; %s holds a %s model", ck.Path, ck.Config.Model.Kind)
	}
	ids := ck.Tok.Encode(text)
	cfg := lm.Config
	switch {
	case len(ids) == 0:
		return nil, nil, errors.New("the text is empty")
	case len(ids) > cfg.Context:
		return nil, nil, errors.Errorf("the text has %d tokens, more than the model's context of %d", len(ids), cfg.Context)
	case layer < 0 || layer >= cfg.Layers:
		return nil, nil, errors.Errorf("layer %d outside [0, %d)", layer, cfg.Layers)
	case head < -1 || head >= cfg.Heads:
		return nil, nil, errors.Errorf("head %d outside [0, %d) (or -1 for the mean)", head, cfg.Heads)
	}
	m := lm.Model()
	var weights *gorgonia.Node
	err := m.InEvalMode(func() error {
		in, err := m.IndexInput("inspect.idx", 1, len(ids))
		if err != nil {
			return err
		}
		x, err := lm.TokEmb.Forward(in)
		if err != nil {
			return err
		}
		if x, err = lm.PosEnc.Forward(x); err != nil {
			return err
		}
		causal := layers.Mask{Causal: true}
		for _, b := range lm.Blocks[:layer] {
			if x, err = b.Forward(x, nil, causal, layers.Mask{}); err != nil {
				return err
			}
		}
		b := lm.Blocks[layer]
		y, err := b.AttnNorm.Forward(x)
		if err != nil {
			return err
		}
		_, weights, err = b.Attn.Attend(y, y, causal)
		return err
	})
	if err != nil {
		return nil, nil, errors.Wrap(err, "building the attention graph")
	}
	prog, err := m.CompileForward(weights)
	if err != nil {
		return nil, nil, err
	}
	res, err := prog.Forward(map[string]tensor.Tensor{"inspect.idx": tensor.New(tensor.WithShape(1, len(ids)), tensor.WithBacking(ids))})
	if err != nil {
		return nil, nil, err
	}
	labels := make([]string, len(ids))
	for i, id := range ids {
		s, _ := ck.Tok.Decode([]int{id})
		labels[i] = tokenLabel(s)
	}
	return headMatrix(res[0], cfg.Heads, len(ids), head), labels, nil
}

// headMatrix extracts the [T,T] weights of one head (or their mean, head
// −1) from weights [1,H,T,T], row-major.
func headMatrix(w *tensor.Dense, heads, T, head int) []float64 {
	vals := make([]float64, heads*T*T)
	switch d := w.Data().(type) {
	case []float32:
		for i, v := range d {
			vals[i] = float64(v)
		}
	case []float64:
		copy(vals, d)
	}
	if head >= 0 {
		return vals[head*T*T : (head+1)*T*T]
	}
	m := make([]float64, T*T)
	for h := 0; h < heads; h++ {
		for i, v := range vals[h*T*T : (h+1)*T*T] {
			m[i] += v / float64(heads)
		}
	}
	return m
}

// tokenLabel makes a token readable as an axis label in the plot's Latin
// font: a space shows as a middle dot, line breaks and tabs as \n and \t.
func tokenLabel(s string) string {
	r := strings.NewReplacer(" ", "\u00b7", "\n", `\n`, "\t", `\t`)
	return r.Replace(s)
}
