package ops

import (
	"fmt"
	"github.com/gorgonet/gorgonet/graph"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// layerNormUnfused builds LayerNorm from gorgonia's ops, the nine-node graph
// the fused op replaces (1/√ as Pow(·, −0.5): InverseSqrt's gradient is
// wrong in gorgonia v0.9.18).
func layerNormUnfused(m *graph.Model, x, w, b *gorgonia.Node, eps float64) (*gorgonia.Node, error) {
	last := x.Dims() - 1
	lastAxis := []byte{byte(last)}
	leading := make([]byte, last)
	for i := range leading {
		leading[i] = byte(i)
	}
	c := func(v float64) *gorgonia.Node {
		if m.Dtype() == graph.Float32 {
			return gorgonia.NewConstant(float32(v))
		}
		return gorgonia.NewConstant(v)
	}
	mean := gorgonia.Must(gorgonia.Mean(x, last))
	centred := gorgonia.Must(gorgonia.BroadcastSub(x, mean, nil, lastAxis))
	variance := gorgonia.Must(gorgonia.Mean(gorgonia.Must(gorgonia.Square(centred)), last))
	inv := gorgonia.Must(gorgonia.Pow(gorgonia.Must(gorgonia.Add(variance, c(eps))), c(-0.5)))
	y := gorgonia.Must(gorgonia.BroadcastHadamardProd(centred, inv, nil, lastAxis))
	y = gorgonia.Must(gorgonia.BroadcastHadamardProd(y, w, nil, leading))
	if b == nil {
		return y, nil
	}
	return gorgonia.BroadcastAdd(y, b, nil, leading)
}

var layerNormCases = []struct {
	shape tensor.Shape
	bias  bool
}{
	{tensor.Shape{3, 5}, true},
	{tensor.Shape{2, 3, 4}, true},
	{tensor.Shape{2, 3, 4}, false},
	{tensor.Shape{2, 2, 3, 6}, true},
}

// layerNormModel adds x, a gain (not all ones) and optionally a bias, and
// returns them with LayerNorm of x, fused or not.
func layerNormModel(t *testing.T, dt tensor.Dtype, shape tensor.Shape, bias, fused bool) (*graph.Model, *gorgonia.Node, []*graph.Param) {
	t.Helper()
	m := graph.NewModel(dt, 9)
	d := shape[len(shape)-1]
	x := opParam(t, m, shape, 2)
	w, err := m.NewParam("w", tensor.Shape{d}, graph.Normal(1))
	if err != nil {
		t.Fatal(err)
	}
	params := []*graph.Param{x, w}
	var bn *gorgonia.Node
	if bias {
		b, err := m.NewParam("b", tensor.Shape{d}, graph.Normal(1))
		if err != nil {
			t.Fatal(err)
		}
		params, bn = append(params, b), b.Node()
	}
	var y *gorgonia.Node
	if fused {
		y, err = LayerNorm(x.Node(), w.Node(), bn, 1e-5)
	} else {
		y, err = layerNormUnfused(m, x.Node(), w.Node(), bn, 1e-5)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m, y, params
}

// TestLayerNormMatchesUnfused checks output, loss and every gradient against
// the graph of gorgonia ops, in float64 and float32 (at rank 4 output and
// loss only, see below).
func TestLayerNormMatchesUnfused(t *testing.T) {
	for _, tc := range layerNormCases {
		for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
			t.Run(fmt.Sprintf("%v/bias=%v/%v", tc.shape, tc.bias, dt), func(t *testing.T) {
				run := func(fused bool) [][]float64 {
					m, y, params := layerNormModel(t, dt, tc.shape, tc.bias, fused)
					prog, err := m.Compile(weightedLoss(t, m, y), y)
					if err != nil {
						t.Fatal(err)
					}
					vals, err := prog.Forward(nil)
					if err != nil {
						t.Fatal(err)
					}
					res := [][]float64{floats(t, vals[0]), floats(t, vals[1])}
					for _, p := range params {
						res = append(res, floats(t, p.Grad()))
					}
					return res
				}
				tol := 1e-12
				if dt == graph.Float32 {
					tol = 1e-5
				}
				got, want := run(true), run(false)
				if tc.shape.Dims() == 4 {
					// gorgonia v0.9.18's broadcast products over three leading
					// axes get the gain and bias gradients wrong (relative
					// error ~1 in a gradient check of the unfused graph);
					// TestLayerNormGradCheck checks the fused op's at rank 4.
					got, want = got[:2], want[:2]
				}
				for i := range want {
					if j := firstMismatch(got[i], want[i], tol); j >= 0 {
						t.Fatalf("value %d (loss, output, grads of x, w, b)[%d] = %v, unfused %v", i, j, got[i], want[i])
					}
				}
			})
		}
	}
}

// TestLayerNormGradCheck checks the gradients wrt x, gain and bias by finite
// differences.
func TestLayerNormGradCheck(t *testing.T) {
	for _, tc := range layerNormCases {
		t.Run(fmt.Sprintf("%v/bias=%v", tc.shape, tc.bias), func(t *testing.T) {
			m, y, params := layerNormModel(t, graph.Float64, tc.shape, tc.bias, true)
			res, err := graph.GradCheck(m, weightedLoss(t, m, y), graph.GradCheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, p := range params {
				n += p.Shape().TotalSize()
			}
			if res.MaxRelError > 1e-6 || res.Checked != n {
				t.Fatalf("%v", res)
			}
		})
	}
}

// TestLayerNormErrors checks the refusal of gains, biases and eps that do
// not fit.
func TestLayerNormErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	node := func(name string, shape ...int) *gorgonia.Node {
		return m.Const(name, tensor.New(tensor.Of(graph.Float64), tensor.WithShape(shape...)))
	}
	x, w4, w5 := node("x", 2, 4), node("w4", 4), node("w5", 5)
	for _, tc := range []struct {
		name    string
		w, b    *gorgonia.Node
		eps     float64
		wantErr string
	}{
		{"gain", w5, nil, 1e-5, "gain or bias float64 (5)"},
		{"bias", w4, w5, 1e-5, "want float64 (4)"},
		{"eps", w4, nil, 0, "eps must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LayerNorm(x, tc.w, tc.b, tc.eps)
			wantErr(t, err, tc.wantErr)
		})
	}
}

