package ops

import (
	"fmt"
	"github.com/gorgonet/gorgonet/graph"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// bmmCase is a BatchedMatMul of a [B,…] and b [B,…] under a layout.
type bmmCase struct {
	name   string
	a, b   tensor.Shape
	layout BMMLayout
}

// bmmCases covers rank 3 and 4, every transpose combination and every
// interleaved operand and result, with sizes that differ per axis.
func bmmCases() []bmmCase {
	var cs []bmmCase
	// op(A) [M=3,K=4], op(B) [K=4,N=5]
	dims := func(trans bool, rows, cols int) (int, int) {
		if trans {
			return cols, rows
		}
		return rows, cols
	}
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			ar, ac := dims(ta, 3, 4)
			br, bc := dims(tb, 4, 5)
			l := BMMLayout{TransA: ta, TransB: tb}
			cs = append(cs, bmmCase{fmt.Sprintf("3d/tA=%v/tB=%v", ta, tb), tensor.Shape{2, ar, ac}, tensor.Shape{2, br, bc}, l})
			for _, il := range []struct{ a, b, out bool }{{false, false, false}, {true, true, false}, {false, true, true}, {true, false, true}} {
				l := l
				l.AInterleaved, l.BInterleaved, l.OutInterleaved = il.a, il.b, il.out
				as, bs := tensor.Shape{2, 3, ar, ac}, tensor.Shape{2, 3, br, bc}
				if il.a {
					as = tensor.Shape{2, ar, 3, ac}
				}
				if il.b {
					bs = tensor.Shape{2, br, 3, bc}
				}
				cs = append(cs, bmmCase{fmt.Sprintf("4d/tA=%v/tB=%v/il=%v,%v,%v", ta, tb, il.a, il.b, il.out), as, bs, l})
			}
		}
	}
	return cs
}

// bmmUnfused builds the same product from gorgonia's Transpose and
// BatchedMatMul, the graph the op replaces.
func bmmUnfused(a, b *gorgonia.Node, l BMMLayout) (*gorgonia.Node, error) {
	swap := func(x *gorgonia.Node, interleaved bool) (*gorgonia.Node, error) {
		if !interleaved {
			return x, nil
		}
		return gorgonia.Transpose(x, 0, 2, 1, 3)
	}
	a, err := swap(a, l.AInterleaved)
	if err != nil {
		return nil, err
	}
	if b, err = swap(b, l.BInterleaved); err != nil {
		return nil, err
	}
	c, err := gorgonia.BatchedMatMul(a, b, l.TransA, l.TransB)
	if err != nil {
		return nil, err
	}
	return swap(c, l.OutInterleaved)
}

// bmmRunCase builds op (fused or not) on parameters a and b of a model of
// dtype dt and returns the output, the loss Σ out ⊙ R and the gradients.
func bmmRunCase(t *testing.T, tc bmmCase, dt tensor.Dtype, fused bool) (out []float64, loss float64, ga, gb []float64) {
	t.Helper()
	m := graph.NewModel(dt, 7)
	a, err := m.NewParam("a", tc.a, graph.Normal(1))
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.NewParam("b", tc.b, graph.Normal(1))
	if err != nil {
		t.Fatal(err)
	}
	var y *gorgonia.Node
	if fused {
		y, err = BatchedMatMul(a.Node(), b.Node(), tc.layout)
	} else {
		y, err = bmmUnfused(a.Node(), b.Node(), tc.layout)
	}
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(weightedLoss(t, m, y), y)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := prog.Forward(nil)
	if err != nil {
		t.Fatal(err)
	}
	return floats(t, vals[1]), floats(t, vals[0])[0], floats(t, a.Grad()), floats(t, b.Grad())
}

