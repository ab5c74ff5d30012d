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

// recCase is one configuration of Recurrence under test.
type recCase struct {
	cell                           RecurrentCell
	batch, steps, hidden           int
	vocab                          int // > 0: the inputs are Table and Ids
	bias, mask, reverse, timeMajor bool
}

func (c recCase) String() string {
	return recDims{cell: c.cell, batch: c.batch, steps: c.steps, hidden: c.hidden, vocab: c.vocab, bias: c.bias, mask: c.mask,
		reverse: c.reverse, timeMajor: c.timeMajor}.String()
}

// recIDs returns token ids [B,T] for a table of vocab rows, repeating some.
func recIDs(batch, steps, vocab int) []int {
	ids := make([]int, batch*steps)
	for i := range ids {
		ids[i] = (i*5 + 2) % vocab
	}
	return ids
}

// recCases covers every cell with and without each option, T = 1 and T = 7,
// and a hidden size that is not a multiple of 8.
func recCases() []recCase {
	var cs []recCase
	for _, cell := range []RecurrentCell{RecurrentTanh, RecurrentReLU, RecurrentLSTM, RecurrentGRU} {
		cs = append(cs,
			recCase{cell: cell, batch: 3, steps: 7, hidden: 5, bias: cell == RecurrentGRU},
			recCase{cell: cell, batch: 2, steps: 1, hidden: 5, bias: true},
			recCase{cell: cell, batch: 3, steps: 7, hidden: 5, bias: true, mask: true, reverse: true},
			recCase{cell: cell, batch: 2, steps: 4, hidden: 3, mask: true, timeMajor: true},
			recCase{cell: cell, batch: 2, steps: 4, hidden: 3, reverse: true, timeMajor: true},
			recCase{cell: cell, batch: 3, steps: 7, hidden: 5, vocab: 4, bias: true, mask: true},
			recCase{cell: cell, batch: 2, steps: 4, hidden: 3, vocab: 5, reverse: true, timeMajor: true},
			// large enough for parallelFor to split the rows of the batch
			recCase{cell: cell, batch: 5, steps: 8, hidden: 60, bias: true, mask: true, reverse: true},
		)
	}
	return cs
}

// large reports whether a case is too big for central differences.
func (c recCase) large() bool { return c.hidden > 8 }

// recMask returns a [B,T] mask of 0/1 with padding at both ends of some rows.
func recMask(batch, steps int) []float64 {
	m := make([]float64, batch*steps)
	for b := 0; b < batch; b++ {
		for t := 0; t < steps; t++ {
			if !(b%2 == 1 && (t == steps-1 || t == 0) && steps > 1) && !(b == 2 && t == steps/2) {
				m[b*steps+t] = 1
			}
		}
	}
	return m
}

// recModel holds a recurrence built on parameters.
type recModel struct {
	m                *graph.Model
	params           []*graph.Param
	out              RecurrenceOutputs
	mask, ids        *tensor.Dense
	xp, w, b, h0, c0 *graph.Param // xp: XP, or the Table
}

