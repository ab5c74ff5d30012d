package ops

// Test helpers shared by the op_*_test.go files.

import (
	"fmt"
	"github.com/gorgonet/gorgonet/graph"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// opBuild builds an op under test on the parameter node x of m.
type opBuild func(m *graph.Model, x *gorgonia.Node) (*gorgonia.Node, error)

// opParam adds a parameter "x" of the given shape with N(0, std²) values.
func opParam(t *testing.T, m *graph.Model, shape tensor.Shape, std float64) *graph.Param {
	t.Helper()
	x, err := m.NewParam("x", shape, graph.Normal(std))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// floats returns a copy of the elements of a Float32 or Float64 tensor.
func floats(t *testing.T, v tensor.Tensor) []float64 {
	t.Helper()
	switch d := v.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, f := range d {
			out[i] = float64(f)
		}
		return out
	case float64:
		return []float64{d}
	case float32:
		return []float64{float64(d)}
	}
	t.Fatalf("not a float tensor: %T", v.Data())
	return nil
}

// runForward compiles a forward program of outs and runs it once on feeds.
func runForward(t *testing.T, m *graph.Model, feeds graph.Feeds, outs ...*gorgonia.Node) [][]float64 {
	t.Helper()
	prog, err := m.CompileForward(outs...)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := prog.Forward(feeds)
	if err != nil {
		t.Fatal(err)
	}
	res := make([][]float64, len(vals))
	for i, v := range vals {
		res[i] = floats(t, v)
	}
	return res
}

// weightedLoss returns Σ y ⊙ R for a fixed random R of y's shape, so that a
// gradient routed to the wrong element shows in a gradient check; a scalar
// y is returned as it is. R ~ N(0, 1/n) for n elements keeps the loss near
// 1, and so the rounding noise of central differences small, for any n.
func weightedLoss(t *testing.T, m *graph.Model, y *gorgonia.Node) *gorgonia.Node {
	t.Helper()
	if y.IsScalar() {
		return y
	}
	n := y.Shape().TotalSize()
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	r := make([]float64, n)
	for i := range r {
		r[i] = rng.NormFloat64() / math.Sqrt(float64(n))
	}
	rt := tensor.New(tensor.WithShape(y.Shape()...), tensor.WithBacking(castSlice(m.Dtype(), r)))
	c := m.Const(fmt.Sprintf("R%d", y.ID()), rt)
	return gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(y, c))))
}

// checkOpGradient runs GradCheck on Σ build(x) ⊙ R for a Float64 parameter x
// of the given shape and fails above a relative error of 1e-6.
func checkOpGradient(t *testing.T, shape tensor.Shape, std float64, build opBuild) graph.GradCheckResult {
	t.Helper()
	m := graph.NewModel(graph.Float64, 3)
	x := opParam(t, m, shape, std)
	y, err := build(m, x.Node())
	if err != nil {
		t.Fatal(err)
	}
	res, err := graph.GradCheck(m, weightedLoss(t, m, y), graph.GradCheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxRelError > 1e-6 || res.Checked != shape.TotalSize() {
		t.Fatalf("shape %v: %v", shape, res)
	}
	return res
}

// lossAndGrad runs one training pass of Σ build(x) ⊙ R on a model of dtype
// and returns the loss and the gradient of x.
func lossAndGrad(t *testing.T, dtype tensor.Dtype, shape tensor.Shape, std float64, build opBuild) (float64, []float64) {
	t.Helper()
	m := graph.NewModel(dtype, 3)
	x := opParam(t, m, shape, std)
	y, err := build(m, x.Node())
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(weightedLoss(t, m, y))
	if err != nil {
		t.Fatal(err)
	}
	out, err := prog.Forward(nil)
	if err != nil {
		t.Fatal(err)
	}
	return floats(t, out[0])[0], floats(t, x.Grad())
}

// checkFloat32 checks that the Float32 forward and gradient of build agree
// with the Float64 ones (same seed, so same parameter values up to rounding).
func checkFloat32(t *testing.T, shape tensor.Shape, std float64, build opBuild) {
	t.Helper()
	l64, g64 := lossAndGrad(t, graph.Float64, shape, std, build)
	l32, g32 := lossAndGrad(t, graph.Float32, shape, std, build)
	if !closeTo(l32, l64, 1e-4) {
		t.Errorf("shape %v: float32 loss %v, float64 loss %v", shape, l32, l64)
	}
	if i := firstMismatch(g32, g64, 1e-4); i >= 0 {
		t.Errorf("shape %v: float32 gradient[%d] = %v, float64 %v", shape, i, g32[i], g64[i])
	}
}

// closeTo reports whether a and b agree within tol, relative to max(1, |b|).
func closeTo(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

// firstMismatch returns the first index where got and want disagree (see
// closeTo), or have different lengths (0), or −1.
func firstMismatch(got, want []float64, tol float64) int {
	if len(got) != len(want) {
		return 0
	}
	for i := range got {
		if !closeTo(got[i], want[i], tol) || math.IsNaN(got[i]) {
			return i
		}
	}
	return -1
}

// wantErr fails unless err mentions every one of parts.
func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not mention %q", err, p)
		}
	}
}