// TestBatchedMatMulMatchesUnfused checks output, loss and both gradients
// against gorgonia's Transpose + BatchedMatMul graph, in float64 and float32.
func TestBatchedMatMulMatchesUnfused(t *testing.T) {
	for _, tc := range bmmCases() {
		for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
			t.Run(fmt.Sprintf("%s/%v", tc.name, dt), func(t *testing.T) {
				tol := 1e-12
				if dt == graph.Float32 {
					tol = 1e-5
				}
				fo, fl, fa, fb := bmmRunCase(t, tc, dt, true)
				uo, ul, ua, ub := bmmRunCase(t, tc, dt, false)
				for _, c := range []struct {
					what      string
					got, want []float64
				}{{"output", fo, uo}, {"loss", []float64{fl}, []float64{ul}}, {"grad a", fa, ua}, {"grad b", fb, ub}} {
					if i := firstMismatch(c.got, c.want, tol); i >= 0 {
						t.Fatalf("%s[%d] = %v, unfused %v", c.what, i, c.got, c.want)
					}
				}
			})
		}
	}
}

// TestBatchedMatMulGradCheck checks both gradients by finite differences.
func TestBatchedMatMulGradCheck(t *testing.T) {
	for _, tc := range bmmCases() {
		t.Run(tc.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 3)
			a, err := m.NewParam("a", tc.a, graph.Normal(1))
			if err != nil {
				t.Fatal(err)
			}
			b, err := m.NewParam("b", tc.b, graph.Normal(1))
			if err != nil {
				t.Fatal(err)
			}
			y, err := BatchedMatMul(a.Node(), b.Node(), tc.layout)
			if err != nil {
				t.Fatal(err)
			}
			res, err := graph.GradCheck(m, weightedLoss(t, m, y), graph.GradCheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxRelError > 1e-6 || res.Checked != tc.a.TotalSize()+tc.b.TotalSize() {
				t.Fatalf("%v", res)
			}
		})
	}
}

// TestBatchedMatMulErrors checks that operands that do not fit are refused
// with their shapes in the message.
func TestBatchedMatMulErrors(t *testing.T) {
	tests := []struct {
		name string
		a, b tensor.Shape
		l    BMMLayout
		want string
	}{
		{"inner sizes", tensor.Shape{2, 3, 4}, tensor.Shape{2, 5, 6}, BMMLayout{}, "inner sizes 4 and 5"},
		{"batch", tensor.Shape{2, 3, 4}, tensor.Shape{3, 4, 6}, BMMLayout{}, "do not fit"},
		{"heads", tensor.Shape{2, 2, 3, 4}, tensor.Shape{2, 3, 4, 6}, BMMLayout{}, "do not fit"},
		{"rank 2", tensor.Shape{3, 4}, tensor.Shape{4, 6}, BMMLayout{}, "want both of rank 3"},
		{"ranks differ", tensor.Shape{2, 3, 4}, tensor.Shape{2, 1, 4, 6}, BMMLayout{}, "want both of rank 3"},
		{"interleaved rank 3", tensor.Shape{2, 3, 4}, tensor.Shape{2, 4, 6}, BMMLayout{OutInterleaved: true}, "interleaved layouts only at rank 4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			a := m.Const("a", tensor.New(tensor.Of(graph.Float64), tensor.WithShape(tc.a...)))
			b := m.Const("b", tensor.New(tensor.Of(graph.Float64), tensor.WithShape(tc.b...)))
			_, err := BatchedMatMul(a, b, tc.l)
			wantErr(t, err, tc.want, fmt.Sprint(tc.a), fmt.Sprint(tc.b))
		})
	}
}

