package ops

import (
	"fmt"
	"github.com/gorgonet/gorgonet/graph"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// naiveCrossEntropy is the mean of −log softmax(row)[target] over the rows
// whose target is not ignore, with log-softmax computed by the textbook
// formula; 0 when every row is ignored.
func naiveCrossEntropy(logits []float64, targets []int, v, ignore int) float64 {
	logp := naiveSoftmax(logits, v, true)
	var sum float64
	n := 0
	for i, c := range targets {
		if c != ignore {
			sum -= logp[i*v+c]
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// intTensor returns a tensor.Int tensor of shape holding values.
func intTensor(shape tensor.Shape, values ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]int(nil), values...)))
}

var crossEntropyCases = []struct {
	name    string
	shape   tensor.Shape // of the logits
	ignore  int
	targets [][]int // fed one after the other
}{
	{"N,V", tensor.Shape{5, 4}, -1, [][]int{{0, 3, 1, 1, 2}, {3, 3, 0, 2, 1}}},
	{"N,V ignore", tensor.Shape{5, 4}, 2, [][]int{{0, 2, 1, 2, 3}, {2, 2, 2, 2, 1}}},
	{"B,T,V", tensor.Shape{2, 3, 6}, -1, [][]int{{5, 0, 1, 2, 3, 4}, {0, 0, 0, 5, 5, 5}}},
	{"B,T,V ignore", tensor.Shape{2, 3, 6}, -100, [][]int{{5, -100, 1, 2, -100, 4}, {-100, 0, 0, 5, 5, 5}}},
}

func TestCrossEntropyForward(t *testing.T) {
	for _, tc := range crossEntropyCases {
		for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
			t.Run(fmt.Sprintf("%s/%v", tc.name, dt), func(t *testing.T) {
				m := graph.NewModel(dt, 11)
				x := opParam(t, m, tc.shape, 3)
				ts := tc.shape[:len(tc.shape)-1]
				targets, err := m.IndexInput("targets", ts...)
				if err != nil {
					t.Fatal(err)
				}
				loss, err := CrossEntropy(x.Node(), targets, tc.ignore)
				if err != nil {
					t.Fatal(err)
				}
				if !loss.IsScalar() {
					t.Fatalf("loss shape %v", loss.Shape())
				}
				prog, err := m.CompileForward(loss)
				if err != nil {
					t.Fatal(err)
				}
				tol := 1e-13
				if dt == graph.Float32 {
					tol = 1e-6
				}
				for _, tg := range tc.targets {
					out, err := prog.Forward(graph.Feeds{"targets": intTensor(ts, tg...)})
					if err != nil {
						t.Fatal(err)
					}
					got := floats(t, out[0])[0]
					want := naiveCrossEntropy(floats(t, x.Value()), tg, tc.shape[len(tc.shape)-1], tc.ignore)
					if !closeTo(got, want, tol) {
						t.Errorf("targets %v: loss %v, want %v", tg, got, want)
					}
				}
			})
		}
	}
}

// crossEntropyBuild returns an opBuild of CrossEntropy against fixed targets.
func crossEntropyBuild(targets []int, ignore int) opBuild {
	return func(m *graph.Model, x *gorgonia.Node) (*gorgonia.Node, error) {
		s := x.Shape()
		return CrossEntropy(x, m.Const("targets", intTensor(s[:len(s)-1], targets...)), ignore)
	}
}

func TestCrossEntropyGradient(t *testing.T) {
	for _, tc := range crossEntropyCases {
		for i, tg := range tc.targets {
			t.Run(fmt.Sprintf("%s/%d", tc.name, i), func(t *testing.T) {
				build := crossEntropyBuild(tg, tc.ignore)
				t.Log(checkOpGradient(t, tc.shape, 2, build))
				checkFloat32(t, tc.shape, 2, build)
			})
		}
	}
}

