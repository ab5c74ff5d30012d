package ops

// Every op with a UsePreallocDo must write every element of the buffer it is
// given: the tape machine keeps its register buffers from one run to the next
// (registers.go), so from a program's second run on an op computes into a
// buffer that holds old values, often another op's result in another shape
// (reuseOutput reshapes it). An op that leaves part of it as it is, or adds
// into it, computes garbage from the second training step on. The tests below
// run every such op, forward and gradient, into buffers filled with NaN and
// with huge values, in the result's shape and in others of the same size, and
// require the bits Do computes into a fresh zeroed tensor.

import (
	"fmt"
	"github.com/gorgonet/gorgonet/graph"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// reuseCase is an op and the values it is run on, as the tape machine runs it.
type reuseCase struct {
	name   string
	op     kernel
	inputs []gorgonia.Value
	before func() // restores the op's state (dropout's RNG) before each run, or nil
}

// reuseValues makes the inputs of the cases of one dtype.
type reuseValues struct {
	t   *testing.T
	dt  tensor.Dtype
	rng *rand.Rand
}

// val returns a tensor of the given shape with N(0, 1) elements.
func (r reuseValues) val(shape ...int) *tensor.Dense {
	v := make([]float64, tensor.Shape(shape).TotalSize())
	for i := range v {
		v[i] = r.rng.NormFloat64()
	}
	return r.of(shape, v)
}

// of returns a tensor of the given shape holding v in r's dtype.
func (r reuseValues) of(shape tensor.Shape, v []float64) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(castSlice(r.dt, v)))
}

// do returns op's result on inputs, computed with Do.
func (r reuseValues) do(op kernel, inputs ...gorgonia.Value) *tensor.Dense {
	r.t.Helper()
	v, err := asOp(op).Do(inputs...)
	if err != nil {
		r.t.Fatal(err)
	}
	return v.(*tensor.Dense)
}

// reuseCases returns every op with a UsePreallocDo on values of dtype dt.
func reuseCases(t *testing.T, dt tensor.Dtype) []reuseCase {
	r := reuseValues{t: t, dt: dt, rng: rand.New(rand.NewPCG(11, 12))}
	var cs []reuseCase
	for _, add := range []func(reuseValues) []reuseCase{
		affineReuseCases, bmmReuseCases, concatReuseCases, crossEntropyReuseCases, dropoutReuseCases,
		geluReuseCases, layerNormReuseCases, narrowReuseCases, softmaxReuseCases, recurrenceReuseCases,
		maskedSoftmaxReuseCases, cachedAttentionReuseCases, flashAttentionReuseCases,
	} {
		cs = append(cs, add(r)...)
	}
	return cs
}

// affineReuseCases: Affine with and without bias and its three gradients,
// x of rank 2, 3 and 4, and one product large enough to be split between
// goroutines (gemmRows, gemmRowsBias, gonum's Dgemm).
func affineReuseCases(r reuseValues) []reuseCase {
	var cs []reuseCase
	for _, xs := range []tensor.Shape{{3, 4}, {2, 3, 4}, {2, 2, 3, 4}, {64, 128}} {
		in, out := xs[len(xs)-1], 5
		if xs.TotalSize() > 1000 {
			out = 48
		}
		x, w, b, g := r.val(xs...), r.val(in, out), r.val(out), r.val(withLast(xs, out)...)
		dims := len(xs)
		cs = append(cs,
			reuseCase{name: fmt.Sprintf("Affine%v", xs), op: affineOp{dims: dims}, inputs: []gorgonia.Value{x, w}},
			reuseCase{name: fmt.Sprintf("AffineBias%v", xs), op: affineOp{bias: true, dims: dims}, inputs: []gorgonia.Value{x, w, b}},
			reuseCase{name: fmt.Sprintf("AffineGradInput%v", xs), op: affineGradInputOp{dims: dims}, inputs: []gorgonia.Value{g, w}},
			reuseCase{name: fmt.Sprintf("AffineGradWeight%v", xs), op: affineGradWeightOp{dims: dims}, inputs: []gorgonia.Value{x, g}},
			reuseCase{name: fmt.Sprintf("SumRows%v", xs), op: sumRowsOp{dims: dims}, inputs: []gorgonia.Value{g}},
		)
	}
	return cs
}

