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

// attnCase is one configuration of ScaledDotProductAttention under test.
type attnCase struct {
	name          string
	b, h, tq, tk  int // h == 0: 3-D inputs without a head axis
	dk, dv        int
	causal        bool
	pads          []int // number of trailing padding keys of each sequence; nil: no padding mask
	leadingPadded bool  // pad key 0 of sequence 0 instead, so that with Causal row 0 is fully masked
}

var attnCases = []attnCase{
	{name: "self", b: 2, h: 2, tq: 3, tk: 3, dk: 4, dv: 4},
	{name: "self causal", b: 2, h: 2, tq: 4, tk: 4, dk: 3, dv: 3, causal: true},
	{name: "self padding", b: 2, h: 2, tq: 4, tk: 4, dk: 3, dv: 3, pads: []int{0, 2}},
	{name: "self causal+padding", b: 2, h: 2, tq: 4, tk: 4, dk: 3, dv: 3, causal: true, pads: []int{1, 2}},
	{name: "self causal fully masked row", b: 2, h: 1, tq: 3, tk: 3, dk: 2, dv: 2, causal: true, pads: []int{0, 0}, leadingPadded: true},
	{name: "cross", b: 2, h: 2, tq: 2, tk: 5, dk: 3, dv: 2},
	{name: "cross padding", b: 2, h: 2, tq: 3, tk: 5, dk: 3, dv: 2, pads: []int{3, 0}},
	{name: "3-D cross padding", b: 3, tq: 2, tk: 4, dk: 3, dv: 2, pads: []int{1, 0, 2}},
}

// attnPadID is the padding id used by the attention tests.
const attnPadID = 0

// shapes returns the shapes of q, k and v.
func (c attnCase) shapes() (q, k, v tensor.Shape) {
	if c.h == 0 {
		return tensor.Shape{c.b, c.tq, c.dk}, tensor.Shape{c.b, c.tk, c.dk}, tensor.Shape{c.b, c.tk, c.dv}
	}
	return tensor.Shape{c.b, c.h, c.tq, c.dk}, tensor.Shape{c.b, c.h, c.tk, c.dk}, tensor.Shape{c.b, c.h, c.tk, c.dv}
}

// ids returns key ids [B,Tk]: attnPadID at padded keys, other ids elsewhere.
func (c attnCase) ids() []int {
	ids := make([]int, c.b*c.tk)
	for b := 0; b < c.b; b++ {
		for j := 0; j < c.tk; j++ {
			ids[b*c.tk+j] = 1 + (b+j)%5
			if j >= c.tk-c.pads[b] || (c.leadingPadded && b == 0 && j == 0) {
				ids[b*c.tk+j] = attnPadID
			}
		}
	}
	return ids
}

// build declares q, k, v as parameters (so that their gradients are checked)
// and, with padding, an ids input; it returns the attention and the feeds.
func (c attnCase) build(t *testing.T, m *graph.Model) (q, k, v, out, w *gorgonia.Node, feeds graph.Feeds) {
	t.Helper()
	qs, ks, vs := c.shapes()
	q = attnParam(t, m, "q", 1, qs)
	k = attnParam(t, m, "k", 2, ks)
	v = attnParam(t, m, "v", 3, vs)
	mask := Mask{Causal: c.causal}
	if c.pads != nil {
		ids, err := m.IndexInput("ids", c.b, c.tk)
		if err != nil {
			t.Fatal(err)
		}
		if mask.KeyPadding, err = ops.PaddingMask(ids, attnPadID, m.Dtype()); err != nil {
			t.Fatal(err)
		}
		feeds = graph.Feeds{"ids": tensor.New(tensor.WithShape(c.b, c.tk), tensor.WithBacking(c.ids()))}
	}
	out, w, err := ScaledDotProductAttention(q, k, v, mask)
	if err != nil {
		t.Fatal(err)
	}
	return q, k, v, out, w, feeds
}

// attnParam declares a parameter of random values drawn with seed.
func attnParam(t *testing.T, m *graph.Model, name string, seed uint64, shape tensor.Shape) *gorgonia.Node {
	t.Helper()
	p, err := m.NewParamFrom(name, shape, randn(seed, shape.TotalSize()))
	if err != nil {
		t.Fatal(err)
	}
	return p.Node()
}