// crossEntropyGrad runs one training pass of CrossEntropy(x, targets) for
// x holding logits and returns the loss and the gradient of x.
func crossEntropyLossGrad(t *testing.T, shape tensor.Shape, logits []float64, targets []int, ignore int) (float64, []float64) {
	t.Helper()
	m := graph.NewModel(graph.Float64, 1)
	x, err := m.NewParamFrom("x", shape, logits)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := crossEntropyBuild(targets, ignore)(m, x.Node())
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	out, err := prog.Forward(nil)
	if err != nil {
		t.Fatal(err)
	}
	return floats(t, out[0])[0], floats(t, x.Grad())
}

func TestCrossEntropyAllIgnored(t *testing.T) {
	loss, grad := crossEntropyLossGrad(t, tensor.Shape{2, 3}, []float64{1, 2, 3, -1, 0, 5}, []int{-1, -1}, -1)
	if loss != 0 {
		t.Errorf("loss %v, want 0", loss)
	}
	for i, g := range grad {
		if g != 0 {
			t.Errorf("gradient[%d] = %v, want 0", i, g)
		}
	}
}

// TestCrossEntropyExtremeLogits checks logits of ±1e4 against the closed
// form: the loss of a row is max − logit[target] (the other terms underflow)
// and its gradient (softmax − onehot)/count.
func TestCrossEntropyExtremeLogits(t *testing.T) {
	const big = 1e4
	logits := []float64{
		big, -big, 0, // target 0: loss 0
		big, -big, 0, // target 1: loss 2e4
		-big, -big, 0, // ignored
		-big, big, big, // target 2: loss log 2
	}
	loss, grad := crossEntropyLossGrad(t, tensor.Shape{4, 3}, logits, []int{0, 1, 7, 2}, 7)
	if want := (2*big + math.Ln2) / 3; !closeTo(loss, want, 1e-15) {
		t.Errorf("loss %v, want %v", loss, want)
	}
	want := []float64{
		0, 0, 0,
		1. / 3, -1. / 3, 0,
		0, 0, 0,
		0, 0.5 / 3, -0.5 / 3,
	}
	if i := firstMismatch(grad, want, 1e-15); i >= 0 {
		t.Errorf("gradient[%d] = %v, want %v", i, grad[i], want[i])
	}
}

func TestCrossEntropyTargetOutOfRange(t *testing.T) {
	tests := []struct {
		targets []int
		want    []string
	}{
		{[]int{0, 1, 2, 3, 4, 0}, []string{"[1 1]", "is 4", "[0,4)"}},
		{[]int{0, -2, 2, 3, 1, 0}, []string{"[0 1]", "is -2"}},
	}
	for _, tc := range tests {
		m := graph.NewModel(graph.Float32, 1)
		x := opParam(t, m, tensor.Shape{2, 3, 4}, 1)
		targets, err := m.IndexInput("targets", 2, 3)
		if err != nil {
			t.Fatal(err)
		}
		loss, err := CrossEntropy(x.Node(), targets, -1)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := m.Compile(loss)
		if err != nil {
			t.Fatal(err)
		}
		_, err = prog.Forward(graph.Feeds{"targets": intTensor(tensor.Shape{2, 3}, tc.targets...)})
		wantErr(t, err, append(tc.want, "CrossEntropy")...)
	}
}

func TestCrossEntropyErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	input := func(name string, shape ...int) *gorgonia.Node { return testInput(t, m, name, shape...) }
	index := func(name string, shape ...int) *gorgonia.Node { return testIndexInput(t, m, name, shape...) }
	logits2, logits1, logits4 := input("l2", 4, 5), input("l1", 5), input("l4", 1, 2, 3, 4)
	other := gorgonia.NewTensor(gorgonia.NewGraph(), tensor.Int, 1, gorgonia.WithShape(4), gorgonia.WithName("o"))
	tests := []struct {
		name            string
		logits, targets *gorgonia.Node
		want            string
	}{
		{"nil logits", nil, index("t4", 4), "nil input"},
		{"nil targets", logits2, nil, "nil targets"},
		{"rank 1", logits1, index("t0", 1), "want [N,V] or [B,T,V]"},
		{"rank 4", logits4, index("t3", 1, 2, 3), "want [N,V] or [B,T,V]"},
		{"float targets", logits2, input("tf", 4), "want int"},
		{"shape mismatch", logits2, index("t5", 5), "do not match"},
		{"other graph", logits2, other, "different graphs"},
		{"int logits", index("li", 4, 5), index("t4b", 4), "want float32 or float64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CrossEntropy(tc.logits, tc.targets, -1)
			wantErr(t, err, "CrossEntropy", tc.want)
		})
	}
}

// ExampleCrossEntropy computes the loss of two positions against their
// class ids: log(e²+e+1) − 2 for the first, log 3 for the second.
func ExampleCrossEntropy() {
	m := graph.NewModel(graph.Float64, 1)
	logits, _ := m.Input("logits", 2, 3)
	targets, _ := m.IndexInput("targets", 2)
	loss, err := CrossEntropy(logits, targets, -1)
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, err := m.CompileForward(loss)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := prog.Forward(graph.Feeds{
		"logits":  tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float64{2, 1, 0, 0, 0, 0})),
		"targets": tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{0, 2})),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("loss %.4f\n", out[0].Data())
	// Output:
	// loss 0.7531
}

// plainSGD is θ ← θ − lr·∇θ, for training tests.
type plainSGD struct{ lr float64 }

func (o plainSGD) Step(params []*graph.Param) error {
	for _, p := range params {
		switch v := p.Value().Data().(type) {
		case []float32:
			g := p.Grad().Data().([]float32)
			for i := range v {
				v[i] -= float32(o.lr) * g[i]
			}
		case []float64:
			g := p.Grad().Data().([]float64)
			for i := range v {
				v[i] -= o.lr * g[i]
			}
		}
	}
	return nil
}

// TestOpsTrainClassifier trains a small float32 classifier built from the
// ops, CrossEntropy(Dropout(GELU(x·W1))·W2), with Program.Step: the loss
// on 8 fixed points must fall from about log 3 to near 0.
func TestOpsTrainClassifier(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	x, err := m.Input("x", 8, 4)
	if err != nil {
		t.Fatal(err)
	}
	targets, err := m.IndexInput("targets", 8)
	if err != nil {
		t.Fatal(err)
	}
	w1, err := m.NewParam("w1", tensor.Shape{4, 16}, graph.XavierNormal())
	if err != nil {
		t.Fatal(err)
	}
	w2, err := m.NewParam("w2", tensor.Shape{16, 3}, graph.XavierNormal())
	if err != nil {
		t.Fatal(err)
	}
	h, err := GELU(gorgonia.Must(gorgonia.Mul(x, w1.Node())))
	if err != nil {
		t.Fatal(err)
	}
	if h, err = Dropout(m, h, 0.1); err != nil {
		t.Fatal(err)
	}
	loss, err := CrossEntropy(gorgonia.Must(gorgonia.Mul(h, w2.Node())), targets, -1)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	xs := make([]float32, 32)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64())
	}
	feeds := graph.Feeds{
		"x":       tensor.New(tensor.WithShape(8, 4), tensor.WithBacking(xs)),
		"targets": intTensor(tensor.Shape{8}, 0, 1, 2, 0, 1, 2, 0, 1),
	}
	var first, last float64
	for step := range 500 {
		l, err := prog.Step(feeds, plainSGD{lr: 0.3})
		if err != nil {
			t.Fatal(err)
		}
		if step == 0 {
			first = l
		}
		last = l
	}
	t.Logf("loss %.4f → %.4f", first, last)
	if first < 0.5 || last > 0.15 {
		t.Errorf("loss %v → %v, want from about log 3 to below 0.15", first, last)
	}
}