// BenchmarkAttentionMatMul times QKᵀ of the Transformer config (B 32, T 64,
// 4 heads of 32) by BatchedMatMul on the interleaved projections and by
// gorgonia's Transpose + BatchedMatMul, each as a forward program.
func BenchmarkAttentionMatMul(b *testing.B) {
	for _, fused := range []bool{true, false} {
		b.Run(fmt.Sprintf("fused=%v", fused), func(b *testing.B) {
			m := graph.NewModel(graph.Float32, 1)
			q, err := m.NewParam("q", tensor.Shape{32, 64, 4, 32}, graph.Normal(1))
			if err != nil {
				b.Fatal(err)
			}
			k, err := m.NewParam("k", tensor.Shape{32, 64, 4, 32}, graph.Normal(1))
			if err != nil {
				b.Fatal(err)
			}
			l := BMMLayout{TransB: true, AInterleaved: true, BInterleaved: true}
			var y *gorgonia.Node
			if fused {
				y, err = BatchedMatMul(q.Node(), k.Node(), l)
			} else {
				y, err = bmmUnfused(q.Node(), k.Node(), l)
			}
			if err != nil {
				b.Fatal(err)
			}
			prog, err := m.CompileForward(y)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := prog.Forward(nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBatchedMatMulPrealloc checks that the op computes into a preallocated
// buffer exactly what Do computes (also when the buffer holds NaNs: beta is 0)
// reshapes a buffer of the same size, and refuses buffers of another size or
// dtype.
func TestBatchedMatMulPrealloc(t *testing.T) {
	for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
		t.Run(fmt.Sprint(dt), func(t *testing.T) {
			m := graph.NewModel(dt, 2)
			val := func(shape ...int) *tensor.Dense {
				p, err := m.NewParam(fmt.Sprint("p", len(m.Params())), tensor.Shape(shape), graph.Normal(1))
				if err != nil {
					t.Fatal(err)
				}
				return p.Value()
			}
			op := asOp(bmmOp{l: BMMLayout{TransA: true, BInterleaved: true, OutInterleaved: true}, dims: 4})
			a, b := val(2, 3, 4, 5), val(2, 4, 3, 6)
			want, err := op.Do(a, b)
			if err != nil {
				t.Fatal(err)
			}
			wd := want.(*tensor.Dense)
			if !wd.Shape().Eq(tensor.Shape{2, 5, 3, 6}) {
				t.Fatalf("shape %v, want (2, 5, 3, 6)", wd.Shape())
			}
			buf := tensor.New(tensor.Of(dt), tensor.WithShape(wd.Shape()...))
			if err := buf.Memset(castTo(dt, math.NaN())); err != nil {
				t.Fatal(err)
			}
			got, err := op.UsePreallocDo(buf, a, b)
			if err != nil {
				t.Fatal(err)
			}
			if got != gorgonia.Value(buf) {
				t.Error("result not written into the preallocated buffer")
			}
			if i := firstMismatch(floats(t, buf), floats(t, wd), 0); i >= 0 {
				t.Errorf("element %d: %v, Do gave %v", i, floats(t, buf)[i], floats(t, wd)[i])
			}
			// A buffer of the same size in another shape is reshaped and used.
			other := tensor.New(tensor.Of(dt), tensor.WithShape(2, 3, 5, 6))
			if got, err = op.UsePreallocDo(other, a, b); err != nil || got != gorgonia.Value(other) || !other.Shape().Eq(wd.Shape()) {
				t.Errorf("same-size buffer: got %v (shape %v), error %v", got.Shape(), other.Shape(), err)
			}
			_, err = op.UsePreallocDo(tensor.New(tensor.Of(dt), tensor.WithShape(2, 3, 5, 7)), a, b)
			wantErr(t, err, "cannot hold")
			otherType := tensor.Float32
			if dt == graph.Float32 {
				otherType = tensor.Float64
			}
			_, err = op.UsePreallocDo(tensor.New(tensor.Of(otherType), tensor.WithShape(wd.Shape()...)), a, b)
			wantErr(t, err, "cannot hold")
		})
	}
}

// ExampleBatchedMatMul computes the attention scores QKᵀ of one sequence of
// two positions and two heads of width 2, reading both heads straight from
// the interleaved projections [B,T,H,d] (no transpose).
func ExampleBatchedMatMul() {
	m := graph.NewModel(graph.Float64, 1)
	// q[0,t,h,:] and k[0,t,h,:] for t = 0, 1 and h = 0, 1
	q := m.Const("q", tensor.New(tensor.WithShape(1, 2, 2, 2), tensor.WithBacking([]float64{1, 0, 0, 1, 0, 1, 1, 1})))
	k := m.Const("k", tensor.New(tensor.WithShape(1, 2, 2, 2), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6, 7, 8})))
	s, err := BatchedMatMul(q, k, BMMLayout{TransB: true, AInterleaved: true, BInterleaved: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, err := m.CompileForward(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := prog.Forward(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out[0].Shape(), out[0].Data())
	// Output:
	// (1, 2, 2, 2) [1 5 2 6 4 8 7 15]
}
