package layers

import (
	"fmt"
	"math"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// mhaCase is one configuration of MultiHeadAttention under test: queries
// [B,Tq,D] attend over a memory [B,Tk,D] (the queries themselves when self).
type mhaCase struct {
	name   string
	b, tq  int
	tk     int // ignored when self
	self   bool
	causal bool
	pads   []int // trailing padding keys per sequence; nil: no padding mask
}

var mhaCases = []mhaCase{
	{name: "self", b: 2, tq: 3, self: true},
	{name: "self causal", b: 2, tq: 3, self: true, causal: true},
	{name: "self padding", b: 2, tq: 3, self: true, pads: []int{0, 1}},
	{name: "self causal+padding", b: 2, tq: 4, self: true, causal: true, pads: []int{2, 1}},
	{name: "cross", b: 2, tq: 2, tk: 3},
	{name: "cross padding", b: 2, tq: 3, tk: 4, pads: []int{1, 3}},
}

const mhaDim, mhaHeads = 4, 2

// build creates the layer, its inputs (parameters "x" and "mem", so that
// their gradients are checked too) and the feeds of the padding ids. The
// output is Forward's (ops.FlashAttention; weights nil) when flash is set,
// else Attend's.
func (c mhaCase) build(t *testing.T, m *graph.Model, flash bool, opts ...Option) (a *MultiHeadAttention, out, weights, x, mem *gorgonia.Node, feeds graph.Feeds) {
	t.Helper()
	a, err := NewMultiHeadAttention(m, "attn", mhaDim, mhaHeads, 0, opts...)
	if err != nil {
		t.Fatal(err)
	}
	x = attnParam(t, m, "x", 11, tensor.Shape{c.b, c.tq, mhaDim})
	mem, tk := x, c.tq
	if !c.self {
		tk = c.tk
		mem = attnParam(t, m, "mem", 12, tensor.Shape{c.b, tk, mhaDim})
	}
	mask := Mask{Causal: c.causal}
	if c.pads != nil {
		ac := attnCase{b: c.b, tk: tk, pads: c.pads}
		ids, err := m.IndexInput("ids", c.b, tk)
		if err != nil {
			t.Fatal(err)
		}
		if mask.KeyPadding, err = ops.PaddingMask(ids, attnPadID, m.Dtype()); err != nil {
			t.Fatal(err)
		}
		feeds = graph.Feeds{"ids": tensor.New(tensor.WithShape(c.b, tk), tensor.WithBacking(ac.ids()))}
	}
	if flash {
		out, err = a.Forward(x, mem, mask)
	} else {
		out, weights, err = a.Attend(x, mem, mask)
	}
	if err != nil {
		t.Fatal(err)
	}
	return a, out, weights, x, mem, feeds
}

// mhaPaths are the two ways the layer attends: Forward (fused, without
// the weights) and Attend (the weights materialised).
var mhaPaths = []struct {
	name  string
	flash bool
}{{"Forward", true}, {"Attend", false}}

// TestMultiHeadAttentionGradient checks the gradients of every projection and
// of the inputs, for self- and cross-attention with causal and padding masks.
func TestMultiHeadAttentionGradient(t *testing.T) {
	for _, c := range mhaCases {
		for _, path := range mhaPaths {
			t.Run(c.name+"/"+path.name, func(t *testing.T) {
				m := graph.NewModel(graph.Float64, 1)
				_, out, _, _, _, feeds := c.build(t, m, path.flash)
				if want := (tensor.Shape{c.b, c.tq, mhaDim}); !out.Shape().Eq(want) {
					t.Fatalf("output shape %v, want %v", out.Shape(), want)
				}
				checkLossGrad(t, m, weightedSum(t, m, out), feeds)
			})
		}
	}
}

// TestMultiHeadAttentionForward compares the layer with the projections,
// per-head attention and concatenation written out directly.
func TestMultiHeadAttentionForward(t *testing.T) {
	for _, c := range mhaCases {
		for _, path := range mhaPaths {
			t.Run(c.name+"/"+path.name, func(t *testing.T) { testMultiHeadAttentionForward(t, c, path.flash) })
		}
	}
}

func testMultiHeadAttentionForward(t *testing.T, c mhaCase, flash bool) {
	m := graph.NewModel(graph.Float64, 1)
	a, out, weights, x, mem, feeds := c.build(t, m, flash)
	outputs := []*gorgonia.Node{out}
	if !flash {
		outputs = append(outputs, weights)
	}
	prog, err := m.CompileForward(outputs...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := prog.Forward(feeds)
	if err != nil {
		t.Fatal(err)
	}
	tk := mem.Shape()[1]
	var ids []int
	if c.pads != nil {
		ids = attnCase{b: c.b, tk: tk, pads: c.pads}.ids()
	}
	dk := mhaDim / mhaHeads
	// Project, split into heads [B,H,T,dk], attend, concatenate, project.
	xs, ms := x.Value().Data().([]float64), mem.Value().Data().([]float64)
	q := toHeads(affine(xs, a.Q), c.b, c.tq, mhaHeads, dk)
	k := toHeads(affine(ms, a.K), c.b, tk, mhaHeads, dk)
	v := toHeads(affine(ms, a.V), c.b, tk, mhaHeads, dk)
	ac := attnCase{b: c.b, h: mhaHeads, tq: c.tq, tk: tk, dk: dk, dv: dk, causal: c.causal, pads: c.pads}
	heads, wantW, _ := naiveAttention(ac, q, k, v, ids)
	want := affine(fromHeads(heads, c.b, c.tq, mhaHeads, dk), a.Out)
	if !flash {
		assertClose(t, "weights", res[1].Float64s(), wantW)
	}
	assertClose(t, "output", res[0].Float64s(), want)
}

// affine returns x·W + b for rows x of length l.In, written out.
func affine(x []float64, l *Linear) []float64 {
	w := l.Weight.Value().Float64s()
	rows := len(x) / l.In
	y := make([]float64, rows*l.Out)
	for r := 0; r < rows; r++ {
		for o := 0; o < l.Out; o++ {
			if l.Bias != nil {
				y[r*l.Out+o] = l.Bias.Value().Float64s()[o]
			}
			for i := 0; i < l.In; i++ {
				y[r*l.Out+o] += x[r*l.In+i] * w[i*l.Out+o]
			}
		}
	}
	return y
}

// toHeads rearranges [B,T,H·dk] into [B,H,T,dk].
func toHeads(x []float64, b, t, h, dk int) []float64 {
	y := make([]float64, len(x))
	for bi := 0; bi < b; bi++ {
		for ti := 0; ti < t; ti++ {
			for hi := 0; hi < h; hi++ {
				copy(y[((bi*h+hi)*t+ti)*dk:][:dk], x[(bi*t+ti)*h*dk+hi*dk:][:dk])
			}
		}
	}
	return y
}

// fromHeads rearranges [B,H,T,dk] into [B,T,H·dk].
func fromHeads(x []float64, b, t, h, dk int) []float64 {
	y := make([]float64, len(x))
	for bi := 0; bi < b; bi++ {
		for ti := 0; ti < t; ti++ {
			for hi := 0; hi < h; hi++ {
				copy(y[(bi*t+ti)*h*dk+hi*dk:][:dk], x[((bi*h+hi)*t+ti)*dk:][:dk])
			}
		}
	}
	return y
}

func assertClose(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 || math.IsNaN(got[i]) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestMultiHeadAttentionNames(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	if _, err := NewMultiHeadAttention(m, "blocks.0.attn", 8, 2, 0.1, NoBias()); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range m.Params() {
		names = append(names, fmt.Sprintf("%s%v", p.Name(), p.Shape()))
	}
	want := []string{"blocks.0.attn.q.weight(8, 8)", "blocks.0.attn.k.weight(8, 8)", "blocks.0.attn.v.weight(8, 8)", "blocks.0.attn.out.weight(8, 8)"}
	if len(names) != len(want) {
		t.Fatalf("parameters %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("parameters %v, want %v", names, want)
		}
	}
}

func TestMultiHeadAttentionErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	_, err := NewMultiHeadAttention(m, "bad", 6, 4, 0)
	wantError(t, err, `"bad"`, "dim 6", "heads 4")
	_, err = NewMultiHeadAttention(m, "bad", 8, 2, 1.5)
	wantError(t, err, `"bad"`, "1.5")
	a, err := NewMultiHeadAttention(m, "attn", 4, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	x := attnParam(t, m, "x", 1, tensor.Shape{2, 3, 4})
	wrongDim := attnParam(t, m, "y", 1, tensor.Shape{2, 3, 5})
	otherBatch := attnParam(t, m, "z", 1, tensor.Shape{3, 3, 4})
	_, err = a.Forward(x, wrongDim, Mask{})
	wantError(t, err, `"attn"`, "memory", "(2, 3, 5)", "[B,T,4]")
	_, err = a.Forward(x, otherBatch, Mask{})
	wantError(t, err, `"attn"`, "batch", "(3, 3, 4)")
	_, err = a.Forward(x, attnParam(t, m, "w", 1, tensor.Shape{2, 5, 4}), Mask{Causal: true})
	wantError(t, err, `"attn"`, "causal", "Tq 3, Tk 5")
}

// TestMultiHeadAttentionIgnoresPaddedKeys changes the memory vectors at
// padded key positions: no output changes at all. Changing a real key
// position does change the outputs (so the test can see a change).
func TestMultiHeadAttentionIgnoresPaddedKeys(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	a, err := NewMultiHeadAttention(m, "cross", mhaDim, mhaHeads, 0)
	if err != nil {
		t.Fatal(err)
	}
	x := attnParam(t, m, "x", 11, tensor.Shape{2, 3, mhaDim})
	mem, err := m.Input("mem", 2, 5, mhaDim)
	if err != nil {
		t.Fatal(err)
	}
	pad, feeds := paddingFeeds(t, m, "ids", 2, 5, []int{2, 4}) // keys 3,4 of row 0 and 1–4 of row 1 are padding
	out, err := a.Forward(x, mem, Mask{KeyPadding: pad})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(out)
	if err != nil {
		t.Fatal(err)
	}
	run := func(memory []float64) []float64 {
		feeds["mem"] = tensor.New(tensor.WithShape(2, 5, mhaDim), tensor.WithBacking(memory))
		res, err := prog.Forward(feeds)
		if err != nil {
			t.Fatal(err)
		}
		return append([]float64(nil), res[0].Float64s()...)
	}
	base := randn(21, 2*5*mhaDim)
	want := run(append([]float64(nil), base...))
	changed := append([]float64(nil), base...)
	for _, pos := range []int{3, 4, 6, 7, 8, 9} { // (row·5 + key) of the padded keys
		for d := 0; d < mhaDim; d++ {
			changed[pos*mhaDim+d] = 100 * float64(d+pos)
		}
	}
	if got := run(changed); !equalFloat64s(got, want) {
		t.Fatalf("changing padded keys changed the output:\n%v\n%v", got, want)
	}
	changed[2*mhaDim] += 1 // a real key of row 0
	if got := run(changed); equalFloat64s(got[:3*mhaDim], want[:3*mhaDim]) {
		t.Fatal("changing a real key left row 0 unchanged: the test cannot see a change")
	}
}

func equalFloat64s(a, b []float64) bool {
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