// bmmOperand returns the shape of a BatchedMatMul operand holding b·h
// matrices of rows×cols (stored transposed when trans) in the given layout.
func bmmOperand(rank, b, h, rows, cols int, trans, interleaved bool) tensor.Shape {
	if trans {
		rows, cols = cols, rows
	}
	switch {
	case rank == 3:
		return tensor.Shape{b, rows, cols}
	case interleaved:
		return tensor.Shape{b, rows, h, cols}
	}
	return tensor.Shape{b, h, rows, cols}
}

// bmmReuseCases: BatchedMatMul (whose gradients are BatchedMatMuls) with
// every transpose at rank 3, every transpose and interleaving at rank 4, and
// one batch large enough to be split between goroutines.
func bmmReuseCases(r reuseValues) []reuseCase {
	type dims struct{ rank, b, h, m, k, n int }
	var cs []reuseCase
	add := func(d dims, l BMMLayout) {
		as := bmmOperand(d.rank, d.b, d.h, d.m, d.k, l.TransA, l.AInterleaved)
		bs := bmmOperand(d.rank, d.b, d.h, d.k, d.n, l.TransB, l.BInterleaved)
		cs = append(cs, reuseCase{name: fmt.Sprintf("BMM%+v%v%v", l, as, bs), op: bmmOp{l: l, dims: d.rank},
			inputs: []gorgonia.Value{r.val(as...), r.val(bs...)}})
	}
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			add(dims{3, 2, 1, 3, 4, 5}, BMMLayout{TransA: ta, TransB: tb})
			for il := 0; il < 8; il++ {
				add(dims{4, 2, 3, 3, 4, 5}, BMMLayout{TransA: ta, TransB: tb, AInterleaved: il&1 != 0, BInterleaved: il&2 != 0, OutInterleaved: il&4 != 0})
			}
		}
	}
	add(dims{4, 2, 4, 32, 32, 32}, BMMLayout{TransB: true, OutInterleaved: true})
	return cs
}

// concatReuseCases: Concat along every axis of rank-3 inputs, and of rank 1.
func concatReuseCases(r reuseValues) []reuseCase {
	var cs []reuseCase
	for axis := 0; axis < 3; axis++ {
		sizes := []int{1, 3, 2}
		in := make([]gorgonia.Value, len(sizes))
		for i, n := range sizes {
			s := tensor.Shape{2, 3, 4}
			s[axis] = n
			in[i] = r.val(s...)
		}
		cs = append(cs, reuseCase{name: fmt.Sprintf("Concat{axis=%d}", axis), op: concatOp{axis: axis, sizes: sizes}, inputs: in})
	}
	cs = append(cs, reuseCase{name: "Concat1D", op: concatOp{axis: 0, sizes: []int{3, 4}}, inputs: []gorgonia.Value{r.val(3), r.val(4)}})
	return cs
}

// crossEntropyReuseCases: the gradient of CrossEntropy (the loss itself is a
// scalar without UsePreallocDo) with ignored targets, all targets ignored,
// none, and logits of rank 3.
func crossEntropyReuseCases(r reuseValues) []reuseCase {
	g := scalarOf(r.dt, 0.7)
	tests := []struct {
		name    string
		shape   tensor.Shape
		ignore  int
		targets []int
	}{
		{"some ignored", tensor.Shape{4, 5}, 1, []int{2, 1, 0, 1}},
		{"ignore -100", tensor.Shape{2, 3, 6}, -100, []int{0, -100, 5, 3, -100, 2}},
		{"all ignored", tensor.Shape{3, 4}, -100, []int{-100, -100, -100}},
		{"none ignored", tensor.Shape{3, 37}, -1, []int{0, 36, 17}},
	}
	var cs []reuseCase
	for _, tc := range tests {
		op := crossEntropyDiffOp{fwd: crossEntropyOp{ignore: tc.ignore, rank: len(tc.shape)}}
		ts := intTensor(tc.shape[:len(tc.shape)-1], tc.targets...)
		cs = append(cs, reuseCase{name: "CrossEntropyGrad/" + tc.name, op: op, inputs: []gorgonia.Value{r.val(tc.shape...), ts, g}})
	}
	return cs
}