// buildRec adds XP, W_hh, [b_hh], H0, [C0] as parameters of a model of dtype
// dt (same seed, so the same values for both dtypes up to rounding) and
// builds the recurrence.
func buildRec(t *testing.T, dt tensor.Dtype, c recCase) *recModel {
	t.Helper()
	m := graph.NewModel(dt, 5)
	r := &recModel{m: m}
	g := c.cell.Gates()
	add := func(name string, shape tensor.Shape, std float64) *graph.Param {
		p, err := m.NewParam(name, shape, graph.Normal(std))
		if err != nil {
			t.Fatal(err)
		}
		r.params = append(r.params, p)
		return p
	}
	d := recDims{batch: c.batch, steps: c.steps, timeMajor: c.timeMajor}
	in := RecurrenceInputs{Reverse: c.reverse, TimeMajor: c.timeMajor}
	if c.vocab > 0 {
		r.xp = add("table", tensor.Shape{c.vocab, g * c.hidden}, 0.8)
		ids, err := m.IndexInput("ids", c.batch, c.steps)
		if err != nil {
			t.Fatal(err)
		}
		in.Table, in.Ids = r.xp.Node(), ids
		r.ids = tensor.New(tensor.WithShape(c.batch, c.steps), tensor.WithBacking(recIDs(c.batch, c.steps, c.vocab)))
	} else {
		r.xp = add("xp", d.seqShape(g*c.hidden), 0.8)
		in.XP = r.xp.Node()
	}
	r.w = add("whh", tensor.Shape{c.hidden, g * c.hidden}, 1.3/math.Sqrt(float64(c.hidden)))
	in.WHH = r.w.Node()
	if c.bias {
		r.b = add("bhh", tensor.Shape{g * c.hidden}, 0.5)
		in.BHH = r.b.Node()
	}
	r.h0 = add("h0", tensor.Shape{c.batch, c.hidden}, 0.7)
	in.H0 = r.h0.Node()
	if c.cell == RecurrentLSTM {
		r.c0 = add("c0", tensor.Shape{c.batch, c.hidden}, 0.7)
		in.C0 = r.c0.Node()
	}
	if c.mask {
		mk, err := m.Input("mask", c.batch, c.steps)
		if err != nil {
			t.Fatal(err)
		}
		in.Mask = mk
		r.mask = tensor.New(tensor.WithShape(c.batch, c.steps), tensor.WithBacking(castSlice(m.Dtype(), recMask(c.batch, c.steps))))
	}
	var err error
	if r.out, err = Recurrence(c.cell, in); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *recModel) feeds() graph.Feeds {
	f := graph.Feeds{}
	if r.mask != nil {
		f["mask"] = r.mask
	}
	if r.ids != nil {
		f["ids"] = r.ids
	}
	return f
}

// outputs returns Y, H and (LSTM) C.
func (r *recModel) outputs() []*gorgonia.Node {
	outs := []*gorgonia.Node{r.out.Y, r.out.H}
	if r.out.C != nil {
		outs = append(outs, r.out.C)
	}
	return outs
}

// loss returns Σ over the outputs of output ⊙ R_output.
func (r *recModel) loss(t *testing.T) *gorgonia.Node {
	t.Helper()
	var l *gorgonia.Node
	for _, o := range r.outputs() {
		w := weightedLoss(t, r.m, o)
		if l == nil {
			l = w
		} else {
			l = gorgonia.Must(gorgonia.Add(l, w))
		}
	}
	return l
}

// refRecurrence computes the recurrence of c with the cells' equations in
// plain float64 loops, from the parameter values of r. It returns Y in the
// layout of c, and the final H and C.
func refRecurrence(t *testing.T, c recCase, r *recModel) (y, hT, cT []float64) {
	t.Helper()
	val := func(p *graph.Param) []float64 {
		if p == nil {
			return nil
		}
		return floats(t, p.Value())
	}
	xp, w, b, h0, c0 := val(r.xp), val(r.w), val(r.b), val(r.h0), val(r.c0)
	var mask []float64
	if r.mask != nil {
		mask = floats(t, r.mask)
	}
	d := recDims{batch: c.batch, steps: c.steps, timeMajor: c.timeMajor}
	H, N := c.hidden, c.cell.Gates()*c.hidden
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	y = make([]float64, c.batch*c.steps*H)
	hT, cT = make([]float64, c.batch*H), make([]float64, c.batch*H)
	for bi := 0; bi < c.batch; bi++ {
		h := append([]float64(nil), h0[bi*H:(bi+1)*H]...)
		cs := make([]float64, H)
		if c0 != nil {
			copy(cs, c0[bi*H:])
		}
		for i := 0; i < c.steps; i++ {
			ts := i
			if c.reverse {
				ts = c.steps - 1 - i
			}
			row := d.row(bi, ts)
			if r.ids != nil {
				row = r.ids.Ints()[bi*c.steps+ts]
			}
			x := xp[row*N:][:N]
			hw := make([]float64, N)
			for j := range hw {
				if b != nil {
					hw[j] = b[j]
				}
				for k := 0; k < H; k++ {
					hw[j] += h[k] * w[k*N+j]
				}
			}
			nh, nc := make([]float64, H), make([]float64, H)
			for j := 0; j < H; j++ {
				switch c.cell {
				case RecurrentTanh:
					nh[j] = math.Tanh(x[j] + hw[j])
				case RecurrentReLU:
					nh[j] = math.Max(0, x[j]+hw[j])
				case RecurrentLSTM:
					ig, fg := sig(x[j]+hw[j]), sig(x[H+j]+hw[H+j])
					gg, og := math.Tanh(x[2*H+j]+hw[2*H+j]), sig(x[3*H+j]+hw[3*H+j])
					nc[j] = fg*cs[j] + ig*gg
					nh[j] = og * math.Tanh(nc[j])
				case RecurrentGRU:
					rg, zg := sig(x[j]+hw[j]), sig(x[H+j]+hw[H+j])
					n := math.Tanh(x[2*H+j] + rg*hw[2*H+j])
					nh[j] = (1-zg)*n + zg*h[j]
				}
			}
			m := 1.0
			if mask != nil {
				m = mask[bi*c.steps+ts]
			}
			for j := 0; j < H; j++ {
				h[j] += m * (nh[j] - h[j])
				cs[j] += m * (nc[j] - cs[j])
			}
			copy(y[d.row(bi, ts)*H:], h)
		}
		copy(hT[bi*H:], h)
		copy(cT[bi*H:], cs)
	}
	return y, hT, cT
}

