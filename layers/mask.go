package layers

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/internal/vec32"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Mask says which keys each query of an attention may look at. The zero value
// masks nothing. Both masks may be combined: a key is visible when every mask
// in use allows it.
//
// Masked keys get exactly zero attention weight (the softmax runs over the
// visible keys only, it is not pushed towards zero by a large negative bias),
// and a query that sees no key at all (a fully masked row, e.g. a padded
// query whose keys are all padding) gets an all-zero row of weights, hence a
// zero output and a zero gradient, never NaN.
type Mask struct {
	// Causal lets query i see only keys j ≤ i, the autoregressive mask of the
	// Transformer decoder (Vaswani et al. 2017, §3.2.3). It needs as many
	// queries as keys.
	Causal bool
	// KeyPadding, of shape [B,Tk] and the element type of the scores, is
	// nonzero (1) where key j of sequence b is a real token and 0 where it is
	// padding, as built by PaddingMask. Nil means no padding.
	KeyPadding *gorgonia.Node
}

// PaddingMask returns a node of shape [B,T] and element type dt (the model's)
// that is 1 where ids [B,T] (tensor.Int) differs from padID and 0 where it
// equals it: the key-padding mask of a batch of padded sequences, computed in
// the graph from the fed ids, so no mask has to be fed. It is not
// differentiable (ids are integers).
func PaddingMask(ids *gorgonia.Node, padID int, dt tensor.Dtype) (*gorgonia.Node, error) {
	if ids == nil || ids.Dtype() != tensor.Int || ids.Shape().Dims() != 2 {
		desc := "nil"
		if ids != nil {
			desc = fmt.Sprintf("%v of shape %v", ids.Dtype(), ids.Shape())
		}
		return nil, errors.Errorf("layers: PaddingMask: ids must be tensor.Int of shape [B,T], got %s", desc)
	}
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, errors.Errorf("layers: PaddingMask: element type must be Float32 or Float64, got %v", dt)
	}
	n, err := gorgonia.ApplyOp(paddingMaskOp{pad: padID, dt: dt}, ids)
	return n, errors.Wrap(err, "layers: PaddingMask")
}

// maskedSoftmax applies the fused scaled and masked softmax to scores of shape
// [B,…,Tq,Tk] (any number of middle axes, typically heads):
// weights[b,…,i,j] = exp(scale·s_ij) / Σ_visible exp(scale·s_ik) over the keys
// visible to query i under mask, and 0 for the others.
func maskedSoftmax(scores *gorgonia.Node, scale float64, mask Mask) (*gorgonia.Node, error) {
	s := scores.Shape()
	if s.Dims() < 3 {
		return nil, errors.Errorf("masked softmax: scores of shape %v, want [B,…,Tq,Tk]", s)
	}
	tq, tk := s[s.Dims()-2], s[s.Dims()-1]
	if mask.Causal && tq != tk {
		return nil, errors.Errorf("masked softmax: a causal mask needs as many queries as keys, scores have shape %v (Tq %d, Tk %d)", s, tq, tk)
	}
	op := &maskedSoftmaxOp{scale: scale, causal: mask.Causal}
	if mask.KeyPadding == nil {
		return gorgonia.ApplyOp(op, scores)
	}
	p := mask.KeyPadding
	if p.Dtype() != scores.Dtype() || !p.Shape().Eq(tensor.Shape{s[0], tk}) {
		return nil, errors.Errorf("masked softmax: key-padding mask is %v %v, want %v [B,Tk] = [%d,%d] for scores %v",
			p.Dtype(), p.Shape(), scores.Dtype(), s[0], tk, s)
	}
	op.padded = true
	return gorgonia.ApplyOp(op, scores, p)
}

// attnFloat is the element type of the kernels.
type attnFloat interface{ ~float32 | ~float64 }

// maskedSoftmaxOp is the forward Gorgonia op of maskedSoftmax. Inputs: the
// scores and, when padded, the key-padding mask [B,Tk].
type maskedSoftmaxOp struct {
	scale  float64
	causal bool
	padded bool
}

func (op *maskedSoftmaxOp) Arity() int {
	if op.padded {
		return 2
	}
	return 1
}