// dropoutReuseCases: Dropout, its RNG reset before every run so that each run
// draws the same mask, and its gradient, which applies the mask of a forward
// run made once here (by an op of its own, which nothing runs again).
func dropoutReuseCases(r reuseValues) []reuseCase {
	var cs []reuseCase
	for i, s := range []tensor.Shape{{3, 5}, {2, 3, 4}} {
		drop := &dropoutOp{id: uint64(i + 1), p: 0.3}
		seed := uint64(i)
		reset := func() { drop.rng = rand.New(rand.NewPCG(3, seed)) }
		cs = append(cs, reuseCase{name: fmt.Sprintf("Dropout%v", s), op: drop, inputs: []gorgonia.Value{r.val(s...)}, before: reset})

		fwd := &dropoutOp{id: uint64(i + 10), p: 0.4, rng: rand.New(rand.NewPCG(5, seed))}
		y := r.do(fwd, r.val(s...))
		if !slices.Contains(fwd.keep, false) {
			r.t.Fatalf("Dropout%v: the mask keeps every element", s)
		}
		cs = append(cs, reuseCase{name: fmt.Sprintf("DropoutGrad%v", s), op: dropoutDiffOp{fwd: fwd}, inputs: []gorgonia.Value{y, r.val(s...)}})
	}
	return cs
}

// geluReuseCases: GELU and GELUTanh and their gradients, with one tensor
// large enough for the float32 kernel to be split between goroutines.
func geluReuseCases(r reuseValues) []reuseCase {
	var cs []reuseCase
	for _, s := range []tensor.Shape{{7}, {3, 5}, {2, 3, 4}, {64, 512}} {
		for _, tanh := range []bool{false, true} {
			x, g := r.val(s...), r.val(s...)
			cs = append(cs,
				reuseCase{name: fmt.Sprintf("%v%v", geluOp{tanh: tanh}, s), op: geluOp{tanh: tanh}, inputs: []gorgonia.Value{x}},
				reuseCase{name: fmt.Sprintf("%v%v", geluDiffOp{tanh: tanh}, s), op: geluDiffOp{tanh: tanh}, inputs: []gorgonia.Value{x, g}},
			)
		}
	}
	return cs
}

// layerNormReuseCases: LayerNorm with and without bias and its gradients wrt
// x and the gain, x of rank 1 to 4, with several blocks of rows for the
// float32 gain gradient (lnGainBlock) and rows split between goroutines.
func layerNormReuseCases(r reuseValues) []reuseCase {
	var cs []reuseCase
	for _, s := range []tensor.Shape{{6}, {3, 6}, {2, 3, 7}, {2, 2, 3, 8}, {130, 256}} {
		d := s[len(s)-1]
		x, w, b, g := r.val(s...), r.val(d), r.val(d), r.val(s...)
		for _, bias := range []bool{false, true} {
			fwd := layerNormOp{eps: 1e-5, bias: bias, dims: len(s)}
			in := []gorgonia.Value{x, w}
			if bias {
				in = append(in, b)
			}
			cs = append(cs, reuseCase{name: fmt.Sprintf("%v%v", fwd, s), op: fwd, inputs: in})
			for _, wrt := range []lnWrt{lnWrtInput, lnWrtGain} {
				op := layerNormGradOp{fwd: fwd, wrt: wrt}
				cs = append(cs, reuseCase{name: fmt.Sprintf("%v%v", op, s), op: op, inputs: []gorgonia.Value{x, w, g}})
			}
		}
	}
	return cs
}

