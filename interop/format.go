package interop

import (
	"sort"
	"strings"

	"github.com/pkg/errors"
)

// Format names a weight file layout: whose parameter names and tensor
// layouts it uses.
type Format string

// The formats this package reads and writes.
const (
	// Gorgonet is gorgonet's own names and layouts (Model.Summary: tok_emb,
	// blocks.N.attn.q, …, Linear weights [In, Out]), as trainer checkpoints
	// hold them.
	Gorgonet Format = "gorgonet"
	// HFGPT2 is Hugging Face's GPT-2 (transformers' GPT2LMHeadModel and
	// model.safetensors of gpt2 … gpt2-xl, distilgpt2): wte, wpe, h.N.ln_1,
	// h.N.attn.c_attn (Conv1D [D, 3·D], query, key and value side by side),
	// h.N.attn.c_proj, h.N.ln_2, h.N.mlp.c_fc, h.N.mlp.c_proj, ln_f, with
	// Conv1D weights [In, Out]; the head is tied to wte.
	HFGPT2 Format = "hf-gpt2"
	// NanoGPT is nanoGPT's GPT (Karpathy's model.py) state_dict: the names
	// of HFGPT2 under transformer., with nn.Linear weights [Out, In]
	// (c_attn [3·D, D]) and lm_head.weight, always tied to wte.
	NanoGPT Format = "nanogpt"
	// PyTorch is a recurrent LM as nn.Embedding "embedding", nn.LSTM / nn.GRU
	// / nn.RNN "rnn" (batch_first) and nn.Linear "head", in PyTorch's names
	// and layouts (weight_ih_l0 [G·Hidden, In], gates i,f,g,o or r,z,n).
	PyTorch Format = "pytorch"
)

// Formats lists the formats, for messages and flags.
var Formats = []Format{Gorgonet, HFGPT2, NanoGPT, PyTorch}

// ParseFormat returns the format called name.
func ParseFormat(name string) (Format, error) {
	for _, f := range Formats {
		if string(f) == name {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", errors.Errorf("interop: unknown format %q (want one of %s)", name, strings.Join(names, ", "))
}

// prefixes that wrappers add to every name of a state_dict: torch.compile's
// "_orig_mod." (nanoGPT's checkpoints of compiled models) and
// DistributedDataParallel's "module.".
var wrapperPrefixes = []string{"_orig_mod.", "module."}

// stripWrappers returns the names of tensors without the wrapper prefixes
// that all of them share.
func stripWrappers[V any](tensors map[string]V) map[string]V {
	for _, p := range wrapperPrefixes {
		all := len(tensors) > 0
		for name := range tensors {
			if !strings.HasPrefix(name, p) {
				all = false
				break
			}
		}
		if !all {
			continue
		}
		out := make(map[string]V, len(tensors))
		for name, t := range tensors {
			out[strings.TrimPrefix(name, p)] = t
		}
		tensors = out
	}
	return tensors
}

// sortedNames returns the keys of m in order.
func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// namesSample returns up to n of names, for a message.
func namesSample(names []string, n int) string {
	if len(names) > n {
		return strings.Join(names[:n], ", ") + ", …"
	}
	return strings.Join(names, ", ")
}
