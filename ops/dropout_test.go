package ops

import (
	"github.com/gorgonet/gorgonet/graph"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// dropoutOutputs builds Dropout(ones, p) of the given shape on a model of
// dtype and seed and returns the outputs of runs successive runs.
func dropoutOutputs(t *testing.T, dtype tensor.Dtype, seed uint64, shape tensor.Shape, p float64, runs int) [][]float64 {
	t.Helper()
	m := graph.NewModel(dtype, seed)
	x, err := m.NewParam("x", shape, graph.Ones())
	if err != nil {
		t.Fatal(err)
	}
	y, err := Dropout(m, x.Node(), p)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(y)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, runs)
	for i := range out {
		vals, err := prog.Forward(nil)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = floats(t, vals[0])
	}
	return out
}

// TestDropoutStatistics checks on 10⁴ ones that about 1−p of the elements
// are kept, every kept one is 1/(1−p) and the mean stays near 1 (bounds of
// about 4.5 standard deviations).
func TestDropoutStatistics(t *testing.T) {
	const n = 10000
	for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
		for _, p := range []float64{0.1, 0.3, 0.5, 0.9} {
			y := dropoutOutputs(t, dt, 1, tensor.Shape{100, 100}, p, 1)[0]
			kept, sum := 0, 0.0
			for _, v := range y {
				sum += v
				if v != 0 {
					kept++
					if !closeTo(v, 1/(1-p), 1e-6) {
						t.Fatalf("%v p=%v: kept value %v, want %v", dt, p, v, 1/(1-p))
					}
				}
			}
			frac := float64(kept) / n
			if sd := math.Sqrt(p * (1 - p) / n); math.Abs(frac-(1-p)) > 4.5*sd {
				t.Errorf("%v p=%v: kept fraction %v, want %v ± %v", dt, p, frac, 1-p, 4.5*sd)
			}
			if sd := math.Sqrt(p / (1 - p) / n); math.Abs(sum/n-1) > 4.5*sd {
				t.Errorf("%v p=%v: mean %v, want 1 ± %v", dt, p, sum/n, 4.5*sd)
			}
		}
	}
}