// TestRecurrenceMatchesEquations checks the forward outputs of every case
// against the cells' equations computed by hand (float64), and the float32
// op against them within float32 accuracy.
func TestRecurrenceMatchesEquations(t *testing.T) {
	for _, c := range recCases() {
		t.Run(c.String(), func(t *testing.T) {
			r := buildRec(t, graph.Float64, c)
			got := runForward(t, r.m, r.feeds(), r.outputs()...)
			y, hT, cT := refRecurrence(t, c, r)
			want := [][]float64{y, hT, cT}
			for i, g := range got {
				if d := maxAbsDiff(g, want[i]); d > 1e-12 {
					t.Fatalf("output %d differs from the equations by %g", i, d)
				}
			}
			r32 := buildRec(t, graph.Float32, c)
			got32 := runForward(t, r32.m, r32.feeds(), r32.outputs()...)
			for i, g := range got32 {
				if d := maxAbsDiff(g, want[i]) / max(maxAbsDiff(want[i], make([]float64, len(want[i]))), 1); d > 1e-5 {
					t.Fatalf("float32 output %d differs from the float64 equations by %g (relative)", i, d)
				}
			}
		})
	}
}

// maxAbsDiff returns max |a_i − b_i|, or +Inf for different lengths.
func maxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		if v := math.Abs(a[i] - b[i]); v > d || math.IsNaN(v) {
			d = v
		}
	}
	return d
}

// TestRecurrenceGradCheck checks the gradients of XP, W_hh, b_hh, H0 and C0
// by central differences, through a loss of Y and the final states.
func TestRecurrenceGradCheck(t *testing.T) {
	for _, c := range recCases() {
		if c.large() {
			continue
		}
		t.Run(c.String(), func(t *testing.T) {
			r := buildRec(t, graph.Float64, c)
			res, err := graph.GradCheck(r.m, r.loss(t), graph.GradCheckOptions{Feeds: r.feeds()})
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			for _, p := range r.params {
				want += p.Shape().TotalSize()
			}
			if res.MaxRelError > 1e-6 || res.Checked != want {
				t.Fatalf("%v (want %d elements)", res, want)
			}
			t.Log(res)
		})
	}
}

// TestRecurrenceFloat32Gradients checks the float32 gradients against the
// float64 ones.
func TestRecurrenceFloat32Gradients(t *testing.T) {
	for _, c := range recCases() {
		if c.steps == 1 || c.timeMajor {
			continue
		}
		t.Run(c.String(), func(t *testing.T) {
			grads := func(dt tensor.Dtype) (float64, [][]float64) {
				r := buildRec(t, dt, c)
				prog, err := r.m.Compile(r.loss(t))
				if err != nil {
					t.Fatal(err)
				}
				out, err := prog.Forward(r.feeds())
				if err != nil {
					t.Fatal(err)
				}
				var gs [][]float64
				for _, p := range r.params {
					gs = append(gs, floats(t, p.Grad()))
				}
				return floats(t, out[0])[0], gs
			}
			l64, g64 := grads(graph.Float64)
			l32, g32 := grads(graph.Float32)
			if !closeTo(l32, l64, 1e-5) {
				t.Errorf("float32 loss %v, float64 %v", l32, l64)
			}
			for i := range g64 {
				if j := firstMismatch(g32[i], g64[i], 1e-5); j >= 0 {
					t.Errorf("gradient %d[%d]: float32 %v, float64 %v", i, j, g32[i][j], g64[i][j])
				}
			}
		})
	}
}

