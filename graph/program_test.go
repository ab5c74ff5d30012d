package graph

import (
	"math"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// sgd is plain gradient descent, enough to test Program without package optim.
type sgd struct{ lr float64 }

func (o sgd) Step(ps []*Param) error {
	for _, p := range ps {
		v, g := p.Value().Data().([]float64), p.Grad().Data().([]float64)
		for i := range v {
			v[i] -= o.lr * g[i]
		}
	}
	return nil
}

// TestTrainAndForwardShareParameters fits y = x·[1 2 3]ᵀ by least squares
// with a training program, and checks that a forward-only program of another
// batch size, compiled on the same model, sees the trained parameters.
func TestTrainAndForwardShareParameters(t *testing.T) {
	m := NewModel(Float64, 1)
	w, _ := m.NewParam("w", tensor.Shape{3, 1}, Normal(1))
	x, _ := m.Input("x", 4, 3)
	y, _ := m.Input("y", 4, 1)
	d := gorgonia.Must(gorgonia.Sub(gorgonia.Must(gorgonia.Mul(x, w.Node())), y))
	loss := gorgonia.Must(gorgonia.Mean(gorgonia.Must(gorgonia.Square(d))))
	train, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	xe, _ := m.Input("xe", 2, 3)
	fwd, err := m.CompileForward(gorgonia.Must(gorgonia.Mul(xe, w.Node())))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(train.Inputs(), ","); got != "x,y" {
		t.Errorf("training inputs %s, want x,y", got)
	}
	if got := strings.Join(fwd.Inputs(), ","); got != "xe" {
		t.Errorf("forward inputs %s, want xe", got)
	}
	feeds := Feeds{
		"x": tensor.New(tensor.WithShape(4, 3), tensor.WithBacking([]float64{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1})),
		"y": tensor.New(tensor.WithShape(4, 1), tensor.WithBacking([]float64{1, 2, 3, 6})),
	}
	var first, last float64
	for i := 0; i < 300; i++ {
		l, err := train.Step(feeds, sgd{0.1})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = l
		}
		last = l
	}
	if !(last < 1e-12 && first > 1) {
		t.Fatalf("loss %v → %v, want it to fall below 1e-12", first, last)
	}
	out, err := fwd.Forward(Feeds{"xe": tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{1, 1, 0, 0, 0, 2}))})
	if err != nil {
		t.Fatal(err)
	}
	got := out[0].Data().([]float64)
	if math.Abs(got[0]-3) > 1e-5 || math.Abs(got[1]-6) > 1e-5 {
		t.Fatalf("forward program gives %v, want [3 6]", got)
	}
	if g := w.Grad(); g != nil {
		for _, v := range g.Data().([]float64) {
			if v != 0 {
				t.Fatalf("gradient not zeroed after Step: %v", g.Data())
			}
		}
	}
}

func TestStepStopsOnNonFiniteLoss(t *testing.T) {
	m := NewModel(Float64, 1)
	w, _ := m.NewParamFrom("w", tensor.Shape{2}, []float64{1, 2})
	x, _ := m.Input("x", 2)
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(x, w.Node()))))
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	bad := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{math.Inf(1), 0}))
	_, err = prog.Step(Feeds{"x": bad}, sgd{1})
	if err == nil || !strings.Contains(err.Error(), "step 1: loss is +Inf") {
		t.Fatalf("err = %v, want a non-finite loss error naming the step", err)
	}
	if v := w.Value().Data().([]float64); v[0] != 1 || v[1] != 2 {
		t.Fatalf("parameters changed by a non-finite step: %v", v)
	}
}

func TestForwardOnlyProgramRefusesStep(t *testing.T) {
	m := NewModel(Float64, 1)
	w, _ := m.NewParamFrom("w", tensor.Shape{2}, []float64{1, 2})
	prog, err := m.CompileForward(gorgonia.Must(gorgonia.Sum(w.Node())))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prog.Step(Feeds{}, sgd{1}); err == nil {
		t.Fatal("Step on a forward-only program succeeded")
	}
	out, err := prog.Forward(Feeds{})
	if err != nil || out[0].Data().(float64) != 3 {
		t.Fatalf("Forward = %v, %v; want 3", out, err)
	}
}

func TestIndexInputOutOfRange(t *testing.T) {
	m := NewModel(Float64, 1)
	w, _ := m.NewParam("table", tensor.Shape{5, 2}, Normal(1))
	ids, _ := m.IndexInput("ids", 3)
	m.LimitIndices(ids, 5)
	rows := gorgonia.Must(gorgonia.ByIndices(w.Node(), ids, 0))
	prog, err := m.Compile(gorgonia.Must(gorgonia.Sum(rows)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ids  []int
		want string
	}{
		{[]int{0, 4, 5}, `input "ids": value 5 at flat position 2 is outside [0, 5)`},
		{[]int{-1, 0, 0}, `value -1 at flat position 0`},
	} {
		_, err := prog.Step(Feeds{"ids": tensor.New(tensor.WithShape(3), tensor.WithBacking(tc.ids))}, sgd{0.1})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ids %v: err = %v, want %q", tc.ids, err, tc.want)
		}
	}
	if _, err := prog.Step(Feeds{"ids": tensor.New(tensor.WithShape(3), tensor.WithBacking([]int{0, 4, 4}))}, sgd{0.1}); err != nil {
		t.Fatal(err)
	}
}