// TestAttentionGradient checks the gradients with respect to Q, K and V of a
// loss on both the output and the weights, for self- and cross-attention,
// with and without causal and padding masks.
func TestAttentionGradient(t *testing.T) {
	for _, c := range attnCases {
		t.Run(c.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			_, _, _, out, w, feeds := c.build(t, m)
			loss, err := gorgonia.Add(weightedSum(t, m, out), weightedSum(t, m, w))
			if err != nil {
				t.Fatal(err)
			}
			checkLossGrad(t, m, loss, feeds)
		})
	}
}

// checkLossGrad runs graph.GradCheck on loss with the step h = 1e-5 rather
// than the default 1e-6: the losses of the attention tests sum many terms,
// and the larger step keeps the rounding noise of the central difference
// (~1e-8 relative here) far below the tolerance, where h = 1e-6 leaves
// errors up to ~9e-7 on the decoder layer.
func checkLossGrad(t *testing.T, m *graph.Model, loss *gorgonia.Node, feeds graph.Feeds) {
	t.Helper()
	res, err := graph.GradCheck(m, loss, graph.GradCheckOptions{Feeds: feeds, Eps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxRelError > maxGradError || res.Checked == 0 {
		t.Fatalf("gradient check: %v", res)
	}
	t.Log(res)
}

// TestAttentionForward compares the output and weights with softmax(QKᵀ/√dk)·V
// written out directly, and checks that masked keys get exactly zero weight
// and that a fully masked query row is all zero, not NaN.
func TestAttentionForward(t *testing.T) {
	for _, c := range attnCases {
		t.Run(c.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			q, k, v, out, w, feeds := c.build(t, m)
			prog, err := m.CompileForward(out, w)
			if err != nil {
				t.Fatal(err)
			}
			res, err := prog.Forward(feeds)
			if err != nil {
				t.Fatal(err)
			}
			if !res[0].Shape().Eq(out.Shape()) || !res[1].Shape().Eq(w.Shape()) {
				t.Fatalf("shapes %v and %v, want %v and %v", res[0].Shape(), res[1].Shape(), out.Shape(), w.Shape())
			}
			var ids []int
			if c.pads != nil {
				ids = c.ids()
			}
			wantOut, wantW, fullyMasked := naiveAttention(c, q.Value().Data().([]float64), k.Value().Data().([]float64), v.Value().Data().([]float64), ids)
			gotOut, gotW := res[0].Float64s(), res[1].Float64s()
			for i := range wantW {
				if wantW[i] == 0 && gotW[i] != 0 {
					t.Fatalf("masked weight %d = %v, want exactly 0", i, gotW[i])
				}
				if math.Abs(gotW[i]-wantW[i]) > 1e-12 || math.IsNaN(gotW[i]) {
					t.Fatalf("weight %d = %v, want %v", i, gotW[i], wantW[i])
				}
			}
			for i := range wantOut {
				if math.Abs(gotOut[i]-wantOut[i]) > 1e-12 || math.IsNaN(gotOut[i]) {
					t.Fatalf("output %d = %v, want %v", i, gotOut[i], wantOut[i])
				}
			}
			if c.leadingPadded != (fullyMasked > 0) {
				t.Fatalf("%d fully masked rows, leadingPadded %v", fullyMasked, c.leadingPadded)
			}
		})
	}
}

// naiveAttention is the reference: it loops over every query and key. Masked
// keys are skipped; a row without visible keys gets zero weights. It also
// returns the number of fully masked rows.
func naiveAttention(c attnCase, q, k, v []float64, ids []int) (out, w []float64, fullyMasked int) {
	h := max(c.h, 1)
	out = make([]float64, c.b*h*c.tq*c.dv)
	w = make([]float64, c.b*h*c.tq*c.tk)
	for b := 0; b < c.b; b++ {
		for hh := 0; hh < h; hh++ {
			bh := b*h + hh
			for i := 0; i < c.tq; i++ {
				row := w[(bh*c.tq+i)*c.tk : (bh*c.tq+i+1)*c.tk]
				var sum float64
				for j := 0; j < c.tk; j++ {
					if (c.causal && j > i) || (ids != nil && ids[b*c.tk+j] == attnPadID) {
						continue
					}
					var s float64
					for d := 0; d < c.dk; d++ {
						s += q[(bh*c.tq+i)*c.dk+d] * k[(bh*c.tk+j)*c.dk+d]
					}
					row[j] = math.Exp(s / math.Sqrt(float64(c.dk)))
					sum += row[j]
				}
				if sum == 0 {
					fullyMasked++
					continue
				}
				for j := range row {
					row[j] /= sum
					for d := 0; d < c.dv; d++ {
						out[(bh*c.tq+i)*c.dv+d] += row[j] * v[(bh*c.tk+j)*c.dv+d]
					}
				}
			}
		}
	}
	return out, w, fullyMasked
}

// TestAttentionFloat32LargeScores runs a Float32 graph whose scores are far
// beyond exp's range: the softmax stays finite and masked keys stay at zero.
func TestAttentionFloat32LargeScores(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	q, err := m.NewParam("q", tensor.Shape{1, 1, 2, 2}, graph.Constant(300))
	if err != nil {
		t.Fatal(err)
	}
	k, err := m.NewParamFrom("k", tensor.Shape{1, 1, 2, 2}, []float64{1, 1, 2, 2})
	if err != nil {
		t.Fatal(err)
	}
	out, w, err := ScaledDotProductAttention(q.Node(), k.Node(), k.Node(), Mask{Causal: true})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(out, w)
	if err != nil {
		t.Fatal(err)
	}
	res, err := prog.Forward(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Row 0 sees key 0 only; row 1 sees both, and key 1's score is larger by 600/√2.
	if got, want := res[1].Float32s(), []float32{1, 0, 0, 1}; !equalFloat32s(got, want) {
		t.Fatalf("weights %v, want %v", got, want)
	}
	if got, want := res[0].Float32s(), []float32{1, 1, 2, 2}; !equalFloat32s(got, want) {
		t.Fatalf("output %v, want %v", got, want)
	}
}

func equalFloat32s(a, b []float32) bool {
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

func TestAttentionErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	q := attnParam(t, m, "q", 1, tensor.Shape{2, 2, 3, 4})
	k := attnParam(t, m, "k", 2, tensor.Shape{2, 2, 5, 4})
	kBadDim := attnParam(t, m, "k2", 2, tensor.Shape{2, 2, 5, 3})
	v := attnParam(t, m, "v", 3, tensor.Shape{2, 2, 5, 6})
	vBad := attnParam(t, m, "v2", 3, tensor.Shape{2, 2, 4, 6})
	ids, err := m.IndexInput("ids", 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	pad, err := ops.PaddingMask(ids, 0, m.Dtype())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		k, v    *gorgonia.Node
		mask    Mask
		message []string
	}{
		{"key size", kBadDim, v, Mask{}, []string{"query", "(2, 2, 3, 4)", "(2, 2, 5, 3)"}},
		{"value length", k, vBad, Mask{}, []string{"value", "(2, 2, 4, 6)", "Tk=5"}},
		{"causal cross", k, v, Mask{Causal: true}, []string{"causal", "Tq 3, Tk 5"}},
		{"padding shape", k, v, Mask{KeyPadding: pad}, []string{"key-padding", "(2, 4)", "[2,5]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ScaledDotProductAttention(q, c.k, c.v, c.mask)
			wantError(t, err, c.message...)
		})
	}
}

// ExampleScaledDotProductAttention shows the attention weights of three
// queries over three keys under a causal mask: query i sees keys 0…i only,
// and the masked weights are exactly 0.
func ExampleScaledDotProductAttention() {
	m := graph.NewModel(graph.Float64, 1)
	// One sequence, one head, three positions of width 2: q = k = v.
	x, err := m.NewParamFrom("x", tensor.Shape{1, 1, 3, 2}, []float64{1, 0, 0, 1, 1, 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, weights, err := ScaledDotProductAttention(x.Node(), x.Node(), x.Node(), Mask{Causal: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, err := m.CompileForward(weights)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := prog.Forward(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	w := out[0].Float64s()
	for i := 0; i < 3; i++ {
		fmt.Printf("%.3f\n", w[3*i:3*i+3])
	}
	// Output:
	// [1.000 0.000 0.000]
	// [0.330 0.670 0.000]
	// [0.248 0.248 0.503]
}