// narrowReuseCases: Narrow and its gradient (a scatter into zeros) along
// every axis, at offset 0 and beyond 256 on a wide axis.
func narrowReuseCases(r reuseValues) []reuseCase {
	tests := []struct {
		shape tensor.Shape
		op    narrowOp
	}{
		{tensor.Shape{2, 300, 3}, narrowOp{axis: 1, start: 0, length: 5}},
		{tensor.Shape{2, 300, 3}, narrowOp{axis: 1, start: 257, length: 40}},
		{tensor.Shape{2, 300, 3}, narrowOp{axis: 1, start: 0, length: 300}},
		{tensor.Shape{2, 300, 3}, narrowOp{axis: 0, start: 1, length: 1}},
		{tensor.Shape{2, 300, 3}, narrowOp{axis: 2, start: 1, length: 2}},
		{tensor.Shape{3, 600}, narrowOp{axis: 1, start: 300, length: 280}},
		{tensor.Shape{7}, narrowOp{axis: 0, start: 2, length: 3}},
	}
	var cs []reuseCase
	for _, tc := range tests {
		out, err := tc.op.narrowed(tc.shape)
		if err != nil {
			r.t.Fatal(err)
		}
		cs = append(cs,
			reuseCase{name: fmt.Sprintf("%v%v", tc.op, tc.shape), op: tc.op, inputs: []gorgonia.Value{r.val(tc.shape...)}},
			reuseCase{name: fmt.Sprintf("NarrowGrad%v%v", tc.op, tc.shape), op: narrowDiffOp{fwd: tc.op, in: tc.shape}, inputs: []gorgonia.Value{r.val(out...)}},
		)
	}
	return cs
}

// softmaxReuseCases: Softmax and LogSoftmax and their gradients (computed
// from the forward output, as SymDiff wires them), rows of 1 to 37 elements.
func softmaxReuseCases(r reuseValues) []reuseCase {
	var cs []reuseCase
	for _, s := range []tensor.Shape{{7}, {3, 5}, {2, 3, 4}, {2, 2, 2, 4}, {3, 37}, {4, 1}} {
		for _, log := range []bool{false, true} {
			x := r.val(s...)
			y := r.do(softmaxOp{log: log}, x)
			cs = append(cs,
				reuseCase{name: fmt.Sprintf("%v%v", softmaxOp{log: log}, s), op: softmaxOp{log: log}, inputs: []gorgonia.Value{x}},
				reuseCase{name: fmt.Sprintf("%v%v", softmaxDiffOp{log: log}, s), op: softmaxDiffOp{log: log}, inputs: []gorgonia.Value{y, r.val(s...)}},
			)
		}
	}
	return cs
}

// maskedSoftmaxReuseCases: MaskedSoftmax causal, padded (with a fully
// padded sequence) and both, its gradient (from the forward output, as
// symDiff wires it), and PaddingMask.
func maskedSoftmaxReuseCases(r reuseValues) []reuseCase {
	const b, h, n = 2, 3, 5
	keep := make([]float64, b*n)
	ids := make([]int, b*n)
	for i := range keep {
		if i < n-2 { // sequence 0: three real tokens; sequence 1: all padding
			keep[i], ids[i] = 1, 1+i
		}
	}
	mask := r.of(tensor.Shape{b, n}, keep)
	cs := []reuseCase{{name: "PaddingMask", op: paddingMaskOp{pad: 0, dt: r.dt}, inputs: []gorgonia.Value{intTensor(tensor.Shape{b, n}, ids...)}}}
	for _, op := range []maskedSoftmaxOp{{scale: 0.5, causal: true}, {scale: 0.5, causal: true, padded: true}, {scale: 1, padded: true}} {
		x := r.val(b, h, n, n)
		in := []gorgonia.Value{x}
		if op.padded {
			in = append(in, mask)
		}
		y := r.do(op, in...)
		grad := maskedSoftmaxGradOp{scale: op.scale}
		cs = append(cs,
			reuseCase{name: op.String(), op: op, inputs: in},
			reuseCase{name: grad.String() + op.String(), op: grad, inputs: []gorgonia.Value{y, r.val(b, h, n, n)}})
	}
	return cs
}

// cachedAttentionReuseCases: CachedAttention over an empty, a partly filled
// and a full cache, with one and with two heads.
func cachedAttentionReuseCases(r reuseValues) []reuseCase {
	const b, ctx, dim = 2, 4, 6
	var cs []reuseCase
	for _, heads := range []int{1, 2} {
		for _, length := range []int{0, 2, ctx} {
			in := []gorgonia.Value{r.val(b, 1, dim), r.val(b, 1, dim), r.val(b, 1, dim), r.val(b, ctx, dim), r.val(b, ctx, dim),
				intTensor(tensor.Shape{1}, length)}
			cs = append(cs, reuseCase{name: fmt.Sprintf("CachedAttention{heads=%d}/len%d", heads, length),
				op: &cachedAttentionOp{heads: heads}, inputs: in})
		}
	}
	return cs
}

