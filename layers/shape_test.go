package layers

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// maxGradError is the largest relative error GradCheck may report.
const maxGradError = 1e-6

// randn returns n draws from N(0,1) of a generator seeded with seed.
func randn(seed uint64, n int) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

// inputParam declares a Float64 parameter "x" of the given shape holding
// random values, so that GradCheck also checks the gradient with respect to
// a layer's input.
func inputParam(t *testing.T, m *graph.Model, shape ...int) *gorgonia.Node {
	t.Helper()
	p, err := m.NewParamFrom("x", tensor.Shape(shape), randn(99, tensor.Shape(shape).TotalSize()))
	if err != nil {
		t.Fatal(err)
	}
	return p.Node()
}

// weightedSum returns sum(y ⊙ R) for a fixed random R of y's shape: a scalar
// loss whose gradient differs at every element of y, so that permuted or
// misplaced gradients show.
func weightedSum(t *testing.T, m *graph.Model, y *gorgonia.Node) *gorgonia.Node {
	t.Helper()
	s := y.Shape()
	r := tensor.New(tensor.WithShape(s.Clone()...), tensor.WithBacking(randn(uint64(s.TotalSize()), s.TotalSize())))
	prod, err := gorgonia.HadamardProd(y, m.Const(fmt.Sprintf("test.R%v", s), r))
	if err != nil {
		t.Fatal(err)
	}
	loss, err := gorgonia.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	return loss
}

// checkGrad runs graph.GradCheck on sum(y ⊙ R) and fails above maxGradError.
func checkGrad(t *testing.T, m *graph.Model, y *gorgonia.Node, feeds graph.Feeds) {
	t.Helper()
	res, err := graph.GradCheck(m, weightedSum(t, m, y), graph.GradCheckOptions{Feeds: feeds})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxRelError > maxGradError || res.Checked == 0 {
		t.Fatalf("gradient check: %v", res)
	}
	t.Log(res)
}

// forward compiles a forward program for y and runs it.
func forward(t *testing.T, m *graph.Model, y *gorgonia.Node, feeds graph.Feeds) []float64 {
	t.Helper()
	prog, err := m.CompileForward(y)
	if err != nil {
		t.Fatal(err)
	}
	out, err := prog.Forward(feeds)
	if err != nil {
		t.Fatal(err)
	}
	if !out[0].Shape().Eq(y.Shape()) {
		t.Fatalf("output shape %v, node shape %v", out[0].Shape(), y.Shape())
	}
	return float64s(out[0])
}

// float64s returns the elements of a Float32 or Float64 tensor as float64s.
func float64s(d *tensor.Dense) []float64 {
	if f, ok := d.Data().([]float32); ok {
		v := make([]float64, len(f))
		for i, x := range f {
			v[i] = float64(x)
		}
		return v
	}
	return append([]float64(nil), d.Float64s()...)
}

// wantError fails unless err is non-nil and its message contains every part.
func wantError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not mention %q", err, p)
		}
	}
	t.Log(err)
}

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		layouts []string
		last    int
		want    string
	}{
		{rowLayouts, 4, "[N,4] or [B,T,4] or [B,H,T,4]"},
		{seqLayouts, 8, "[B,T,8]"},
		{idLayouts, -1, "[N] or [B,T]"},
	} {
		if got := describe(c.layouts, c.last); got != c.want {
			t.Errorf("describe(%v, %d) = %q, want %q", c.layouts, c.last, got, c.want)
		}
	}
}

func TestCheckInput(t *testing.T) {
	g := gorgonia.NewGraph()
	f64 := func(shape ...int) *gorgonia.Node {
		return gorgonia.NewTensor(g, tensor.Float64, len(shape), gorgonia.WithShape(shape...))
	}
	ints := gorgonia.NewTensor(g, tensor.Int, 2, gorgonia.WithShape(2, 3))
	for _, c := range []struct {
		name    string
		x       *gorgonia.Node
		dt      tensor.Dtype
		layouts []string
		last    int
		errPart string // "" when the input is accepted
	}{
		{"2-D", f64(3, 4), tensor.Float64, rowLayouts, 4, ""},
		{"3-D", f64(2, 3, 4), tensor.Float64, rowLayouts, 4, ""},
		{"4-D", f64(2, 2, 3, 4), tensor.Float64, rowLayouts, 4, ""},
		{"wrong last dim", f64(2, 3, 5), tensor.Float64, rowLayouts, 4, "input shape (2, 3, 5), want [N,4]"},
		{"rank 1", f64(4), tensor.Float64, rowLayouts, 4, "input shape (4)"},
		{"rank 2 for sequences", f64(3, 4), tensor.Float64, seqLayouts, 4, "want [B,T,4]"},
		{"ids", ints, tensor.Int, idLayouts, -1, ""},
		{"float ids", f64(2, 3), tensor.Int, idLayouts, -1, "element type float64, want int [N] or [B,T]"},
		{"nil", nil, tensor.Float64, rowLayouts, 4, "nil input"},
	} {
		err := checkInput(`Test "t"`, c.x, c.dt, c.layouts, c.last)
		if c.errPart == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.errPart) || !strings.Contains(err.Error(), `Test "t"`) {
			t.Errorf("%s: error %v, want one naming the layer and containing %q", c.name, err, c.errPart)
		}
	}
}