// TestDropoutMasks checks that each run draws a new mask, that the masks
// follow from the seed alone (same for both dtypes) and that a saved RNG
// state replays them.
func TestDropoutMasks(t *testing.T) {
	shape := tensor.Shape{4, 50}
	a := dropoutOutputs(t, graph.Float64, 7, shape, 0.5, 2)
	b := dropoutOutputs(t, graph.Float32, 7, shape, 0.5, 2)
	c := dropoutOutputs(t, graph.Float64, 8, shape, 0.5, 1)
	if firstMismatch(a[0], a[1], 0) < 0 {
		t.Error("two runs drew the same mask")
	}
	for i := range a {
		if j := firstMismatch(b[i], a[i], 1e-7); j >= 0 {
			t.Errorf("run %d: seed 7 gave different masks (element %d: %v vs %v)", i, j, b[i][j], a[i][j])
		}
	}
	if firstMismatch(c[0], a[0], 0) < 0 {
		t.Error("seeds 7 and 8 drew the same mask")
	}

	m := graph.NewModel(graph.Float64, 7)
	x, err := m.NewParam("x", shape, graph.Ones())
	if err != nil {
		t.Fatal(err)
	}
	y, err := Dropout(m, x.Node(), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(y)
	if err != nil {
		t.Fatal(err)
	}
	state, err := m.DropoutState()
	if err != nil {
		t.Fatal(err)
	}
	first := runProgram(t, prog)
	if err := m.SetDropoutState(state); err != nil {
		t.Fatal(err)
	}
	if i := firstMismatch(runProgram(t, prog), first, 0); i >= 0 {
		t.Errorf("restored RNG state gave another mask at %d", i)
	}
}

func runProgram(t *testing.T, prog *graph.Program) []float64 {
	t.Helper()
	out, err := prog.Forward(nil)
	if err != nil {
		t.Fatal(err)
	}
	return floats(t, out[0])
}

// TestDropoutIdentity checks that evaluation mode and p = 0 return the input
// node itself.
func TestDropoutIdentity(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	x := opParam(t, m, tensor.Shape{3, 4}, 1)
	if y, err := Dropout(m, x.Node(), 0); err != nil || y != x.Node() {
		t.Errorf("p=0: got %v, %v; want x itself", y, err)
	}
	m.SetTraining(false)
	if y, err := Dropout(m, x.Node(), 0.5); err != nil || y != x.Node() {
		t.Errorf("evaluation mode: got %v, %v; want x itself", y, err)
	}
	m.SetTraining(true)
	if y, err := Dropout(m, x.Node(), 0.5); err != nil || y == x.Node() {
		t.Errorf("training mode: got %v, %v; want a dropout node", y, err)
	}
}

// TestDropoutNotMerged checks that dropouts of one node with equal or
// different p stay distinct operations with their own masks (gorgonia's
// own Dropout ops of one node merge).
func TestDropoutNotMerged(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	x, err := m.NewParam("x", tensor.Shape{200}, graph.Ones())
	if err != nil {
		t.Fatal(err)
	}
	var ys []*gorgonia.Node
	for _, p := range []float64{0.5, 0.5, 0.1} {
		y, err := Dropout(m, x.Node(), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, prev := range ys {
			if prev == y {
				t.Fatal("two dropouts of one node were merged")
			}
		}
		ys = append(ys, y)
	}
	out := runForward(t, m, nil, ys...)
	if firstMismatch(out[0], out[1], 0) < 0 {
		t.Error("two dropouts of one node drew the same mask")
	}
}

// TestDropoutGradient checks the gradient by finite differences (GradCheck
// rewinds the dropout RNG so every evaluation sees the same mask) and
// directly: it is the output gradient where the element was kept, times
// 1/(1−p), and 0 where it was dropped.
func TestDropoutGradient(t *testing.T) {
	for _, p := range []float64{0.2, 0.5} {
		build := func(m *graph.Model, x *gorgonia.Node) (*gorgonia.Node, error) { return Dropout(m, x, p) }
		for _, shape := range opTestShapes {
			t.Log(checkOpGradient(t, shape, 1, build))
			checkFloat32(t, shape, 1, build)
		}
	}

	// loss = Σ y² with y = x·keep/(1−p), so dL/dx = 2·x·keep/(1−p)²: the
	// gradient reveals the backward mask, and the loss must be the sum over
	// the same elements, Σ_{keep} x²/(1−p)².
	const p = 0.4
	for _, run := range []int{1, 2} {
		m := graph.NewModel(graph.Float64, 5)
		x := opParam(t, m, tensor.Shape{6, 7}, 1)
		y, err := Dropout(m, x.Node(), p)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := m.Compile(gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Square(y)))))
		if err != nil {
			t.Fatal(err)
		}
		var loss float64
		for range run { // the second model checks a later run, with its new mask
			prog.ZeroGrad()
			loss = runProgram(t, prog)[0]
		}
		xs, grad := floats(t, x.Value()), floats(t, x.Grad())
		var want float64
		kept := 0
		for i, g := range grad {
			if g == 0 {
				continue
			}
			kept++
			want += xs[i] * xs[i] / ((1 - p) * (1 - p))
			if !closeTo(g, 2*xs[i]/((1-p)*(1-p)), 1e-14) {
				t.Errorf("gradient[%d] = %v, want %v", i, g, 2*xs[i]/((1-p)*(1-p)))
			}
		}
		if !closeTo(loss, want, 1e-14) || kept == 0 || kept == len(grad) {
			t.Errorf("run %d: loss %v, want %v from the %d elements the gradient kept", run, loss, want, kept)
		}
	}
}

func TestDropoutErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	x := opParam(t, m, tensor.Shape{3}, 1)
	other := graph.NewModel(graph.Float64, 1)
	ox := opParam(t, other, tensor.Shape{3}, 1)
	tests := []struct {
		name string
		m    *graph.Model
		x    *gorgonia.Node
		p    float64
		want string
	}{
		{"negative", m, x.Node(), -0.1, "-0.1 is not in [0,1)"},
		{"one", m, x.Node(), 1, "1 is not in [0,1)"},
		{"NaN", m, x.Node(), math.NaN(), "NaN is not in [0,1)"},
		{"nil model", nil, x.Node(), 0.5, "nil model"},
		{"nil input", m, nil, 0.5, "nil input"},
		{"other graph", m, ox.Node(), 0.5, "not in the model's graph"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Dropout(tc.m, tc.x, tc.p)
			wantErr(t, err, "Dropout", tc.want)
		})
	}
	m.SetTraining(false)
	_, err := Dropout(m, x.Node(), 1)
	wantErr(t, err, "Dropout", "not in [0,1)")
}