// flashAttentionReuseCases: FlashAttention causal, padded and across
// attention with more keys than queries, and its gradient, with a context
// longer than one block.
func flashAttentionReuseCases(r reuseValues) []reuseCase {
	const b, h, d, tk = 2, 2, 3, 70
	keep := make([]float64, b*tk)
	for i := range keep {
		if i < tk+20 { // sequence 0 sees every key, sequence 1 the first 20
			keep[i] = 1
		}
	}
	var cs []reuseCase
	for _, c := range []struct {
		op *flashAttentionOp
		tq int
	}{{&flashAttentionOp{scale: 0.5, causal: true}, tk}, {&flashAttentionOp{scale: 0.5, causal: true, padded: true}, tk}, {&flashAttentionOp{scale: 1, padded: true}, 5}} {
		in := []gorgonia.Value{r.val(b, c.tq, h, d), r.val(b, tk, h, d), r.val(b, tk, h, d)}
		if c.op.padded {
			in = append(in, r.of(tensor.Shape{b, tk}, keep))
		}
		o := r.do(c.op, in...)
		grad := flashAttentionGradOp{fwd: c.op}
		cs = append(cs,
			reuseCase{name: c.op.String(), op: c.op, inputs: in},
			reuseCase{name: grad.String(), op: grad, inputs: append(slices.Clone(in), o, r.val(b, c.tq, h, d))})
	}
	return cs
}

// recurrenceReuseCases: the three ops of Recurrence (forward buffer, outputs,
// backward pass) for every cell with and without each option, and batches
// large enough for the rows to be split between goroutines.
func recurrenceReuseCases(r reuseValues) []reuseCase {
	configs := []recDims{
		{cell: RecurrentTanh, batch: 3, steps: 4, hidden: 5},
		{cell: RecurrentTanh, batch: 2, steps: 1, hidden: 3, vocab: 3},
		{cell: RecurrentReLU, batch: 2, steps: 3, hidden: 4, bias: true, mask: true, timeMajor: true},
		{cell: RecurrentLSTM, batch: 3, steps: 4, hidden: 5, mask: true, reverse: true},
		{cell: RecurrentLSTM, batch: 2, steps: 3, hidden: 4, vocab: 5, bias: true, timeMajor: true},
		{cell: RecurrentGRU, batch: 3, steps: 4, hidden: 5, bias: true, mask: true},
		{cell: RecurrentGRU, batch: 2, steps: 3, hidden: 4, vocab: 4, bias: true, mask: true, reverse: true},
		{cell: RecurrentLSTM, batch: 5, steps: 8, hidden: 60, bias: true, mask: true},
		{cell: RecurrentGRU, batch: 5, steps: 8, hidden: 60, bias: true, reverse: true, timeMajor: true},
	}
	var cs []reuseCase
	for _, d := range configs {
		n := d.width()
		var in []gorgonia.Value
		var ids *tensor.Dense
		if d.vocab > 0 {
			v := make([]int, d.batch*d.steps)
			for i := range v {
				v[i] = (i*5 + 2) % d.vocab
			}
			ids = intTensor(tensor.Shape{d.batch, d.steps}, v...)
			in = append(in, r.val(d.vocab, n), ids)
		} else {
			in = append(in, r.val(d.seqShape(n)...))
		}
		w := r.val(d.hidden, n)
		in = append(in, w)
		if d.bias {
			in = append(in, r.val(n))
		}
		in = append(in, r.val(d.batch, d.hidden))
		if d.cell == RecurrentLSTM {
			in = append(in, r.val(d.batch, d.hidden))
		}
		var mask *tensor.Dense
		if d.mask {
			m := make([]float64, d.batch*d.steps)
			for i := range m {
				if i%3 != 1 {
					m[i] = 1
				}
			}
			mask = r.of(tensor.Shape{d.batch, d.steps}, m)
			in = append(in, mask)
		}
		p := r.do(recForwardOp{d: d}, in...)
		grad := []gorgonia.Value{w}
		if ids != nil {
			grad = append(grad, ids)
		}
		if mask != nil {
			grad = append(grad, mask)
		}
		grad = append(grad, p, r.val(d.layout().sSize))
		cs = append(cs,
			reuseCase{name: recForwardOp{d: d}.String(), op: recForwardOp{d: d}, inputs: in},
			reuseCase{name: recOutputOp{d: d}.String(), op: recOutputOp{d: d}, inputs: append(slices.Clip(in), p)},
			reuseCase{name: recGradOp{d: d}.String(), op: recGradOp{d: d}, inputs: grad},
		)
	}
	return cs
}