func (op *maskedSoftmaxOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	if op.padded {
		return hm.NewFnType(a, hm.TypeVariable('m'), a) // not 'b': gorgonia's type inference uses it for the result
	}
	return hm.NewFnType(a, a)
}

func (op *maskedSoftmaxOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, errors.Errorf("%v: expected a shape, got %v", op, in[0])
	}
	return s.Clone(), nil
}

func (op *maskedSoftmaxOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(nil, in...)
}

// UsePreallocDo writes the result into prealloc (graph.OutputBuffer).
func (op *maskedSoftmaxOp) UsePreallocDo(prealloc gorgonia.Value, in ...gorgonia.Value) (gorgonia.Value, error) {
	x, err := maskOpInput(op, in, 0)
	if err != nil {
		return nil, err
	}
	var keep *tensor.Dense
	if op.padded {
		if keep, err = maskOpInput(op, in, 1); err != nil {
			return nil, err
		}
	}
	y, err := graph.OutputBuffer(op, prealloc, x.Dtype(), x.Shape())
	if err != nil {
		return nil, err
	}
	g := newMaskedGeometry(x.Shape(), op.causal)
	switch xs := x.Data().(type) {
	case []float64:
		var k []float64
		if keep != nil {
			k = keep.Float64s()
		}
		maskedSoftmaxRows(g, xs, y.Float64s(), k, op.scale, maskedSoftmaxRow[float64])
	case []float32:
		var k []float32
		if keep != nil {
			k = keep.Float32s()
		}
		maskedSoftmaxRows(g, xs, y.Float32s(), k, float32(op.scale), maskedSoftmaxRow32)
	default:
		return nil, errors.Errorf("%v: unsupported element type %v", op, x.Dtype())
	}
	return y, nil
}

func (op *maskedSoftmaxOp) ReturnsPtr() bool     { return false }
func (op *maskedSoftmaxOp) CallsExtern() bool    { return false }
func (op *maskedSoftmaxOp) OverwritesInput() int { return -1 }
func (op *maskedSoftmaxOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "layers.maskedSoftmax{scale=%x,causal=%v,padded=%v}", math.Float64bits(op.scale), op.causal, op.padded)
}
func (op *maskedSoftmaxOp) Hashcode() uint32 { return maskOpHash(op) }
func (op *maskedSoftmaxOp) String() string {
	return fmt.Sprintf("MaskedSoftmax{scale=%.4g, causal=%v, padded=%v}", op.scale, op.causal, op.padded)
}

// DiffWRT: differentiable with respect to the scores, not the mask.
func (op *maskedSoftmaxOp) DiffWRT(inputs int) []bool {
	d := make([]bool, inputs)
	d[0] = true
	return d
}

// SymDiff returns ∂L/∂s = scale · y ⊙ (g − Σ_j y_j g_j) row by row, computed
// from the output y and its gradient g; masked entries have y = 0 and so get
// a zero gradient.
func (op *maskedSoftmaxOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := gorgonia.ApplyOp(&maskedSoftmaxGradOp{scale: op.scale}, output, grad)
	if err != nil {
		return nil, err
	}
	out := make(gorgonia.Nodes, len(inputs))
	out[0] = dx
	return out, nil
}

// maskedSoftmaxGradOp computes the gradient of maskedSoftmaxOp from its output
// y and the gradient g of the loss with respect to y.
type maskedSoftmaxGradOp struct{ scale float64 }

func (op *maskedSoftmaxGradOp) Arity() int { return 2 }
func (op *maskedSoftmaxGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}
func (op *maskedSoftmaxGradOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, errors.Errorf("%v: expected a shape, got %v", op, in[0])
	}
	return s.Clone(), nil
}

func (op *maskedSoftmaxGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(nil, in...)
}

