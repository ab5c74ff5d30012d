package ops

import (
	"fmt"
	"github.com/gorgonet/gorgonet/graph"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// naiveSoftmax computes softmax (or its log) of each row of v elements by
// the textbook formula, without the max shift of the op.
func naiveSoftmax(x []float64, v int, log bool) []float64 {
	out := make([]float64, len(x))
	for r := 0; r < len(x); r += v {
		var s float64
		for _, xi := range x[r : r+v] {
			s += math.Exp(xi)
		}
		for i := r; i < r+v; i++ {
			out[i] = math.Exp(x[i]) / s
			if log {
				out[i] = math.Log(out[i])
			}
		}
	}
	return out
}

var softmaxOps = []struct {
	name  string
	log   bool
	build opBuild
}{
	{"Softmax", false, func(_ *graph.Model, x *gorgonia.Node) (*gorgonia.Node, error) { return Softmax(x) }},
	{"LogSoftmax", true, func(_ *graph.Model, x *gorgonia.Node) (*gorgonia.Node, error) { return LogSoftmax(x) }},
}

func TestSoftmaxForward(t *testing.T) {
	for _, op := range softmaxOps {
		for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
			for _, shape := range opTestShapes {
				t.Run(fmt.Sprintf("%s/%v/%v", op.name, dt, shape), func(t *testing.T) {
					m := graph.NewModel(dt, 5)
					x := opParam(t, m, shape, 2)
					y, err := op.build(m, x.Node())
					if err != nil {
						t.Fatal(err)
					}
					if !y.Shape().Eq(shape) {
						t.Fatalf("shape %v, want %v", y.Shape(), shape)
					}
					got := runForward(t, m, nil, y)[0]
					want := naiveSoftmax(floats(t, x.Value()), shape[len(shape)-1], op.log)
					tol := 1e-12
					if dt == graph.Float32 {
						tol = 1e-5
					}
					if i := firstMismatch(got, want, tol); i >= 0 {
						t.Fatalf("element %d: got %v, want %v", i, got[i], want[i])
					}
				})
			}
		}
	}
}

func TestSoftmaxGradient(t *testing.T) {
	for _, op := range softmaxOps {
		for _, shape := range opTestShapes {
			t.Run(fmt.Sprintf("%s/%v", op.name, shape), func(t *testing.T) {
				res := checkOpGradient(t, shape, 2, op.build)
				t.Log(res)
				checkFloat32(t, shape, 2, op.build)
			})
		}
	}
}

// TestSoftmaxAndLogSoftmaxOfSameNode guards against the gorgonia trap of
// SoftMax(x) and LogSoftMax(x) being merged into one node (traps_test.go).
func TestSoftmaxAndLogSoftmaxOfSameNode(t *testing.T) {
	m := graph.NewModel(graph.Float64, 9)
	x := opParam(t, m, tensor.Shape{3, 4}, 1)
	p, err := Softmax(x.Node())
	if err != nil {
		t.Fatal(err)
	}
	lp, err := LogSoftmax(x.Node())
	if err != nil {
		t.Fatal(err)
	}
	if p == lp {
		t.Fatal("Softmax and LogSoftmax of the same node were merged")
	}
	again, err := Softmax(x.Node())
	if err != nil {
		t.Fatal(err)
	}
	if again != p {
		t.Error("two Softmax of the same node were not shared")
	}
	out := runForward(t, m, nil, p, lp)
	xs := floats(t, x.Value())
	if i := firstMismatch(out[0], naiveSoftmax(xs, 4, false), 1e-12); i >= 0 {
		t.Errorf("softmax[%d] = %v", i, out[0][i])
	}
	if i := firstMismatch(out[1], naiveSoftmax(xs, 4, true), 1e-12); i >= 0 {
		t.Errorf("log-softmax[%d] = %v", i, out[1][i])
	}
}