// TestRecurrenceErrors checks that bad inputs give errors naming the op and
// the shapes.
func TestRecurrenceErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	node := func(name string, shape ...int) *gorgonia.Node { return testInput(t, m, name, shape...) }
	xp, w, h0, c0 := node("xp", 2, 3, 20), node("w", 5, 20), node("h0", 2, 5), node("c0", 2, 5)
	ids := testIndexInput(t, m, "ids", 2, 3)
	m32 := graph.NewModel(graph.Float32, 1)
	h32, err := m32.Input("h", 2, 5)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cell RecurrentCell
		in   RecurrenceInputs
		want []string
	}{
		{"unknown cell", RecurrentCell(9), RecurrenceInputs{XP: xp, WHH: w, H0: h0}, []string{"unknown cell"}},
		{"nil H0", RecurrentLSTM, RecurrenceInputs{XP: xp, WHH: w}, []string{"Recurrence(LSTM)", "H0 nil"}},
		{"weight", RecurrentLSTM, RecurrenceInputs{XP: xp, WHH: node("w2", 5, 15), H0: h0, C0: c0}, []string{"Recurrence(LSTM)", "(2, 3, 20)", "(5, 15)"}},
		{"gates", RecurrentGRU, RecurrenceInputs{XP: xp, WHH: w, H0: h0}, []string{"Recurrence(GRU)", "WHH [H,3·H]"}},
		{"xp rank", RecurrentLSTM, RecurrenceInputs{XP: node("x2", 6, 20), WHH: w, H0: h0, C0: c0}, []string{"XP (6, 20)"}},
		{"h0 shape", RecurrentLSTM, RecurrenceInputs{XP: xp, WHH: w, H0: node("h1", 3, 5), C0: c0}, []string{"H0 is float64 (3, 5)", "want float64 (2, 5)"}},
		{"h0 dtype", RecurrentLSTM, RecurrenceInputs{XP: xp, WHH: w, H0: h32, C0: c0}, []string{"H0 is float32"}},
		{"bias", RecurrentLSTM, RecurrenceInputs{XP: xp, WHH: w, BHH: node("b", 5), H0: h0, C0: c0}, []string{"BHH is float64 (5)", "want float64 (20)"}},
		{"mask", RecurrentLSTM, RecurrenceInputs{XP: xp, WHH: w, H0: h0, C0: c0, Mask: node("mk", 3, 2)}, []string{"Mask", "want float64 (2, 3)"}},
		{"time-major", RecurrentLSTM, RecurrenceInputs{XP: xp, WHH: w, H0: h0, C0: c0, TimeMajor: true}, []string{"H0 is float64 (2, 5)", "want float64 (3, 5)"}},
		{"no C0", RecurrentLSTM, RecurrenceInputs{XP: xp, WHH: w, H0: h0}, []string{"C0 is nil", "LSTM needs C0"}},
		{"C0 for GRU", RecurrentGRU, RecurrenceInputs{XP: node("x3", 2, 3, 15), WHH: node("w3", 5, 15), H0: h0, C0: c0}, []string{"C0 is float64 (2, 5)"}},
		{"XP and Table", RecurrentLSTM, RecurrenceInputs{XP: xp, Table: node("t", 4, 20), Ids: ids, WHH: w, H0: h0, C0: c0}, []string{"want XP or else Table and Ids"}},
		{"Table without Ids", RecurrentLSTM, RecurrenceInputs{Table: node("t2", 4, 20), WHH: w, H0: h0, C0: c0}, []string{"Ids nil"}},
		{"Table width", RecurrentLSTM, RecurrenceInputs{Table: node("t3", 4, 15), Ids: ids, WHH: w, H0: h0, C0: c0}, []string{"Table (4, 15)", "Ids int (2, 3)"}},
		{"float Ids", RecurrentLSTM, RecurrenceInputs{Table: node("t4", 4, 20), Ids: node("fid", 2, 3), WHH: w, H0: h0, C0: c0}, []string{"Ids float64 (2, 3)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Recurrence(tc.cell, tc.in)
			wantErr(t, err, tc.want...)
		})
	}
}