// bitsOf returns the bit patterns of the elements of a float or int value.
func bitsOf(t *testing.T, v gorgonia.Value) []uint64 {
	t.Helper()
	switch d := v.Data().(type) {
	case []float64:
		out := make([]uint64, len(d))
		for i, f := range d {
			out[i] = math.Float64bits(f)
		}
		return out
	case []float32:
		out := make([]uint64, len(d))
		for i, f := range d {
			out[i] = uint64(math.Float32bits(f))
		}
		return out
	case []int:
		out := make([]uint64, len(d))
		for i, n := range d {
			out[i] = uint64(n)
		}
		return out
	case float64:
		return []uint64{math.Float64bits(d)}
	case float32:
		return []uint64{uint64(math.Float32bits(d))}
	}
	t.Fatalf("bitsOf: unexpected %T", v.Data())
	return nil
}

// sameBits fails unless got holds exactly the bits of want.
func sameBits(t *testing.T, what string, got, want gorgonia.Value) {
	t.Helper()
	g, w := bitsOf(t, got), bitsOf(t, want)
	if len(g) != len(w) {
		t.Fatalf("%s: %d elements, want %d", what, len(g), len(w))
	}
	for i := range g {
		if g[i] != w[i] {
			t.Fatalf("%s: element %d of %d is %v, want %v (bits %#x, want %#x)",
				what, i, len(g), floats(t, got.(tensor.Tensor))[i], floats(t, want.(tensor.Tensor))[i], g[i], w[i])
		}
	}
}

// reuseFills are the old contents of a reused buffer: NaN, which every
// arithmetic use of it propagates, and huge values of both signs, which
// survive the comparisons of a max or min and overflow a sum.
var reuseFills = []struct {
	name string
	at   func(i int) float64
}{
	{"NaN", func(int) float64 { return math.NaN() }},
	{"±1e30", func(i int) float64 { return float64(1-2*(i%2)) * 1e30 }},
}

// filledBuffer returns a tensor of dtype dt and shape s holding fill.
func filledBuffer(dt tensor.Dtype, s tensor.Shape, fill func(int) float64) *tensor.Dense {
	buf := tensor.New(tensor.Of(dt), tensor.WithShape(s...))
	if dt == graph.Float32 {
		for i := range buf.Float32s() {
			buf.Float32s()[i] = float32(fill(i))
		}
	} else {
		for i := range buf.Float64s() {
			buf.Float64s()[i] = fill(i)
		}
	}
	return buf
}

// reuseShapes returns s and other shapes of its size that a register may
// hold: flattened (or [1,N] for s of rank 1) and s's dimensions reversed.
func reuseShapes(s tensor.Shape) []tensor.Shape {
	n := s.TotalSize()
	out := []tensor.Shape{s.Clone()}
	if len(s) == 1 {
		return append(out, tensor.Shape{1, n})
	}
	out = append(out, tensor.Shape{n})
	rev := s.Clone()
	slices.Reverse(rev)
	if !rev.Eq(s) {
		out = append(out, rev)
	}
	return out
}

// badBuffers returns values that cannot hold a result of dtype dt and shape
// s: the other dtype, one element more or fewer, a scalar, and a transposed
// view (not contiguous in the result's order).
func badBuffers(dt tensor.Dtype, s tensor.Shape) map[string]gorgonia.Value {
	other := graph.Float32
	if dt == graph.Float32 {
		other = graph.Float64
	}
	n := s.TotalSize()
	bad := map[string]gorgonia.Value{
		"other dtype":  tensor.New(tensor.Of(other), tensor.WithShape(s...)),
		"one more":     tensor.New(tensor.Of(dt), tensor.WithShape(n+1)),
		"scalar":       scalarOf(dt, 1),
		"integer type": tensor.New(tensor.Of(tensor.Int), tensor.WithShape(s...)),
	}
	if n > 1 {
		bad["one fewer"] = tensor.New(tensor.Of(dt), tensor.WithShape(n-1))
	}
	if rows, cols := n/s[len(s)-1], s[len(s)-1]; rows > 1 && cols > 1 {
		v := tensor.New(tensor.Of(dt), tensor.WithShape(cols, rows))
		if err := v.T(); err == nil {
			bad["transposed view"] = v
		}
	}
	return bad
}