// ExampleLayerNorm normalises two rows of three values, with a gain of 2 and
// a bias of 1; a constant row normalises to 0 (then the bias).
func ExampleLayerNorm() {
	m := graph.NewModel(graph.Float64, 1)
	x := m.Const("x", tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 2, 3, 5, 5, 5})))
	w := m.Const("w", tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{2, 2, 2})))
	b := m.Const("b", tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{1, 1, 1})))
	y, err := LayerNorm(x, w, b, 1e-5)
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, err := m.CompileForward(y)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := prog.Forward(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f\n", out[0].Data())
	// Output:
	// [-1.4495 1.0000 3.4495 1.0000 1.0000 1.0000]
}

// BenchmarkLayerNorm times a forward and backward pass of LayerNorm over the
// activations of the Transformer config (B·T = 2048 rows of 128), fused and
// as the graph of gorgonia ops, float32.
func BenchmarkLayerNorm(b *testing.B) {
	for _, fused := range []bool{true, false} {
		b.Run(fmt.Sprintf("fused=%v", fused), func(b *testing.B) {
			m := graph.NewModel(graph.Float32, 1)
			x, err := m.NewParam("x", tensor.Shape{32, 64, 128}, graph.Normal(1))
			if err != nil {
				b.Fatal(err)
			}
			w, err := m.NewParam("w", tensor.Shape{128}, graph.Ones())
			if err != nil {
				b.Fatal(err)
			}
			bias, err := m.NewParam("b", tensor.Shape{128}, graph.Zeros())
			if err != nil {
				b.Fatal(err)
			}
			var y *gorgonia.Node
			if fused {
				y, err = LayerNorm(x.Node(), w.Node(), bias.Node(), 1e-5)
			} else {
				y, err = layerNormUnfused(m, x.Node(), w.Node(), bias.Node(), 1e-5)
			}
			if err != nil {
				b.Fatal(err)
			}
			loss, err := gorgonia.Sum(y)
			if err != nil {
				b.Fatal(err)
			}
			prog, err := m.Compile(loss)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := prog.Forward(nil); err != nil {
					b.Fatal(err)
				}
				prog.ZeroGrad()
			}
		})
	}
}