// UsePreallocDo writes the result into prealloc (graph.OutputBuffer).
func (op *maskedSoftmaxGradOp) UsePreallocDo(prealloc gorgonia.Value, in ...gorgonia.Value) (gorgonia.Value, error) {
	y, err := maskOpInput(op, in, 0)
	if err != nil {
		return nil, err
	}
	g, err := maskOpInput(op, in, 1)
	if err != nil {
		return nil, err
	}
	if !y.Shape().Eq(g.Shape()) || y.Dtype() != g.Dtype() {
		return nil, errors.Errorf("%v: output %v %v and gradient %v %v differ", op, y.Dtype(), y.Shape(), g.Dtype(), g.Shape())
	}
	dx, err := graph.OutputBuffer(op, prealloc, y.Dtype(), y.Shape())
	if err != nil {
		return nil, err
	}
	tk := y.Shape()[y.Dims()-1]
	switch ys := y.Data().(type) {
	case []float64:
		maskedSoftmaxGradRows(ys, g.Float64s(), dx.Float64s(), tk, op.scale, softmaxGradRow[float64])
	case []float32:
		maskedSoftmaxGradRows(ys, g.Float32s(), dx.Float32s(), tk, float32(op.scale), vec32.SoftmaxGrad)
	default:
		return nil, errors.Errorf("%v: unsupported element type %v", op, y.Dtype())
	}
	return dx, nil
}

func (op *maskedSoftmaxGradOp) ReturnsPtr() bool     { return false }
func (op *maskedSoftmaxGradOp) CallsExtern() bool    { return false }
func (op *maskedSoftmaxGradOp) OverwritesInput() int { return -1 }
func (op *maskedSoftmaxGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "layers.maskedSoftmaxGrad{scale=%x}", math.Float64bits(op.scale))
}
func (op *maskedSoftmaxGradOp) Hashcode() uint32 { return maskOpHash(op) }
func (op *maskedSoftmaxGradOp) String() string {
	return fmt.Sprintf("MaskedSoftmaxGrad{scale=%.4g}", op.scale)
}

// maskedGeometry describes scores [B,…,Tq,Tk] as B·R blocks of Tq rows of Tk.
type maskedGeometry struct {
	b, r, tq, tk int
	causal       bool
}

func newMaskedGeometry(s tensor.Shape, causal bool) maskedGeometry {
	n := s.Dims()
	tq, tk := s[n-2], s[n-1]
	return maskedGeometry{b: s[0], r: s.TotalSize() / (s[0] * tq * tk), tq: tq, tk: tk, causal: causal}
}

// maskedSoftmaxRows writes the masked softmax of scale·x into y; keep is the [B,Tk]
// key-padding mask or nil. row computes one row (maskedSoftmaxRow, or
// maskedSoftmaxRow32 in float32).
func maskedSoftmaxRows[F attnFloat](g maskedGeometry, x, y, keep []F, scale F, row func(x, y, keep []F, scale F)) {
	for b := 0; b < g.b; b++ {
		var kb []F
		if keep != nil {
			kb = keep[b*g.tk : (b+1)*g.tk]
		}
		for r := 0; r < g.r; r++ {
			for i := 0; i < g.tq; i++ {
				off := ((b*g.r+r)*g.tq + i) * g.tk
				visible := g.tk
				if g.causal {
					visible = i + 1
				}
				row(x[off:off+visible], y[off:off+visible], kb, scale)
				clear(y[off+visible : off+g.tk]) // past the causal limit
			}
		}
	}
}

// maskedSoftmaxRow computes one row over the keys j < len(x) with keep[j] ≠ 0 (all
// of them when keep is nil); the other entries of y are set to 0, and a row
// with no visible key is all 0.
func maskedSoftmaxRow[F attnFloat](x, y, keep []F, scale F) {
	max := F(math.Inf(-1))
	for j, v := range x {
		if (keep == nil || keep[j] != 0) && v > max {
			max = v
		}
	}
	if math.IsInf(float64(max), -1) {
		clear(y)
		return
	}
	var sum F
	for j, v := range x {
		if keep != nil && keep[j] == 0 {
			y[j] = 0
			continue
		}
		e := F(math.Exp(float64(scale * (v - max))))
		y[j] = e
		sum += e
	}
	inv := 1 / sum
	for j := range y {
		y[j] *= inv
	}
}

