package optim_test

import (
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// The test problem: a weight "w" [2,3] (decays by default) and a bias "b" [3]
// (does not), with loss Σ(w−τw)² + Σ(b−τb)², whose gradient is 2(θ−τ).
var (
	initW   = []float64{0.5, -1.2, 0.3, 2.0, -0.7, 0.1}
	initB   = []float64{0.25, -0.5, 1.5}
	targetW = []float64{1.0, 0.5, -0.25, 1.5, 0.0, -2.0}
	targetB = []float64{-1.0, 0.75, 2.0}
)

type problem struct {
	model  *graph.Model
	prog   *graph.Program
	params []*graph.Param // w, b
}

// newProblem builds and compiles the test problem with parameter values w, b.
func newProblem(t testing.TB, dt tensor.Dtype, w, b []float64) *problem {
	t.Helper()
	m := graph.NewModel(dt, 1)
	pw, err := m.NewParamFrom("w", tensor.Shape{2, 3}, w)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := m.NewParamFrom("b", tensor.Shape{3}, b)
	if err != nil {
		t.Fatal(err)
	}
	term := func(p *graph.Param, target []float64) *gorgonia.Node {
		tt := m.Const(p.Name()+".target", tensor.New(tensor.WithShape(p.Shape()...), tensor.WithBacking(cast(dt, target))))
		return gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Square(gorgonia.Must(gorgonia.Sub(p.Node(), tt))))))
	}
	loss := gorgonia.Must(gorgonia.Add(term(pw, targetW), term(pb, targetB)))
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	return &problem{model: m, prog: prog, params: []*graph.Param{pw, pb}}
}

// step runs one training step of the problem with opt.
func (pr *problem) step(t testing.TB, opt graph.Optimizer) {
	t.Helper()
	if _, err := pr.prog.Step(nil, opt); err != nil {
		t.Fatal(err)
	}
}

// values returns the parameters' values widened to float64 (exact).
func (pr *problem) values() [][]float64 {
	out := make([][]float64, len(pr.params))
	for i, p := range pr.params {
		out[i] = toFloat64s(p.Value())
	}
	return out
}

// setGrads runs the forward and backward pass once (so the gradients exist)
// and then overwrites the gradients with grads.
func (pr *problem) setGrads(t testing.TB, grads ...[]float64) {
	t.Helper()
	if _, err := pr.prog.Forward(nil); err != nil {
		t.Fatal(err)
	}
	for i, p := range pr.params {
		switch d := p.Grad().Data().(type) {
		case []float32:
			for j, v := range grads[i] {
				d[j] = float32(v)
			}
		case []float64:
			copy(d, grads[i])
		}
	}
}

func cast(dt tensor.Dtype, v []float64) interface{} {
	if dt == tensor.Float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	}
	return append([]float64(nil), v...)
}

// round returns v as the model of dtype dt stores it.
func round(dt tensor.Dtype, v []float64) []float64 {
	out := append([]float64(nil), v...)
	if dt == tensor.Float32 {
		for i, x := range out {
			out[i] = float64(float32(x))
		}
	}
	return out
}

func toFloat64s(t *tensor.Dense) []float64 {
	switch d := t.Data().(type) {
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	}
	panic("unexpected dtype")
}

// maxDiff returns the largest absolute difference between a and b.
func maxDiff(a, b []float64) float64 {
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// sameBits reports whether a and b are bitwise equal.
func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

var dtypes = []struct {
	name string
	dt   tensor.Dtype
	tol  float64 // tolerance of a float64 reference against the model
}{
	{"float64", graph.Float64, 1e-13},
	{"float32", graph.Float32, 2e-6},
}

// newSumLoss returns Σ over params of Σ θ².
func newSumLoss(params ...*graph.Param) (*gorgonia.Node, error) {
	var loss *gorgonia.Node
	for _, p := range params {
		sq, err := gorgonia.Square(p.Node())
		if err != nil {
			return nil, err
		}
		s, err := gorgonia.Sum(sq)
		if err != nil {
			return nil, err
		}
		if loss == nil {
			loss = s
		} else if loss, err = gorgonia.Add(loss, s); err != nil {
			return nil, err
		}
	}
	return loss, nil
}
