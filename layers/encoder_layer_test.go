package layers

import (
	"fmt"
	"math"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// blockCases are the block configurations the encoder and decoder tests run:
// both LayerNorm placements, ReLU and GELU, with and without dropout (the
// gradient check replays the same dropout masks at every evaluation).
var blockCases = []BlockConfig{
	{Dim: 4, Heads: 2, Hidden: 6, Norm: PostLN},
	{Dim: 4, Heads: 2, Hidden: 6, Norm: PreLN, Activation: GELU},
	{Dim: 4, Heads: 2, Hidden: 6, Norm: PostLN, Dropout: 0.2},
	{Dim: 4, Heads: 1, Hidden: 6, Norm: PreLN, Dropout: 0.2},
}

func blockName(c BlockConfig) string {
	return fmt.Sprintf("%v heads=%d dropout=%v gelu=%v", c.Norm, c.Heads, c.Dropout, c.Activation != nil)
}

// paddingFeeds declares ids [b,t] with the given trailing padding per
// sequence and returns their PaddingMask and feeds.
func paddingFeeds(t *testing.T, m *graph.Model, name string, b, tl int, pads []int) (*gorgonia.Node, graph.Feeds) {
	t.Helper()
	ids, err := m.IndexInput(name, b, tl)
	if err != nil {
		t.Fatal(err)
	}
	mask, err := ops.PaddingMask(ids, attnPadID, m.Dtype())
	if err != nil {
		t.Fatal(err)
	}
	v := attnCase{b: b, tk: tl, pads: pads}.ids()
	return mask, graph.Feeds{name: tensor.New(tensor.WithShape(b, tl), tensor.WithBacking(v))}
}

func TestEncoderLayerGradient(t *testing.T) {
	for _, c := range blockCases {
		t.Run(blockName(c), func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			l, err := NewEncoderLayer(m, "enc", c)
			if err != nil {
				t.Fatal(err)
			}
			x := inputParam(t, m, 2, 3, 4)
			pad, feeds := paddingFeeds(t, m, "ids", 2, 3, []int{0, 1})
			y, err := l.Forward(x, Mask{KeyPadding: pad})
			if err != nil {
				t.Fatal(err)
			}
			if !y.Shape().Eq(x.Shape()) {
				t.Fatalf("output shape %v, want %v", y.Shape(), x.Shape())
			}
			checkLossGrad(t, m, weightedSum(t, m, y), feeds)
		})
	}
}

// TestBlockNormPlacement checks where the LayerNorms sit. With the output
// projections of the attention and feed-forward block zeroed, every
// sub-layer outputs 0: a pre-LN layer is then the identity (x + 0), while a
// post-LN layer returns LayerNorm(LayerNorm(x)), whose rows have mean 0 and
// variance 1.
func TestBlockNormPlacement(t *testing.T) {
	for _, norm := range []NormPlacement{PreLN, PostLN} {
		for _, decoder := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v decoder=%v", norm, decoder), func(t *testing.T) {
				m := graph.NewModel(graph.Float64, 1)
				cfg := BlockConfig{Dim: 4, Heads: 2, Norm: norm}
				x, err := m.Input("x", 2, 3, 4)
				if err != nil {
					t.Fatal(err)
				}
				var y *gorgonia.Node
				var zero []*Linear
				if decoder {
					l, err := NewDecoderLayer(m, "dec", cfg, true)
					if err != nil {
						t.Fatal(err)
					}
					zero = []*Linear{l.Attn.Out, l.Cross.Out, l.FF.FC2}
					y, err = l.Forward(x, x, Mask{Causal: true}, Mask{})
					if err != nil {
						t.Fatal(err)
					}
				} else {
					l, err := NewEncoderLayer(m, "enc", cfg)
					if err != nil {
						t.Fatal(err)
					}
					zero = []*Linear{l.Attn.Out, l.FF.FC2}
					if y, err = l.Forward(x, Mask{}); err != nil {
						t.Fatal(err)
					}
				}
				for _, l := range zero {
					l.Weight.Value().Zero()
					l.Bias.Value().Zero()
				}
				xs := randn(3, 24)
				for i := range xs {
					xs[i] = 3*xs[i] + 1
				}
				got := forward(t, m, y, graph.Feeds{"x": tensor.New(tensor.WithShape(2, 3, 4), tensor.WithBacking(xs))})
				for r := 0; r < 6; r++ {
					row := got[r*4 : r*4+4]
					if norm == PreLN {
						assertClose(t, "pre-LN identity", row, xs[r*4:r*4+4])
						continue
					}
					var mean, sq float64
					for _, v := range row {
						mean += v / 4
						sq += v * v / 4
					}
					if math.Abs(mean) > 1e-9 || math.Abs(sq-mean*mean-1) > 1e-4 {
						t.Fatalf("post-LN row %d = %v: mean %v, variance %v, want 0 and 1", r, row, mean, sq-mean*mean)
					}
				}
			})
		}
	}
}

func TestEncoderLayerNames(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	if _, err := NewEncoderLayer(m, "encoder.layers.0", BlockConfig{Dim: 8, Heads: 2}); err != nil {
		t.Fatal(err)
	}
	assertParamNames(t, m, "encoder.layers.0.",
		"attn.q.weight", "attn.q.bias", "attn.k.weight", "attn.k.bias", "attn.v.weight", "attn.v.bias",
		"attn.out.weight", "attn.out.bias", "ln1.weight", "ln1.bias",
		"ff.fc1.weight", "ff.fc1.bias", "ff.fc2.weight", "ff.fc2.bias", "ln2.weight", "ln2.bias")
	p, _ := m.Param("encoder.layers.0.ff.fc1.weight")
	if !p.Shape().Eq(tensor.Shape{8, 32}) {
		t.Fatalf("default hidden width: fc1 %v, want (8, 32)", p.Shape())
	}
}

// assertParamNames checks the names of m's parameters, in creation order.
func assertParamNames(t *testing.T, m *graph.Model, prefix string, want ...string) {
	t.Helper()
	params := m.Params()
	if len(params) != len(want) {
		t.Fatalf("%d parameters, want %d", len(params), len(want))
	}
	for i, p := range params {
		if p.Name() != prefix+want[i] {
			t.Fatalf("parameter %d is %q, want %q", i, p.Name(), prefix+want[i])
		}
	}
}

func TestBlockConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  BlockConfig
		want []string
	}{
		{BlockConfig{Dim: 6, Heads: 4}, []string{`"e"`, "dim 6", "heads 4"}},
		{BlockConfig{Dim: 0, Heads: 1}, []string{`"e"`, "positive"}},
		{BlockConfig{Dim: 4, Heads: 2, Hidden: -1}, []string{"hidden -1"}},
		{BlockConfig{Dim: 4, Heads: 2, Dropout: 1}, []string{"dropout 1"}},
		{BlockConfig{Dim: 4, Heads: 2, Norm: 7}, []string{"norm placement 7"}},
	} {
		m := graph.NewModel(graph.Float64, 1)
		_, err := NewEncoderLayer(m, "e", c.cfg)
		wantError(t, err, c.want...)
		_, err = NewDecoderLayer(m, "e", c.cfg, true)
		wantError(t, err, c.want...)
	}
}
