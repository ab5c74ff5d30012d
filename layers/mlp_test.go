package layers

import (
	"math"
	"testing"
	"time"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/ops"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestMLPGradient(t *testing.T) {
	for _, c := range []struct {
		name  string
		shape []int
		sizes []int
		act   Activation
	}{
		{"[N,D] tanh", []int{3, 2}, []int{2, 5, 4, 3}, Tanh},
		{"[B,T,D] sigmoid", []int{2, 2, 2}, []int{2, 4, 3}, Sigmoid},
		{"single layer", []int{3, 2}, []int{2, 3}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			x := inputParam(t, m, c.shape...)
			mlp, err := NewMLP(m, "mlp", c.sizes, c.act)
			if err != nil {
				t.Fatal(err)
			}
			y, err := mlp.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			want := append(append([]int(nil), c.shape[:len(c.shape)-1]...), c.sizes[len(c.sizes)-1])
			if !y.Shape().Eq(tensor.Shape(want)) {
				t.Fatalf("output shape %v, want %v", y.Shape(), want)
			}
			checkGrad(t, m, y, nil)
		})
	}
}

// TestMLPNoActivationAfterLast checks the read-out is linear: with a ReLU
// after the last layer, outputs could never be negative.
func TestMLPNoActivationAfterLast(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	mlp, err := NewMLP(m, "mlp", []int{3, 8, 4}, ReLU)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range mlp.Layers {
		if want := graph.Join("mlp", []string{"0", "1"}[i]); l.Name() != want {
			t.Fatalf("layer %d named %q, want %q", i, l.Name(), want)
		}
	}
	mlp.Layers[1].Bias.Value().Memset(-10.0)
	x, err := m.Input("x", 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	y, err := mlp.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range forward(t, m, y, graph.Feeds{"x": tensor.New(tensor.WithShape(5, 3), tensor.WithBacking(randn(1, 15)))}) {
		if v >= 0 {
			t.Fatalf("output %v ≥ 0 despite a bias of −10 on a linear read-out", v)
		}
	}
}

func TestMLPErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	_, err := NewMLP(m, "mlp", []int{3}, ReLU)
	wantError(t, err, `MLP "mlp"`, "[3]")
	_, err = NewMLP(m, "mlp", []int{3, 4, 2}, nil)
	wantError(t, err, `MLP "mlp"`, "nil activation")
	_, err = NewMLP(m, "mlp", []int{3, 0, 2}, ReLU)
	wantError(t, err, `MLP "mlp"`, `Linear "mlp.0"`, "positive")
	mlp, err := NewMLP(m, "head", []int{3, 4, 2}, ReLU)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.Input("x", 5, 4)
	if err != nil {
		t.Fatal(err)
	}
	_, err = mlp.Forward(x)
	wantError(t, err, `MLP "head"`, `Linear "head.0"`, "(5, 4)", "[N,3]")
}

// mse returns mean((pred − target)²).
func mse(t *testing.T, pred, target *gorgonia.Node) *gorgonia.Node {
	t.Helper()
	diff, err := gorgonia.Sub(pred, target)
	if err != nil {
		t.Fatal(err)
	}
	sq, err := gorgonia.Square(diff)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := gorgonia.Mean(sq)
	if err != nil {
		t.Fatal(err)
	}
	return loss
}

// train runs steps training steps of prog on feeds with opt and returns the losses.
func train(t *testing.T, prog *graph.Program, feeds graph.Feeds, opt graph.Optimizer, steps int) []float64 {
	t.Helper()
	losses := make([]float64, steps)
	for i := range losses {
		var err error
		if losses[i], err = prog.Step(feeds, opt); err != nil {
			t.Fatal(err)
		}
	}
	return losses
}

// column returns an [n,1] tensor of f(x_i) for n points x_i evenly spaced on [lo, hi].
func column(n int, lo, hi float64, f func(float64) float64) *tensor.Dense {
	v := make([]float64, n)
	for i := range v {
		v[i] = f(lo + (hi-lo)*float64(i)/float64(n-1))
	}
	return tensor.New(tensor.WithShape(n, 1), tensor.WithBacking(v))
}