// TestSoftmaxExtremes checks large logits and rows masked with −1e9.
func TestSoftmaxExtremes(t *testing.T) {
	const big = 1e4
	x := []float64{
		big, -big, 0, // large logits
		-1e9, -1e9, -1e9, // fully masked row: uniform, not NaN
		1, -1e9, 1, // partly masked row
	}
	m := graph.NewModel(graph.Float64, 1)
	xn := m.Const("x", tensor.New(tensor.WithShape(3, 3), tensor.WithBacking(x)))
	p, err := Softmax(xn)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := LogSoftmax(xn)
	if err != nil {
		t.Fatal(err)
	}
	out := runForward(t, m, nil, p, lp)
	third := 1.0 / 3
	wantP := []float64{1, 0, 0, third, third, third, 0.5, 0, 0.5}
	wantLP := []float64{0, -2 * big, -big, math.Log(third), math.Log(third), math.Log(third), math.Log(0.5), -1e9 - 1 + math.Log(0.5), math.Log(0.5)}
	if i := firstMismatch(out[0], wantP, 1e-12); i >= 0 {
		t.Errorf("softmax[%d] = %v, want %v", i, out[0][i], wantP[i])
	}
	if i := firstMismatch(out[1], wantLP, 1e-12); i >= 0 {
		t.Errorf("log-softmax[%d] = %v, want %v", i, out[1][i], wantLP[i])
	}
}

func TestSoftmaxErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	ids, err := m.IndexInput("ids", 3)
	if err != nil {
		t.Fatal(err)
	}
	s := gorgonia.NewScalar(m.Graph(), graph.Float64, gorgonia.WithName("s"))
	tests := []struct {
		name string
		x    *gorgonia.Node
		want string
	}{
		{"nil", nil, "nil input"},
		{"int", ids, "want float32 or float64"},
		{"scalar", s, "scalar"},
	}
	for _, op := range softmaxOps {
		for _, tc := range tests {
			t.Run(op.name+"/"+tc.name, func(t *testing.T) {
				_, err := op.build(m, tc.x)
				wantErr(t, err, op.name, tc.want)
			})
		}
	}
}

// TestSoftmaxOfView checks inputs that are strided views, which the op must
// read by coordinates, not in memory order: a tensor view given to the op
// directly, and a gorgonia Slice of columns in a graph (which gorgonia
// v0.9.18 happens to copy before it reaches the op).
func TestSoftmaxOfView(t *testing.T) {
	m := graph.NewModel(graph.Float64, 3)
	x := opParam(t, m, tensor.Shape{3, 5}, 1)
	want := naiveSoftmax(naiveNarrow(t, x.Value(), 1, 1, 3), 3, false)

	view, err := x.Value().Slice(nil, tensor.S(1, 4))
	if err != nil {
		t.Fatal(err)
	}
	if !view.(*tensor.Dense).IsView() {
		t.Fatal("tensor Slice is not a view")
	}
	direct, err := asOp(softmaxOp{}).Do(view)
	if err != nil {
		t.Fatal(err)
	}
	if i := firstMismatch(floats(t, direct.(*tensor.Dense)), want, 1e-12); i >= 0 {
		t.Fatalf("view given directly: element %d: %v, want %v", i, floats(t, direct.(*tensor.Dense))[i], want[i])
	}

	y, err := Softmax(gorgonia.Must(gorgonia.Slice(x.Node(), nil, gorgonia.S(1, 4))))
	if err != nil {
		t.Fatal(err)
	}
	got := runForward(t, m, nil, y)[0]
	if i := firstMismatch(got, want, 1e-12); i >= 0 {
		t.Fatalf("sliced node: element %d: %v, want %v", i, got[i], want[i])
	}
	t.Log(checkOpGradient(t, tensor.Shape{3, 5}, 1, func(_ *graph.Model, x *gorgonia.Node) (*gorgonia.Node, error) {
		return Softmax(gorgonia.Must(gorgonia.Slice(x, nil, gorgonia.S(1, 4))))
	}))
}
