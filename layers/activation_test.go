package layers

import (
	"math"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// elementwise lists the elementwise activations with reference formulas.
var elementwise = []struct {
	name string
	act  Activation
	ref  func(float64) float64
}{
	{"relu", ReLU, func(x float64) float64 { return math.Max(x, 0) }},
	{"gelu", GELU, func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }},
	{"gelu_tanh", GELUTanh, func(x float64) float64 {
		return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	}},
	{"tanh", Tanh, math.Tanh},
	{"sigmoid", Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
}

func TestActivationGradient(t *testing.T) {
	type named struct {
		name string
		act  Activation
	}
	all := []named{{"softmax", Softmax}}
	for _, e := range elementwise {
		all = append(all, named{e.name, e.act})
	}
	for _, c := range all {
		t.Run(c.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			x := inputParam(t, m, 2, 3, 4)
			y, err := c.act(x)
			if err != nil {
				t.Fatal(err)
			}
			checkGrad(t, m, y, nil)
		})
	}
}

// TestActivationByName checks every name against its reference formula, so a
// name bound to the wrong function fails.
func TestActivationByName(t *testing.T) {
	xs := []float64{-3, -1.5, -0.2, 0.3, 1, 2.5}
	for _, c := range elementwise {
		act, err := ActivationByName(c.name)
		if err != nil {
			t.Fatal(err)
		}
		m := graph.NewModel(graph.Float64, 1)
		x, err := m.Input("x", len(xs))
		if err != nil {
			t.Fatal(err)
		}
		y, err := act(x)
		if err != nil {
			t.Fatal(err)
		}
		got := forward(t, m, y, graph.Feeds{"x": tensor.New(tensor.WithShape(len(xs)), tensor.WithBacking(xs))})
		for i, v := range xs {
			if want := c.ref(v); math.Abs(got[i]-want) > 1e-12 {
				t.Errorf("%s(%v) = %v, want %v", c.name, v, got[i], want)
			}
		}
	}
	_, err := ActivationByName("swish")
	wantError(t, err, `"swish"`, "relu", "gelu", "tanh", "sigmoid")
}

func TestSoftmaxForward(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	x, err := m.Input("x", 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	y, err := Softmax(x)
	if err != nil {
		t.Fatal(err)
	}
	xs := []float64{1, 2, 3, -1000, 0, 1000}
	got := forward(t, m, y, graph.Feeds{"x": tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(xs))})
	z := math.Exp(1) + math.Exp(2) + math.Exp(3)
	want := []float64{math.Exp(1) / z, math.Exp(2) / z, math.Exp(3) / z, 0, 0, 1}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("softmax = %v, want %v", got, want)
		}
	}
}

func TestActivationName(t *testing.T) {
	for name, act := range activations {
		if got, ok := ActivationName(act); !ok || got != name {
			t.Errorf("ActivationName(%s) = %q, %v", name, got, ok)
		}
	}
	custom := func(x *gorgonia.Node) (*gorgonia.Node, error) { return x, nil }
	if name, ok := ActivationName(custom); ok || name != "" {
		t.Errorf("a custom activation is named %q", name)
	}
	if _, ok := ActivationName(nil); ok {
		t.Error("nil has a name")
	}
}
