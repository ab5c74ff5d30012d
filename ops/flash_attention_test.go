package ops

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// flashCase is one attention geometry: [B,Tq,H,d] queries against [B,Tk,H,d]
// keys and [B,Tk,H,dv] values.
type flashCase struct {
	name                string
	b, tq, tk, h, d, dv int
	causal, padded      bool
}

// flashCases cross the block sizes (flashRows = flashCols = 64) with partial
// blocks, causal and not, with and without key padding (one sequence of a
// padded case has every key masked: its rows must come out 0).
func flashCases() []flashCase {
	return []flashCase{
		{"causal, one block", 2, 9, 9, 2, 4, 4, true, false},
		{"causal, three blocks", 1, 150, 150, 2, 8, 8, true, false},
		{"cross attention, dv ≠ d", 2, 70, 130, 2, 4, 6, false, false},
		{"causal, padded", 3, 70, 70, 1, 4, 4, true, true},
		{"cross attention, padded", 3, 5, 80, 2, 3, 3, false, true},
	}
}

// flashPadding returns the [B,Tk] key-padding mask of a case: sequence 0 sees
// every key, sequence 1 the first two thirds, sequence 2 none.
func flashPadding(m *graph.Model, c flashCase) *gorgonia.Node {
	keep := make([]float64, c.b*c.tk)
	for b := 0; b < c.b; b++ {
		for j := 0; j < c.tk; j++ {
			if b == 0 || (b == 1 && j < 2*c.tk/3) {
				keep[b*c.tk+j] = 1
			}
		}
	}
	return m.Const("keep", tensor.New(tensor.WithShape(c.b, c.tk), tensor.WithBacking(castSlice(m.Dtype(), keep))))
}

// flashBuild returns FlashAttention of q, k, v (fused) or the same attention
// as BatchedMatMul, MaskedSoftmax and BatchedMatMul (unfused).
func flashBuild(m *graph.Model, c flashCase, q, k, v *gorgonia.Node, fused bool) (*gorgonia.Node, error) {
	var keep *gorgonia.Node
	if c.padded {
		keep = flashPadding(m, c)
	}
	scale := 1 / math.Sqrt(float64(c.d))
	if fused {
		return FlashAttention(q, k, v, scale, c.causal, keep)
	}
	s, err := BatchedMatMul(q, k, BMMLayout{TransB: true, AInterleaved: true, BInterleaved: true})
	if err != nil {
		return nil, err
	}
	w, err := MaskedSoftmax(s, scale, c.causal, keep)
	if err != nil {
		return nil, err
	}
	return BatchedMatMul(w, v, BMMLayout{BInterleaved: true, OutInterleaved: true})
}

// flashRun returns the output, the loss Σ out ⊙ R and the gradients of q, k
// and v of one case, fused or not, from parameters drawn with one seed.
func flashRun(t *testing.T, c flashCase, dt tensor.Dtype, fused bool) [][]float64 {
	t.Helper()
	m := graph.NewModel(dt, 11)
	var nodes []*gorgonia.Node
	var params []*graph.Param
	for _, p := range []struct {
		name  string
		shape tensor.Shape
	}{{"q", tensor.Shape{c.b, c.tq, c.h, c.d}}, {"k", tensor.Shape{c.b, c.tk, c.h, c.d}}, {"v", tensor.Shape{c.b, c.tk, c.h, c.dv}}} {
		x, err := m.NewParam(p.name, p.shape, graph.Normal(1))
		if err != nil {
			t.Fatal(err)
		}
		params = append(params, x)
		nodes = append(nodes, x.Node())
	}
	y, err := flashBuild(m, c, nodes[0], nodes[1], nodes[2], fused)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(weightedLoss(t, m, y), y)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := prog.Forward(nil)
	if err != nil {
		t.Fatal(err)
	}
	res := [][]float64{floats(t, outs[1]), floats(t, outs[0])}
	for _, p := range params {
		res = append(res, floats(t, p.Grad()))
	}
	return res
}

