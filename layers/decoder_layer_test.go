package layers

import (
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"gorgonia.org/tensor"
)

// TestDecoderLayerGradient checks the decoder layer with cross-attention
// (causal and padded self-attention, padded memory) and without it (the
// decoder-only block).
func TestDecoderLayerGradient(t *testing.T) {
	for _, c := range blockCases {
		for _, cross := range []bool{true, false} {
			name := blockName(c) + " self-only"
			if cross {
				name = blockName(c) + " cross"
			}
			t.Run(name, func(t *testing.T) {
				m := graph.NewModel(graph.Float64, 1)
				l, err := NewDecoderLayer(m, "dec", c, cross)
				if err != nil {
					t.Fatal(err)
				}
				x := inputParam(t, m, 2, 3, 4)
				tgtPad, feeds := paddingFeeds(t, m, "tgt", 2, 3, []int{1, 0})
				selfMask := Mask{Causal: true, KeyPadding: tgtPad}
				var mem *Mask
				if cross {
					srcPad, srcFeeds := paddingFeeds(t, m, "src", 2, 4, []int{0, 2})
					feeds["src"] = srcFeeds["src"]
					mem = &Mask{KeyPadding: srcPad}
				}
				var y = x
				if cross {
					memory := attnParam(t, m, "memory", 5, tensor.Shape{2, 4, 4})
					y, err = l.Forward(x, memory, selfMask, *mem)
				} else {
					y, err = l.Forward(x, nil, selfMask, Mask{})
				}
				if err != nil {
					t.Fatal(err)
				}
				checkLossGrad(t, m, weightedSum(t, m, y), feeds)
			})
		}
	}
}

func TestDecoderLayerNames(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	if _, err := NewDecoderLayer(m, "blocks.0", BlockConfig{Dim: 8, Heads: 2}, false, NoBias()); err != nil {
		t.Fatal(err)
	}
	assertParamNames(t, m, "blocks.0.",
		"attn.q.weight", "attn.k.weight", "attn.v.weight", "attn.out.weight", "ln1.weight",
		"ff.fc1.weight", "ff.fc2.weight", "ln2.weight")

	m = graph.NewModel(graph.Float32, 1)
	if _, err := NewDecoderLayer(m, "decoder.layers.1", BlockConfig{Dim: 8, Heads: 2}, true, NoBias()); err != nil {
		t.Fatal(err)
	}
	assertParamNames(t, m, "decoder.layers.1.",
		"attn.q.weight", "attn.k.weight", "attn.v.weight", "attn.out.weight", "ln1.weight",
		"cross.q.weight", "cross.k.weight", "cross.v.weight", "cross.out.weight", "ln2.weight",
		"ff.fc1.weight", "ff.fc2.weight", "ln3.weight")
}

func TestDecoderLayerErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	withCross, err := NewDecoderLayer(m, "dec", BlockConfig{Dim: 4, Heads: 2}, true)
	if err != nil {
		t.Fatal(err)
	}
	selfOnly, err := NewDecoderLayer(m, "gpt", BlockConfig{Dim: 4, Heads: 2}, false)
	if err != nil {
		t.Fatal(err)
	}
	x := attnParam(t, m, "x", 1, tensor.Shape{2, 3, 4})
	_, err = withCross.Forward(x, nil, Mask{Causal: true}, Mask{})
	wantError(t, err, `"dec"`, "memory", "nil")
	_, err = selfOnly.Forward(x, x, Mask{Causal: true}, Mask{})
	wantError(t, err, `"gpt"`, "without cross-attention", "(2, 3, 4)")
	_, err = withCross.Forward(x, x, Mask{}, Mask{Causal: true})
	wantError(t, err, `"dec"`, "causal", "cross-attention")
	_, err = withCross.Forward(attnParam(t, m, "y", 1, tensor.Shape{2, 3, 5}), x, Mask{}, Mask{})
	wantError(t, err, `"dec"`, "(2, 3, 5)", "[B,T,4]")
}