// maskedSoftmaxRow32 is maskedSoftmaxRow in float32 with package vec32's
// kernels (AVX2 exp, max, sums; issue 8): exp(scale·(x − max)) of the visible
// keys, normalised. Masked keys are computed, then zeroed before the sum.
func maskedSoftmaxRow32(x, y, keep []float32, scale float32) {
	max := float32(math.Inf(-1))
	if keep == nil {
		max = vec32.Max(x)
	} else {
		for j, v := range x {
			if keep[j] != 0 && v > max {
				max = v
			}
		}
	}
	if math.IsInf(float64(max), -1) {
		clear(y)
		return
	}
	sum := vec32.ExpSum(y, x, scale, max)
	if keep != nil {
		for j := range y {
			if keep[j] == 0 {
				y[j] = 0
			}
		}
		sum = vec32.Sum(y)
	}
	vec32.Scale(y, y, 1/sum)
}

// maskedSoftmaxGradRows writes dx = scale · y ⊙ (g − Σ_j y_j g_j) for every row of
// length tk with rowGrad (softmaxGradRow, or vec32.SoftmaxGrad in float32).
func maskedSoftmaxGradRows[F attnFloat](y, g, dx []F, tk int, scale F, rowGrad func(dx, y, g []F, scale F)) {
	for off := 0; off < len(y); off += tk {
		rowGrad(dx[off:off+tk], y[off:off+tk], g[off:off+tk], scale)
	}
}

// softmaxGradRow writes dx = scale · y ⊙ (g − Σ_j y_j g_j) for one row.
func softmaxGradRow[F attnFloat](dx, y, g []F, scale F) {
	var dot F
	for j, v := range y {
		dot += v * g[j]
	}
	for j, v := range y {
		dx[j] = scale * v * (g[j] - dot)
	}
}

// paddingMaskOp is the Gorgonia op of PaddingMask.
type paddingMaskOp struct {
	pad int
	dt  tensor.Dtype
}

func (op paddingMaskOp) Arity() int { return 1 }
func (op paddingMaskOp) Type() hm.Type {
	return hm.NewFnType(gorgonia.TensorType{Dims: 2, Of: tensor.Int}, gorgonia.TensorType{Dims: 2, Of: op.dt})
}
func (op paddingMaskOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, errors.Errorf("%v: expected a shape, got %v", op, in[0])
	}
	return s.Clone(), nil
}

func (op paddingMaskOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	ids, err := maskOpInput(op, in, 0)
	if err != nil {
		return nil, err
	}
	if ids.Dtype() != tensor.Int {
		return nil, errors.Errorf("%v: ids are %v, want tensor.Int", op, ids.Dtype())
	}
	v := make([]float64, ids.Shape().TotalSize())
	for i, id := range ids.Ints() {
		if id != op.pad {
			v[i] = 1
		}
	}
	return denseOf(op.dt, ids.Shape(), v), nil
}

func (op paddingMaskOp) ReturnsPtr() bool     { return false }
func (op paddingMaskOp) CallsExtern() bool    { return false }
func (op paddingMaskOp) OverwritesInput() int { return -1 }
func (op paddingMaskOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "layers.paddingMask{pad=%d,dt=%v}", op.pad, op.dt)
}
func (op paddingMaskOp) Hashcode() uint32 { return maskOpHash(op) }
func (op paddingMaskOp) String() string   { return fmt.Sprintf("PaddingMask{pad=%d}", op.pad) }

// DiffWRT: the mask is constant with respect to everything.
func (op paddingMaskOp) DiffWRT(inputs int) []bool { return make([]bool, inputs) }

// SymDiff is never called (nothing is differentiable); it returns no gradients.
func (op paddingMaskOp) SymDiff(inputs gorgonia.Nodes, _, _ *gorgonia.Node) (gorgonia.Nodes, error) {
	return make(gorgonia.Nodes, len(inputs)), nil
}

// maskOpInput returns input i of an op as a contiguous *tensor.Dense.
func maskOpInput(op fmt.Stringer, in []gorgonia.Value, i int) (*tensor.Dense, error) {
	if i >= len(in) {
		return nil, errors.Errorf("%v: got %d inputs, want at least %d", op, len(in), i+1)
	}
	d, ok := in[i].(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("%v: input %d is a %T, want *tensor.Dense", op, i, in[i])
	}
	if d.RequiresIterator() {
		d = d.Materialize().(*tensor.Dense)
	}
	return d, nil
}

// maskOpHash hashes an op's WriteHash output with FNV-1a, as Gorgonia's ops do.
func maskOpHash(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