// opTestShapes are shapes of several ranks with a last axis > 1.
var opTestShapes = []tensor.Shape{{7}, {3, 5}, {2, 3, 4}, {2, 2, 2, 4}}

// preallocCase is an op run on fixed values, as the tape machine runs it.
type preallocCase struct {
	name   string
	op     kernel
	inputs []gorgonia.Value
	reset  func() // restores state (the dropout RNG) before each run
}

// preallocCases returns every op with a UsePreallocDo, forward and gradient,
// on values of dtype dt.
func preallocCases(dt tensor.Dtype) []preallocCase {
	rng := rand.New(rand.NewPCG(1, 2))
	val := func(shape ...int) *tensor.Dense {
		v := make([]float64, tensor.Shape(shape).TotalSize())
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		m := graph.NewModel(dt, 0)
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(castSlice(m.Dtype(), v)))
	}
	x, g, g2 := val(3, 4), val(3, 4), val(3, 2)
	drop := &dropoutOp{id: 1, p: 0.5}
	resetDrop := func() { drop.rng = rand.New(rand.NewPCG(3, 4)) }
	resetDrop()
	return []preallocCase{
		{"Softmax", softmaxOp{}, []gorgonia.Value{x}, nil},
		{"LogSoftmax", softmaxOp{log: true}, []gorgonia.Value{x}, nil},
		{"SoftmaxGrad", softmaxDiffOp{}, []gorgonia.Value{x, g}, nil},
		{"LogSoftmaxGrad", softmaxDiffOp{log: true}, []gorgonia.Value{x, g}, nil},
		{"GELU", geluOp{}, []gorgonia.Value{x}, nil},
		{"GELUTanhGrad", geluDiffOp{tanh: true}, []gorgonia.Value{x, g}, nil},
		{"Narrow", narrowOp{axis: 1, start: 1, length: 2}, []gorgonia.Value{x}, nil},
		{"NarrowGrad", narrowDiffOp{fwd: narrowOp{axis: 1, start: 1, length: 2}, in: tensor.Shape{3, 4}}, []gorgonia.Value{g2}, nil},
		{"Dropout", drop, []gorgonia.Value{x}, resetDrop},
		{"DropoutGrad", dropoutDiffOp{fwd: drop}, []gorgonia.Value{x, g}, nil},
		{"CrossEntropyGrad", crossEntropyDiffOp{fwd: crossEntropyOp{ignore: 1, rank: 2}},
			[]gorgonia.Value{x, intTensor(tensor.Shape{3}, 2, 1, 0), scalarOf(dt, 0.5)}, nil},
	}
}

// TestOpsUsePreallocDo checks that every op computes into a preallocated
// buffer of the right shape and dtype exactly what Do computes, and refuses
// other buffers (the tape machine then falls back to Do).
func TestOpsUsePreallocDo(t *testing.T) {
	for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
		for _, tc := range preallocCases(dt) {
			t.Run(fmt.Sprintf("%s/%v", tc.name, dt), func(t *testing.T) {
				if tc.reset != nil {
					tc.reset()
				}
				op := asOp(tc.op)
				want, err := op.Do(tc.inputs...)
				if err != nil {
					t.Fatal(err)
				}
				wd := want.(*tensor.Dense)
				buf := tensor.New(tensor.Of(dt), tensor.WithShape(wd.Shape()...))
				if err := buf.Memset(castTo(dt, math.NaN())); err != nil {
					t.Fatal(err)
				}
				if tc.reset != nil {
					tc.reset()
				}
				got, err := op.UsePreallocDo(buf, tc.inputs...)
				if err != nil {
					t.Fatal(err)
				}
				if got != gorgonia.Value(buf) {
					t.Error("result not written into the preallocated buffer")
				}
				if i := firstMismatch(floats(t, buf), floats(t, wd), 0); i >= 0 {
					t.Errorf("element %d: %v, Do gave %v", i, floats(t, buf)[i], floats(t, wd)[i])
				}
				other := graph.Float32
				if dt == graph.Float32 {
					other = graph.Float64
				}
				bad := []gorgonia.Value{
					tensor.New(tensor.Of(dt), tensor.WithShape(wd.Shape().TotalSize()+1)),
					tensor.New(tensor.Of(other), tensor.WithShape(wd.Shape()...)),
					scalarOf(dt, 1),
				}
				for _, b := range bad {
					_, err := op.UsePreallocDo(b, tc.inputs...)
					wantErr(t, err, "cannot hold")
				}
			})
		}
	}
}

// castTo returns v as a number of dtype dt.
func castTo(dt tensor.Dtype, v float64) any {
	if dt == graph.Float32 {
		return float32(v)
	}
	return v
}

