package ops

// Regression tests of gorgonia v0.9.18 traps.
// Each asserts the trap as it is today, so that a gorgonia upgrade that fixes
// it fails here and the workaround can be revisited, and asserts that
// gorgonet's workaround is right.

import (
	"github.com/gorgonet/gorgonet/graph"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestTrapSliceMergesAt256: gorgonia's Slice writes start and end into its
// hash as a byte, so slices of one node at offsets 256 apart become one
// node. Narrow keeps them apart.
func TestTrapSliceMergesAt256(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	x := opParam(t, m, tensor.Shape{2, 512}, 1)
	a := gorgonia.Must(gorgonia.Slice(x.Node(), nil, gorgonia.S(0, 256)))
	b := gorgonia.Must(gorgonia.Slice(x.Node(), nil, gorgonia.S(256, 512)))
	if a != b {
		t.Error("gorgonia.Slice at offsets 0 and 256 of one node are no longer merged: the trap may be fixed")
	}
	na, err := Narrow(x.Node(), 1, 0, 256)
	if err != nil {
		t.Fatal(err)
	}
	nb, err := Narrow(x.Node(), 1, 256, 256)
	if err != nil {
		t.Fatal(err)
	}
	if na == nb {
		t.Fatal("Narrow at offsets 0 and 256 of one node were merged")
	}
	out := runForward(t, m, nil, na, nb)
	for i, start := range []int{0, 256} {
		if j := firstMismatch(out[i], naiveNarrow(t, x.Value(), 1, start, 256), 0); j >= 0 {
			t.Errorf("Narrow at %d: element %d is %v", start, j, out[i][j])
		}
	}
}

// TestTrapInverseSqrtGradient: InverseSqrt's wrong gradient is shown by
// TestGradCheckCatchesWrongGradient (gradcheck_test.go); Pow(x, −0.5), the
// workaround, has the right one.
func TestTrapInverseSqrtGradient(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	x, err := m.NewParam("x", tensor.Shape{2, 3}, graph.Uniform(0.5, 3))
	if err != nil {
		t.Fatal(err)
	}
	y := gorgonia.Must(gorgonia.Pow(x.Node(), gorgonia.NewConstant(-0.5)))
	res, err := graph.GradCheck(m, weightedLoss(t, m, y), graph.GradCheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxRelError > 1e-6 {
		t.Errorf("Pow(x, -0.5): %v", res)
	}
}

// TestTrapSoftMaxLogSoftMaxMerge: gorgonia's SoftMax and LogSoftMax of one
// node hash alike and become one node. Softmax and LogSoftmax stay apart
// (their values are checked by TestSoftmaxAndLogSoftmaxOfSameNode).
func TestTrapSoftMaxLogSoftMaxMerge(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	x := opParam(t, m, tensor.Shape{3, 4}, 1)
	if gorgonia.Must(gorgonia.SoftMax(x.Node())) != gorgonia.Must(gorgonia.LogSoftMax(x.Node())) {
		t.Error("gorgonia.SoftMax and LogSoftMax of one node are no longer merged: the trap may be fixed")
	}
	p, err := Softmax(x.Node())
	if err != nil {
		t.Fatal(err)
	}
	lp, err := LogSoftmax(x.Node())
	if err != nil {
		t.Fatal(err)
	}
	if p == lp {
		t.Error("Softmax and LogSoftmax of one node were merged")
	}
}

// TestTrapMinusInfMask: a row masked entirely with −inf is NaN in gorgonia's
// SoftMax; a row masked with −1e9 is uniform in Softmax.
func TestTrapMinusInfMask(t *testing.T) {
	inf := math.Inf(-1)
	m := graph.NewModel(graph.Float64, 1)
	xInf := m.Const("xinf", tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{0, inf, inf, inf})))
	xBig := m.Const("xbig", tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{0, -1e9, -1e9, -1e9})))
	theirs := gorgonia.Must(gorgonia.SoftMax(xInf))
	ours, err := Softmax(xBig)
	if err != nil {
		t.Fatal(err)
	}
	out := runForward(t, m, nil, theirs, ours)
	if !math.IsNaN(out[0][2]) || !math.IsNaN(out[0][3]) {
		t.Errorf("gorgonia.SoftMax of a row of −inf gives %v, no longer NaN: the trap may be fixed", out[0][2:])
	}
	if i := firstMismatch(out[1], []float64{1, 0, 0.5, 0.5}, 1e-15); i >= 0 {
		t.Errorf("Softmax of −1e9-masked rows: %v", out[1])
	}
}