// TestMLPFitsSine shows the universal approximation property at work: one
// hidden tanh layer learns sin on [−π, π] to a mean squared error below 1e-3,
// measured on points between the training points.
func TestMLPFitsSine(t *testing.T) {
	const n, steps = 48, 1500
	start := time.Now()
	m := graph.NewModel(graph.Float64, 1)
	mlp, err := NewMLP(m, "mlp", []int{1, 24, 1}, Tanh)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.Input("x", n, 1)
	if err != nil {
		t.Fatal(err)
	}
	y, err := m.Input("y", n, 1)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := mlp.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(mse(t, pred, y))
	if err != nil {
		t.Fatal(err)
	}
	id := func(v float64) float64 { return v }
	feeds := graph.Feeds{"x": column(n, -math.Pi, math.Pi, id), "y": column(n, -math.Pi, math.Pi, math.Sin)}
	losses := train(t, prog, feeds, optim.NewAdam(optim.Constant(0.02)), steps)

	// Held-out points: 3n−2 points, two between every pair of training points.
	const nt = 3*n - 2
	xt, err := m.Input("xtest", nt, 1)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := mlp.Forward(xt)
	if err != nil {
		t.Fatal(err)
	}
	got := forward(t, m, pt, graph.Feeds{"xtest": column(nt, -math.Pi, math.Pi, id)})
	want := column(nt, -math.Pi, math.Pi, math.Sin).Float64s()
	var testMSE float64
	for i := range got {
		testMSE += (got[i] - want[i]) * (got[i] - want[i]) / nt
	}
	t.Logf("sin: training MSE %.3g → %.3g in %d Adam steps, held-out MSE %.3g, %v",
		losses[0], losses[steps-1], steps, testMSE, time.Since(start))
	if testMSE >= 1e-3 {
		t.Fatalf("held-out MSE %v, want < 1e-3", testMSE)
	}
}

// xorModel builds a classifier of the four XOR points and returns its
// training program, its logits on them, and the feeds.
func xorModel(t *testing.T, seed uint64) (*graph.Model, *graph.Program, *gorgonia.Node, graph.Feeds) {
	t.Helper()
	m := graph.NewModel(graph.Float64, seed)
	mlp, err := NewMLP(m, "mlp", []int{2, 8, 2}, Tanh)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.Input("x", 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	targets, err := m.IndexInput("targets", 4)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := mlp.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := ops.CrossEntropy(logits, targets, -1)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	feeds := graph.Feeds{
		"x":       tensor.New(tensor.WithShape(4, 2), tensor.WithBacking([]float64{0, 0, 0, 1, 1, 0, 1, 1})),
		"targets": tensor.New(tensor.WithShape(4), tensor.WithBacking([]int{0, 1, 1, 0})),
	}
	return m, prog, logits, feeds
}

// TestMLPLearnsXOR trains a one-hidden-layer MLP on XOR, which no linear
// model can represent (Minsky & Papert 1969), to classify all four points.
func TestMLPLearnsXOR(t *testing.T) {
	start := time.Now()
	m, prog, logits, feeds := xorModel(t, 1)
	losses := train(t, prog, feeds, optim.NewAdam(optim.Constant(0.05)), 200)
	out := forward(t, m, logits, graph.Feeds{"x": feeds["x"]})
	want := []int{0, 1, 1, 0}
	for i, w := range want {
		class := 0
		if out[2*i+1] > out[2*i] {
			class = 1
		}
		if class != w {
			t.Fatalf("point %d classified %d, want %d (logits %v, losses %v … %v)", i, class, w, out, losses[0], losses[len(losses)-1])
		}
	}
	t.Logf("XOR: cross-entropy %.3g → %.3g in %d steps, %v", losses[0], losses[len(losses)-1], len(losses), time.Since(start))
	if last := losses[len(losses)-1]; last > 0.05 {
		t.Fatalf("final cross-entropy %v, want < 0.05", last)
	}
}

// detRun builds a model with dropout (FeedForward) and an MLP head, and
// returns its initial parameters and the losses of 50 Adam steps.
func detRun(t *testing.T, seed uint64) (params, losses []float64) {
	t.Helper()
	m := graph.NewModel(graph.Float64, seed)
	ff, err := NewFeedForward(m, "ff", 3, 8, GELU, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	head, err := NewMLP(m, "head", []int{3, 8, 1}, Tanh)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.Input("x", 16, 3)
	if err != nil {
		t.Fatal(err)
	}
	y, err := m.Input("y", 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ff.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	pred, err := head.Forward(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() {
		params = append(params, p.Value().Float64s()...)
	}
	prog, err := m.Compile(mse(t, pred, y))
	if err != nil {
		t.Fatal(err)
	}
	feeds := graph.Feeds{
		"x": tensor.New(tensor.WithShape(16, 3), tensor.WithBacking(randn(10, 48))),
		"y": tensor.New(tensor.WithShape(16, 1), tensor.WithBacking(randn(11, 16))),
	}
	return params, train(t, prog, feeds, optim.NewAdam(optim.Constant(0.01)), 50)
}

func TestSeedDeterminism(t *testing.T) {
	p1, l1 := detRun(t, 7)
	p2, l2 := detRun(t, 7)
	p3, l3 := detRun(t, 8)
	equal := func(a, b []float64) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	if !equal(p1, p2) || !equal(l1, l2) {
		t.Fatalf("same seed, different runs: losses %v vs %v", l1[:3], l2[:3])
	}
	if equal(p1, p3) || equal(l1, l3) {
		t.Fatal("different seeds gave the same parameters or losses")
	}
	if l1[49] >= l1[0] {
		t.Fatalf("loss did not decrease: %v → %v", l1[0], l1[49])
	}
	t.Logf("seed 7: loss %.4g → %.4g; seed 8: %.4g → %.4g", l1[0], l1[49], l3[0], l3[49])
}