// TestOpsDoErrors checks that ops run on wrong values return errors instead
// of panicking.
func TestOpsDoErrors(t *testing.T) {
	x := tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(make([]float64, 12)))
	x32 := tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(make([]float32, 12)))
	ints := intTensor(tensor.Shape{3, 4}, make([]int, 12)...)
	one := scalarOf(graph.Float64, 1)
	tests := []struct {
		name   string
		op     kernel
		inputs []gorgonia.Value
		want   string
	}{
		{"arity", softmaxOp{}, []gorgonia.Value{x, x}, "want 1"},
		{"int input", geluOp{}, []gorgonia.Value{ints}, "want float32 or float64"},
		{"scalar input", softmaxOp{}, []gorgonia.Value{one}, "want a tensor"},
		{"gradient dtype", geluDiffOp{}, []gorgonia.Value{x, x32}, "output gradient is float32"},
		{"gradient shape", softmaxDiffOp{}, []gorgonia.Value{x, tensor.New(tensor.WithShape(4, 3), tensor.WithBacking(make([]float64, 12)))}, "output gradient"},
		{"narrow too small", narrowOp{axis: 1, start: 3, length: 2}, []gorgonia.Value{x}, "too small"},
		{"narrow grad shape", narrowDiffOp{fwd: narrowOp{axis: 1, start: 1, length: 2}, in: tensor.Shape{3, 4}}, []gorgonia.Value{x}, "output gradient of shape"},
		{"dropout grad before forward", dropoutDiffOp{fwd: &dropoutOp{id: 1, p: 0.5}}, []gorgonia.Value{x, x}, "forward has not run"},
		{"cross-entropy targets", crossEntropyOp{ignore: -1, rank: 2}, []gorgonia.Value{x, ints}, "do not match"},
		{"cross-entropy float targets", crossEntropyOp{ignore: -1, rank: 2}, []gorgonia.Value{x, tensor.New(tensor.WithShape(3), tensor.WithBacking(make([]float64, 3)))}, "do not match"},
		{"cross-entropy grad scalar", crossEntropyDiffOp{fwd: crossEntropyOp{ignore: -1, rank: 2}}, []gorgonia.Value{x, intTensor(tensor.Shape{3}, 0, 0, 0), x}, "expected a scalar"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := asOp(tc.op).Do(tc.inputs...)
			wantErr(t, err, tc.want)
		})
	}
}

// TestOpHashesDistinct checks that ops differing in any parameter, however
// far apart, have different hashes, so gorgonia never merges them; and that
// equal ops hash equally, so it may share them.
func TestOpHashesDistinct(t *testing.T) {
	ops := []kernel{
		softmaxOp{}, softmaxOp{log: true}, softmaxDiffOp{}, softmaxDiffOp{log: true},
		geluOp{}, geluOp{tanh: true}, geluDiffOp{}, geluDiffOp{tanh: true},
		crossEntropyOp{ignore: -1, rank: 2}, crossEntropyOp{ignore: 255, rank: 2}, crossEntropyOp{ignore: -1, rank: 3},
		crossEntropyOp{ignore: 0, rank: 2}, crossEntropyOp{ignore: 256, rank: 2}, crossEntropyOp{ignore: 1 << 32, rank: 2},
		crossEntropyDiffOp{fwd: crossEntropyOp{ignore: -1, rank: 2}}, crossEntropyDiffOp{fwd: crossEntropyOp{ignore: 255, rank: 2}},
		&dropoutOp{id: 1, p: 0.1}, &dropoutOp{id: 2, p: 0.1}, &dropoutOp{id: 1, p: 0.1 + 1e-16},
		dropoutDiffOp{fwd: &dropoutOp{id: 1, p: 0.1}}, dropoutDiffOp{fwd: &dropoutOp{id: 2, p: 0.1}},
	}
	for _, start := range []int{0, 1, 256, 257, 1 << 32} {
		for _, length := range []int{1, 256, 257} {
			ops = append(ops, narrowOp{axis: 1, start: start, length: length})
			ops = append(ops, narrowDiffOp{fwd: narrowOp{axis: 1, start: start, length: length}, in: tensor.Shape{2, 1<<32 + 300}})
		}
		ops = append(ops, narrowOp{axis: 0, start: start, length: 1}, narrowOp{axis: 256, start: start, length: 1})
	}
	ops = append(ops, narrowDiffOp{fwd: narrowOp{axis: 1, start: 0, length: 1}, in: tensor.Shape{2, 300}})
	seen := map[uint32]kernel{}
	for _, op := range ops {
		h := asOp(op).Hashcode()
		if prev, dup := seen[h]; dup {
			t.Errorf("%v and %v have the same hash", prev, op)
		}
		seen[h] = op
	}
	if asOp(narrowOp{axis: 1, start: 256, length: 3}).Hashcode() != asOp(narrowOp{axis: 1, start: 256, length: 3}).Hashcode() {
		t.Error("equal Narrow ops hash differently")
	}
}

// castSlice returns values as a []float32 or []float64 backing for dtype dt.
func castSlice(dt tensor.Dtype, values []float64) interface{} {
	if dt == graph.Float32 {
		v := make([]float32, len(values))
		for i, x := range values {
			v[i] = float32(x)
		}
		return v
	}
	return values
}