// TestTrapByIndicesLastAxis: ByIndices along the last axis computes the
// right values but a wrong gradient; along axis 0 (embedding lookup) the
// gradient is right. CrossEntropy gathers targets itself instead.
func TestTrapByIndicesLastAxis(t *testing.T) {
	tests := []struct {
		name   string
		shape  tensor.Shape
		idx    []int
		axis   int
		broken bool
	}{
		{"last axis", tensor.Shape{3, 4}, []int{2, 0, 3}, 1, true},
		{"axis 0", tensor.Shape{4, 3}, []int{3, 1, 3, 0}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			x := opParam(t, m, tc.shape, 1)
			idx := m.Const("idx", intTensor(tensor.Shape{len(tc.idx)}, tc.idx...))
			y := gorgonia.Must(gorgonia.ByIndices(x.Node(), idx, tc.axis))
			res, err := graph.GradCheck(m, weightedLoss(t, m, y), graph.GradCheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Log(res)
			switch {
			case tc.broken && res.MaxRelError < 1e-2:
				t.Errorf("ByIndices along the last axis now has a right gradient: the trap may be fixed (%v)", res)
			case !tc.broken && res.MaxRelError > 1e-6:
				t.Errorf("ByIndices along axis 0: %v", res)
			}
		})
	}
}

// TestTrapInPlaceAddOverReshapedInput: gorgonia lets an elementwise op
// overwrite its first operand once the operand has no later reader, but it
// does not see that a Reshape of the operand shares its memory. With
// h = x + z [B,T,D] (e.g. a LayerNorm's output after its bias) and y = h + Reshape(Reshape(h, [B·T,D])·W, [B,T,D]) —
// a residual around a Linear, post-LN's shape — Add(h, …) overwrites h while
// the backward pass of the matrix product still reads it through the
// reshape: the gradient is wrong. Writing the residual as Add(…, h) is right;
// layers' encoder and decoder layers do so.
func TestTrapInPlaceAddOverReshapedInput(t *testing.T) {
	build := func(residualFirst bool) graph.GradCheckResult {
		m := graph.NewModel(graph.Float64, 3)
		x := opParam(t, m, tensor.Shape{2, 3, 4}, 1)
		w, err := m.NewParam("w", tensor.Shape{4, 4}, graph.Normal(1))
		if err != nil {
			t.Fatal(err)
		}
		z, err := m.NewParam("z", tensor.Shape{2, 3, 4}, graph.Normal(1))
		if err != nil {
			t.Fatal(err)
		}
		h := gorgonia.Must(gorgonia.Add(x.Node(), z.Node()))
		flat := gorgonia.Must(gorgonia.Reshape(h, tensor.Shape{6, 4}))
		lin := gorgonia.Must(gorgonia.Reshape(gorgonia.Must(gorgonia.Mul(flat, w.Node())), tensor.Shape{2, 3, 4}))
		var y *gorgonia.Node
		if residualFirst {
			y = gorgonia.Must(gorgonia.Add(h, lin))
		} else {
			y = gorgonia.Must(gorgonia.Add(lin, h))
		}
		loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Square(y))))
		res, err := graph.GradCheck(m, loss, graph.GradCheckOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := build(true); res.MaxRelError < 1e-3 {
		t.Errorf("Add(h, Linear(h)) now has a right gradient (%v): the trap may be fixed", res)
	}
	if res := build(false); res.MaxRelError > 1e-6 {
		t.Fatalf("Add(Linear(h), h) has a wrong gradient: %v", res)
	}
}