// TestRecurrenceOpsDoErrors checks that the ops run on wrong values return
// errors.
func TestRecurrenceOpsDoErrors(t *testing.T) {
	d := recDims{cell: RecurrentGRU, batch: 2, steps: 3, hidden: 4}
	dt := d
	dt.vocab = 3
	l := d.layout()
	val := func(shape ...int) *tensor.Dense {
		return tensor.New(tensor.Of(graph.Float64), tensor.WithShape(shape...))
	}
	xp, w, h0 := val(2, 3, 12), val(4, 12), val(2, 4)
	p, s := val(l.pSize), val(l.sSize)
	tests := []struct {
		name   string
		op     kernel
		inputs []gorgonia.Value
		want   string
	}{
		{"arity", recForwardOp{d: d}, []gorgonia.Value{xp, w}, "want 3"},
		{"xp shape", recForwardOp{d: d}, []gorgonia.Value{val(3, 2, 12), w, h0}, "XP is float64 (3, 2, 12)"},
		{"w dtype", recForwardOp{d: d}, []gorgonia.Value{xp, tensor.New(tensor.Of(graph.Float32), tensor.WithShape(4, 12)), h0}, "W_hh is float32"},
		{"buffer size", recOutputOp{d: d}, []gorgonia.Value{xp, w, h0, val(l.pSize + 1)}, "forward buffer"},
		{"grad size", recGradOp{d: d}, []gorgonia.Value{w, p, val(l.sSize - 1)}, "output gradient"},
		{"grad weight", recGradOp{d: d}, []gorgonia.Value{val(12, 4), p, s}, "W_hh is (12, 4)"},
		{"id out of range", recForwardOp{d: dt}, []gorgonia.Value{val(3, 12), tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]int{0, 1, 2, 3, 0, 1})), w, h0},
			"Ids[1, 0] = 3 is outside [0, 3)"},
		{"float ids", recForwardOp{d: dt}, []gorgonia.Value{val(3, 12), val(2, 3), w, h0}, "Ids are float64 (2, 3)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := asOp(tc.op).Do(tc.inputs...)
			wantErr(t, err, tc.op.String(), tc.want)
		})
	}
}

// TestRecurrencePrealloc checks that the three ops overwrite every element
// of a reused buffer (filled with NaN here): the tape machine keeps buffers
// from one run to the next.
func TestRecurrencePrealloc(t *testing.T) {
	for _, cell := range []RecurrentCell{RecurrentLSTM, RecurrentGRU, RecurrentTanh} {
		for i, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
			d := recDims{cell: cell, batch: 2, steps: 3, hidden: 4, bias: true, mask: true, reverse: true}
			if i == 1 {
				d.vocab = 3
			}
			rng := rand.New(rand.NewPCG(7, uint64(cell)))
			val := func(shape ...int) *tensor.Dense {
				v := make([]float64, tensor.Shape(shape).TotalSize())
				for i := range v {
					v[i] = rng.NormFloat64()
				}
				return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(castSlice(dt, v)))
			}
			n := d.width()
			ins := []gorgonia.Value{val(2, 3, n), val(4, n), val(n), val(2, 4)}
			ids := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(recIDs(2, 3, 3)))
			if d.vocab > 0 {
				ins = []gorgonia.Value{val(3, n), ids, val(4, n), val(n), val(2, 4)}
			}
			if cell == RecurrentLSTM {
				ins = append(ins, val(2, 4))
			}
			mask := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(castSlice(dt, recMask(2, 3))))
			ins = append(ins, mask)
			l := d.layout()
			run := func(k kernel, size int, values ...gorgonia.Value) *tensor.Dense {
				op := asOp(k)
				want, err := op.Do(values...)
				if err != nil {
					t.Fatal(err)
				}
				buf := tensor.New(tensor.Of(dt), tensor.WithShape(size))
				if err := buf.Memset(castTo(dt, math.NaN())); err != nil {
					t.Fatal(err)
				}
				got, err := op.UsePreallocDo(buf, values...)
				if err != nil {
					t.Fatal(err)
				}
				if got != gorgonia.Value(buf) {
					t.Fatalf("%v: result not written into the preallocated buffer", op)
				}
				if i := firstMismatch(floats(t, buf), floats(t, want.(*tensor.Dense)), 0); i >= 0 {
					t.Fatalf("%v: element %d: %v, Do gave %v", op, i, floats(t, buf)[i], floats(t, want.(*tensor.Dense))[i])
				}
				return buf
			}
			p := run(recForwardOp{d: d}, l.pSize, ins...)
			run(recOutputOp{d: d}, l.sSize, append(ins, p)...)
			if d.vocab > 0 {
				run(recGradOp{d: d}, l.dSize, ins[2], ids, mask, p, val(l.sSize))
			} else {
				run(recGradOp{d: d}, l.dSize, ins[1], mask, p, val(l.sSize))
			}
		}
	}
}