// TestOpsOverwriteReusedBuffers checks that every op with a UsePreallocDo,
// run on a reused buffer of the right size (in the result's shape or
// another) that holds old values, computes exactly what Do computes into a
// new one, returns that buffer in the result's shape, and leaves its inputs
// as they were; and that it refuses, with an error naming it and no panic,
// buffers that cannot hold its result.
func TestOpsOverwriteReusedBuffers(t *testing.T) {
	for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
		for _, tc := range reuseCases(t, dt) {
			t.Run(fmt.Sprintf("%v/%s", dt, tc.name), func(t *testing.T) {
				checkReuse(t, tc)
			})
		}
	}
}

func checkReuse(t *testing.T, tc reuseCase) {
	op := asOp(tc.op)
	run := func(prealloc gorgonia.Value) (v gorgonia.Value, err error) {
		defer func() {
			if p := recover(); p != nil {
				v, err = nil, fmt.Errorf("panic: %v", p)
				t.Errorf("%v panicked: %v", tc.op, p)
			}
		}()
		if tc.before != nil {
			tc.before()
		}
		if prealloc == nil {
			return op.Do(tc.inputs...)
		}
		return op.UsePreallocDo(prealloc, tc.inputs...)
	}
	inputs := make([][]uint64, len(tc.inputs))
	for i, v := range tc.inputs {
		inputs[i] = bitsOf(t, v)
	}
	v, err := run(nil)
	if err != nil {
		t.Fatal(err)
	}
	want, ok := v.(*tensor.Dense)
	if !ok {
		t.Fatalf("Do returned a %T, want a tensor", v)
	}
	again, err := run(nil)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, "Do run twice", again, want)
	dt := want.Dtype()
	for _, s := range reuseShapes(want.Shape()) {
		for _, fill := range reuseFills {
			buf := filledBuffer(dt, s, fill.at)
			what := fmt.Sprintf("buffer %v of %s", s, fill.name)
			got, err := run(buf)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if got != gorgonia.Value(buf) {
				t.Fatalf("%s: result not written into the buffer", what)
			}
			if !slices.Equal(buf.Shape(), want.Shape()) { // not Shape.Eq, which equates (1,N) and (N)
				t.Fatalf("%s: result of shape %v, Do gave %v", what, buf.Shape(), want.Shape())
			}
			sameBits(t, what, buf, want)
		}
	}
	for name, b := range badBuffers(dt, want.Shape()) {
		got, err := run(b)
		if err == nil || got != nil {
			t.Errorf("%s buffer accepted (result %T, error %v)", name, got, err)
		} else if !strings.Contains(err.Error(), tc.op.String()) {
			t.Errorf("%s buffer: error %q does not name the op %v", name, err, tc.op)
		}
	}
	for i, v := range tc.inputs {
		if !slices.Equal(bitsOf(t, v), inputs[i]) {
			t.Errorf("input %d changed", i)
		}
	}
}

// TestReuseCasesCoverEveryOp checks that TestOpsOverwriteReusedBuffers runs
// every kernel of the package (every type with a compute method), so that a
// new op cannot escape it. CrossEntropy's forward is the one exception: its
// result is a new scalar, not a tensor written into a buffer.
func TestReuseCasesCoverEveryOp(t *testing.T) {
	want := kernelTypes(t)
	delete(want, "crossEntropyOp")
	covered := map[string]bool{}
	for _, tc := range reuseCases(t, graph.Float64) {
		covered[kernelName(tc.op)] = true
	}
	for typ, file := range want {
		if !covered[typ] {
			t.Errorf("%s (%s) has no case in reuseCases", typ, file)
		}
	}
}
