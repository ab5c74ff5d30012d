package ops

import (
	"fmt"
	"github.com/gorgonet/gorgonet/graph"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var geluOps = []struct {
	name  string
	tanh  bool
	build opBuild
	// ref is an independent formula: x·Φ(x) with Φ from erfc, and the tanh
	// form rewritten as x·σ(2z) since ½(1+tanh z) = σ(2z).
	ref func(x float64) float64
}{
	{"GELU", false, func(_ *graph.Model, x *gorgonia.Node) (*gorgonia.Node, error) { return GELU(x) },
		func(x float64) float64 { return x * 0.5 * math.Erfc(-x/math.Sqrt2) }},
	{"GELUTanh", true, func(_ *graph.Model, x *gorgonia.Node) (*gorgonia.Node, error) { return GELUTanh(x) },
		func(x float64) float64 {
			z := math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x)
			return x / (1 + math.Exp(-2*z))
		}},
}

func TestGELUForward(t *testing.T) {
	for _, op := range geluOps {
		for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
			for _, shape := range opTestShapes {
				t.Run(fmt.Sprintf("%s/%v/%v", op.name, dt, shape), func(t *testing.T) {
					m := graph.NewModel(dt, 5)
					x := opParam(t, m, shape, 3)
					y, err := op.build(m, x.Node())
					if err != nil {
						t.Fatal(err)
					}
					got := runForward(t, m, nil, y)[0]
					xs := floats(t, x.Value())
					want := make([]float64, len(xs))
					for i, v := range xs {
						want[i] = op.ref(v)
					}
					tol := 1e-14
					if dt == graph.Float32 {
						tol = 1e-6
					}
					if i := firstMismatch(got, want, tol); i >= 0 {
						t.Fatalf("GELU(%v) = %v, want %v", xs[i], got[i], want[i])
					}
				})
			}
		}
	}
}

// TestGELUKnownValues checks exact GELU against x·Φ(x) at points where the
// normal distribution function Φ is tabulated.
func TestGELUKnownValues(t *testing.T) {
	x := []float64{-3, -2, -1, 0, 0.5, 1, 2, 40, -40}
	phi := []float64{0.0013498980316300946, 0.022750131948179195, 0.15865525393145707, 0.5, 0.6914624612740131,
		0.8413447460685429, 0.9772498680518208, 1, 0}
	m := graph.NewModel(graph.Float64, 1)
	xn := m.Const("x", tensor.New(tensor.WithShape(len(x)), tensor.WithBacking(x)))
	exact, err := GELU(xn)
	if err != nil {
		t.Fatal(err)
	}
	out := runForward(t, m, nil, exact)[0]
	for i := range x {
		if want := x[i] * phi[i]; !closeTo(out[i], want, 1e-15) {
			t.Errorf("GELU(%v) = %v, want %v", x[i], out[i], want)
		}
	}
}

// TestGELUTanhCloseToExact checks on a grid over [−6, 6] that the tanh form
// differs from the exact one, by at most 4.8e-4 (largest near x = ±2.7).
func TestGELUTanhCloseToExact(t *testing.T) {
	x := make([]float64, 1201)
	for i := range x {
		x[i] = -6 + float64(i)*0.01
	}
	m := graph.NewModel(graph.Float64, 1)
	xn := m.Const("x", tensor.New(tensor.WithShape(len(x)), tensor.WithBacking(x)))
	exact, err := GELU(xn)
	if err != nil {
		t.Fatal(err)
	}
	approx, err := GELUTanh(xn)
	if err != nil {
		t.Fatal(err)
	}
	out := runForward(t, m, nil, exact, approx)
	var worst float64
	for i := range x {
		worst = math.Max(worst, math.Abs(out[0][i]-out[1][i]))
	}
	if worst < 4e-4 || worst > 4.8e-4 {
		t.Errorf("max |GELU − GELUTanh| = %v, want in [4e-4, 4.8e-4]", worst)
	}
}

func TestGELUGradient(t *testing.T) {
	for _, op := range geluOps {
		for _, shape := range opTestShapes {
			t.Run(fmt.Sprintf("%s/%v", op.name, shape), func(t *testing.T) {
				t.Log(checkOpGradient(t, shape, 2, op.build))
				checkFloat32(t, shape, 2, op.build)
			})
		}
	}
}

func TestGELUErrors(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	ids, err := m.IndexInput("ids", 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range geluOps {
		_, err := op.build(m, nil)
		wantErr(t, err, op.name, "nil input")
		_, err = op.build(m, ids)
		wantErr(t, err, op.name, `"ids" is int`)
	}
}