// TestRecurrenceHashes checks that recurrences differing in any parameter
// hash differently.
func TestRecurrenceHashes(t *testing.T) {
	base := recDims{cell: RecurrentLSTM, batch: 2, steps: 3, hidden: 4}
	variants := []recDims{base}
	for _, f := range []func(*recDims){
		func(d *recDims) { d.cell = RecurrentGRU },
		func(d *recDims) { d.batch = 3 },
		func(d *recDims) { d.steps = 3 + 256 },
		func(d *recDims) { d.hidden = 4 + 1<<32 },
		func(d *recDims) { d.bias = true },
		func(d *recDims) { d.mask = true },
		func(d *recDims) { d.reverse = true },
		func(d *recDims) { d.timeMajor = true },
		func(d *recDims) { d.vocab = 256 },
	} {
		d := base
		f(&d)
		variants = append(variants, d)
	}
	seen := map[uint32]string{}
	for _, d := range variants {
		for _, op := range []kernel{recForwardOp{d: d}, recOutputOp{d: d}, recGradOp{d: d}} {
			h := asOp(op).Hashcode()
			if prev, ok := seen[h]; ok {
				t.Fatalf("%v and %s hash alike", op, prev)
			}
			seen[h] = op.String()
		}
	}
}

// ExampleRecurrence runs an LSTM over T = 3 steps of a batch of 1 with
// hidden size 2 and prints the shapes of its outputs.
func ExampleRecurrence() {
	m := graph.NewModel(graph.Float64, 1)
	xp, _ := m.NewParam("xp", tensor.Shape{1, 3, 8}, graph.Normal(1))  // [B,T,4·H]
	whh, _ := m.NewParam("whh", tensor.Shape{2, 8}, graph.Normal(0.5)) // [H,4·H]
	h0 := m.Const("h0", tensor.New(tensor.Of(graph.Float64), tensor.WithShape(1, 2)))
	out, err := Recurrence(RecurrentLSTM, RecurrenceInputs{XP: xp.Node(), WHH: whh.Node(), H0: h0, C0: h0})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.Y.Shape(), out.H.Shape(), out.C.Shape())
	// Output: (1, 3, 2) (1, 2) (1, 2)
}

// BenchmarkRecurrenceLSTM runs the forward and backward passes of the fused
// LSTM of models/rnn's BenchmarkLSTMStep (B32, T64, H256, float32) alone.
func BenchmarkRecurrenceLSTM(b *testing.B) {
	const batch, steps, hidden = 32, 64, 256
	m := graph.NewModel(graph.Float32, 1)
	xp, err := m.NewParam("xp", tensor.Shape{batch, steps, 4 * hidden}, graph.Normal(1))
	if err != nil {
		b.Fatal(err)
	}
	whh, err := m.NewParam("whh", tensor.Shape{hidden, 4 * hidden}, graph.Normal(0.06))
	if err != nil {
		b.Fatal(err)
	}
	zero := m.Const("zero", tensor.New(tensor.Of(graph.Float32), tensor.WithShape(batch, hidden)))
	out, err := Recurrence(RecurrentLSTM, RecurrenceInputs{XP: xp.Node(), WHH: whh.Node(), H0: zero, C0: zero})
	if err != nil {
		b.Fatal(err)
	}
	loss := gorgonia.Must(gorgonia.Sum(out.Y))
	prog, err := m.Compile(loss)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := prog.Forward(nil); err != nil {
			b.Fatal(err)
		}
		prog.ZeroGrad()
	}
}
