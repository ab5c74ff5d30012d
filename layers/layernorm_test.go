package layers

import (
	"math"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"gorgonia.org/tensor"
)

func TestLayerNormGradient(t *testing.T) {
	random := []Option{WeightInit(graph.Normal(1)), BiasInit(graph.Normal(1))}
	for _, c := range []struct {
		name  string
		shape []int
		opts  []Option
	}{
		{"[N,D]", []int{3, 5}, random},
		{"[B,T,D]", []int{2, 3, 5}, random},
		{"[B,T,D] no bias", []int{2, 3, 5}, append([]Option{NoBias()}, random...)},
		{"[B,H,T,D]", []int{2, 2, 2, 5}, random},
		{"default init", []int{2, 3, 5}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			x := inputParam(t, m, c.shape...)
			ln, err := NewLayerNorm(m, "ln", 5, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			y, err := ln.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			if !y.Shape().Eq(x.Shape()) {
				t.Fatalf("output shape %v, want %v", y.Shape(), x.Shape())
			}
			checkGrad(t, m, y, nil)
		})
	}
}

// TestLayerNormForward checks y = (x−μ)/√(σ²+ε)·g + b row by row, with the
// biased variance, against a direct computation.
func TestLayerNormForward(t *testing.T) {
	const d, eps = 6, 1e-3
	m := graph.NewModel(graph.Float64, 2)
	ln, err := NewLayerNorm(m, "ln", d, Eps(eps), WeightInit(graph.Normal(1)), BiasInit(graph.Normal(1)))
	if err != nil {
		t.Fatal(err)
	}
	if ln.Eps != eps || ln.Weight.Name() != "ln.weight" || ln.Bias.Name() != "ln.bias" {
		t.Fatalf("layer %+v", ln)
	}
	x, err := m.Input("x", 2, 2, d)
	if err != nil {
		t.Fatal(err)
	}
	y, err := ln.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	xs := randn(3, 4*d)
	for i := range xs {
		xs[i] = 3*xs[i] + 5 // away from zero mean and unit variance
	}
	got := forward(t, m, y, graph.Feeds{"x": tensor.New(tensor.WithShape(2, 2, d), tensor.WithBacking(xs))})
	g, b := ln.Weight.Value().Float64s(), ln.Bias.Value().Float64s()
	for r := 0; r < 4; r++ {
		row := xs[r*d : (r+1)*d]
		var mean, variance float64
		for _, v := range row {
			mean += v / d
		}
		for _, v := range row {
			variance += (v - mean) * (v - mean) / d
		}
		for i, v := range row {
			want := (v-mean)/math.Sqrt(variance+eps)*g[i] + b[i]
			if math.Abs(got[r*d+i]-want) > 1e-12 {
				t.Fatalf("y[%d,%d] = %v, want %v", r, i, got[r*d+i], want)
			}
		}
	}
}

// TestLayerNormFloat32 checks a Float32 model (whose constants must be
// float32): each output row has mean 0 and variance 1 − ε/(σ²+ε).
func TestLayerNormFloat32(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	ln, err := NewLayerNorm(m, "ln", 16)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.Input("x", 3, 16)
	if err != nil {
		t.Fatal(err)
	}
	y, err := ln.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	xs := randn(4, 48)
	for i := range xs {
		xs[i] = 10*xs[i] - 3
	}
	got := forward(t, m, y, graph.Feeds{"x": denseOf(graph.Float32, tensor.Shape{3, 16}, xs)})
	for r := 0; r < 3; r++ {
		var mean, sq float64
		for _, v := range got[r*16 : (r+1)*16] {
			mean += v / 16
			sq += v * v / 16
		}
		if math.Abs(mean) > 1e-5 || math.Abs(sq-1) > 1e-4 {
			t.Fatalf("row %d: mean %v, mean square %v, want 0 and 1", r, mean, sq)
		}
	}
}

func TestLayerNormErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	ln, err := NewLayerNorm(m, "ln_f", 8)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.Input("x", 2, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ln.Forward(x)
	wantError(t, err, `LayerNorm "ln_f"`, "(2, 3, 7)", "[B,T,8]")
	_, err = NewLayerNorm(m, "bad", 8, Eps(0))
	wantError(t, err, `LayerNorm "bad"`, "eps")
	_, err = NewLayerNorm(m, "bad", -1)
	wantError(t, err, `LayerNorm "bad"`, "positive")
}