// TestFlashAttentionMatchesUnfused requires the output, the loss and the
// three gradients of FlashAttention to equal those of the unfused attention
// (BatchedMatMul, MaskedSoftmax, BatchedMatMul) up to rounding.
func TestFlashAttentionMatchesUnfused(t *testing.T) {
	for _, c := range flashCases() {
		for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
			t.Run(fmt.Sprintf("%s/%v", c.name, dt), func(t *testing.T) {
				tol := 1e-12
				if dt == graph.Float32 {
					tol = 2e-5
				}
				fused, unfused := flashRun(t, c, dt, true), flashRun(t, c, dt, false)
				for i, what := range []string{"output", "loss", "grad q", "grad k", "grad v"} {
					if j := firstMismatch(fused[i], unfused[i], tol); j >= 0 {
						t.Fatalf("%s[%d] = %v, unfused %v", what, j, fused[i][j], unfused[i][j])
					}
				}
				if c.padded { // sequence 2 sees no key: zero output rows
					out := fused[0][2*c.tq*c.h*c.dv:]
					for j, v := range out {
						if v != 0 {
							t.Fatalf("output of a sequence with every key masked: element %d is %v, want 0", j, v)
						}
					}
				}
			})
		}
	}
}

// TestFlashAttentionGradCheck checks the gradients with respect to q, k and
// v by finite differences, in float64, on cases that cross block borders.
func TestFlashAttentionGradCheck(t *testing.T) {
	for _, c := range []flashCase{
		{"causal, two blocks", 1, 70, 70, 1, 2, 2, true, false},
		{"cross, padded, two key blocks", 3, 3, 66, 2, 2, 3, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 5)
			var nodes []*gorgonia.Node
			size := 0
			for _, s := range []tensor.Shape{{c.b, c.tq, c.h, c.d}, {c.b, c.tk, c.h, c.d}, {c.b, c.tk, c.h, c.dv}} {
				x, err := m.NewParam(fmt.Sprintf("x%d", len(nodes)), s, graph.Normal(1))
				if err != nil {
					t.Fatal(err)
				}
				nodes = append(nodes, x.Node())
				size += s.TotalSize()
			}
			y, err := flashBuild(m, c, nodes[0], nodes[1], nodes[2], true)
			if err != nil {
				t.Fatal(err)
			}
			res, err := graph.GradCheck(m, weightedLoss(t, m, y), graph.GradCheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxRelError > 1e-6 || res.Checked != size {
				t.Fatalf("%v", res)
			}
		})
	}
}

// TestFlashAttentionErrors checks that inputs that do not fit are refused
// with the problem named.
func TestFlashAttentionErrors(t *testing.T) {
	tests := []struct {
		name    string
		q, k, v tensor.Shape
		causal  bool
		scale   float64
		want    string
	}{
		{"rank 3", tensor.Shape{2, 3, 4}, tensor.Shape{2, 3, 4}, tensor.Shape{2, 3, 4}, false, 1, "want [B,Tq,H,d]"},
		{"key width", tensor.Shape{2, 3, 2, 4}, tensor.Shape{2, 3, 2, 5}, tensor.Shape{2, 3, 2, 4}, false, 1, "(2, 3, 2, 5)"},
		{"value length", tensor.Shape{2, 3, 2, 4}, tensor.Shape{2, 3, 2, 4}, tensor.Shape{2, 4, 2, 4}, false, 1, "(2, 4, 2, 4)"},
		{"causal Tq ≠ Tk", tensor.Shape{2, 3, 2, 4}, tensor.Shape{2, 5, 2, 4}, tensor.Shape{2, 5, 2, 4}, true, 1, "Tq 3, Tk 5"},
		{"scale", tensor.Shape{2, 3, 2, 4}, tensor.Shape{2, 3, 2, 4}, tensor.Shape{2, 3, 2, 4}, false, 0, "scale 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			node := func(name string, s tensor.Shape) *gorgonia.Node {
				return m.Const(name, tensor.New(tensor.Of(graph.Float64), tensor.WithShape(s...)))
			}
			_, err := FlashAttention(node("q", tc.q), node("k", tc.k), node("v", tc.v), tc.scale, tc.causal, nil)
			wantErr(t, err, tc.want)
		})
	}
}
