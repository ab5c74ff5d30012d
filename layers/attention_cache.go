package layers

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// KVCache is the graph side of a key/value cache of a self-attention for
// incremental decoding: Keys and Values [B,Ctx,Dim] (heads interleaved, as
// [B,Ctx,Heads,Dim/Heads]) hold the keys and values of the earlier
// positions of each row, and Len (tensor.Int [1]) says how many of their
// first rows are filled, the same for every row of the batch. The caller
// owns the buffers: it feeds them to each step and writes the step's new
// key and value into row Len before the next one (package
// models/transformer does).
type KVCache struct {
	Keys, Values, Len *gorgonia.Node
}

// Step runs the self-attention for one new position x [B,1,Dim] of
// sequences whose earlier positions' keys and values are in cache: the
// query of x attends to the first Len cached positions and to x itself, as
// the last position of a causal self-attention does. It returns the output
// [B,1,Dim] and the key and value [B,1,Dim] of x, to append to the cache.
// Step is for inference: the result has no gradient and no dropout.
func (a *MultiHeadAttention) Step(x *gorgonia.Node, cache KVCache) (out, key, value *gorgonia.Node, err error) {
	id := layerID("MultiHeadAttention", a.name)
	dt := a.Q.Weight.Node().Dtype()
	if err := checkInput(id+" step input", x, dt, seqLayouts, a.Dim); err != nil {
		return nil, nil, nil, err
	}
	b := x.Shape()[0]
	if x.Shape()[1] != 1 {
		return nil, nil, nil, errors.Errorf("layers: %s: Step reads one position, got %v", id, x.Shape())
	}
	for _, c := range []*gorgonia.Node{cache.Keys, cache.Values} {
		if c == nil || c.Dtype() != dt || c.Dims() != 3 || c.Shape()[0] != b || c.Shape()[2] != a.Dim {
			return nil, nil, nil, errors.Errorf("layers: %s: cache %v, want %v [%d,Ctx,%d]", id, describeNode(c), dt, b, a.Dim)
		}
	}
	if !cache.Keys.Shape().Eq(cache.Values.Shape()) {
		return nil, nil, nil, errors.Errorf("layers: %s: cached keys %v and values %v differ in shape", id, cache.Keys.Shape(), cache.Values.Shape())
	}
	if cache.Len == nil || cache.Len.Dtype() != tensor.Int || !cache.Len.Shape().Eq(tensor.Shape{1}) {
		return nil, nil, nil, errors.Errorf("layers: %s: cache length %v, want tensor.Int [1]", id, describeNode(cache.Len))
	}
	var q *gorgonia.Node
	for _, p := range []struct {
		l   *Linear
		dst **gorgonia.Node
	}{{a.Q, &q}, {a.K, &key}, {a.V, &value}} {
		if *p.dst, err = p.l.Forward(x); err != nil {
			return nil, nil, nil, errors.Wrapf(err, "layers: %s", id)
		}
	}
	op := &cachedAttentionOp{heads: a.Heads}
	ctx, err := gorgonia.ApplyOp(op, q, key, value, cache.Keys, cache.Values, cache.Len)
	if err != nil {
		return nil, nil, nil, errors.Wrapf(err, "layers: %s: attention over the cache", id)
	}
	if out, err = a.Out.Forward(ctx); err != nil {
		return nil, nil, nil, errors.Wrapf(err, "layers: %s", id)
	}
	return out, key, value, nil
}

// cachedAttentionOp is the attention of one query per row over cached keys
// and values and its own: inputs q, k, v [B,1,D], cached keys and values
// [B,Ctx,D] and the filled length [1]; output [B,1,D]. Per row and head h,
// with keys K = (cache[0…Len−1], k) and values V likewise,
//
//	out_h = softmax(q_h·K_hᵀ/√dh)·V_h,
//
// the scores computed by one matrix product over the cache rows read in
// place through their stride, the softmax by the kernel of the full
// attention (maskedSoftmaxRow, maskedSoftmaxRow32).
type cachedAttentionOp struct {
	heads int
	s32   []float32 // scores of one head, reused from call to call
	s64   []float64
}

func (op *cachedAttentionOp) Arity() int { return 6 }

func (op *cachedAttentionOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a, a, a, hm.TypeVariable('l'), a)
}

func (op *cachedAttentionOp) InferShape(in ...gorgonia.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, errors.Errorf("%v: expected a shape, got %v", op, in[0])
	}
	return s.Clone(), nil
}

func (op *cachedAttentionOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(nil, in...)
}

// UsePreallocDo writes the result into prealloc (graph.OutputBuffer).
func (op *cachedAttentionOp) UsePreallocDo(prealloc gorgonia.Value, in ...gorgonia.Value) (gorgonia.Value, error) {
	if len(in) != 6 {
		return nil, errors.Errorf("%v: %d inputs, want 6", op, len(in))
	}
	var d [5]*tensor.Dense
	for i := range d {
		t, ok := in[i].(*tensor.Dense)
		if !ok {
			return nil, errors.Errorf("%v: input %d is a %T, not a dense tensor", op, i, in[i])
		}
		d[i] = t
	}
	lt, ok := in[5].(*tensor.Dense)
	if !ok || lt.Dtype() != tensor.Int || lt.Len() != 1 {
		return nil, errors.Errorf("%v: the cache length must be a tensor.Int [1], got %v", op, in[5])
	}
	g := cacheGeometry{b: d[3].Shape()[0], ctx: d[3].Shape()[1], dim: d[3].Shape()[2], length: lt.Ints()[0], heads: op.heads}
	if g.length < 0 || g.length >= g.ctx+1 {
		return nil, errors.Errorf("%v: cache length %d outside 0…%d", op, g.length, g.ctx)
	}
	y, err := graph.OutputBuffer(op, prealloc, d[0].Dtype(), d[0].Shape())
	if err != nil {
		return nil, err
	}
	switch d[0].Dtype() {
	case tensor.Float32:
		op.s32 = growTo(op.s32, g.length+1)
		cachedAttention(g, d[0].Float32s(), d[1].Float32s(), d[2].Float32s(), d[3].Float32s(), d[4].Float32s(), y.Float32s(),
			op.s32, blas32.Implementation().Sgemm, maskedSoftmaxRow32)
	case tensor.Float64:
		op.s64 = growTo(op.s64, g.length+1)
		cachedAttention(g, d[0].Float64s(), d[1].Float64s(), d[2].Float64s(), d[3].Float64s(), d[4].Float64s(), y.Float64s(),
			op.s64, blas64.Implementation().Dgemm, maskedSoftmaxRow[float64])
	default:
		return nil, errors.Errorf("%v: unsupported element type %v", op, d[0].Dtype())
	}
	return y, nil
}

func (op *cachedAttentionOp) ReturnsPtr() bool     { return false }
func (op *cachedAttentionOp) CallsExtern() bool    { return false }
func (op *cachedAttentionOp) OverwritesInput() int { return -1 }
func (op *cachedAttentionOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "layers.cachedAttention{heads=%d}", op.heads)
}
func (op *cachedAttentionOp) Hashcode() uint32 { return maskOpHash(op) }
func (op *cachedAttentionOp) String() string {
	return fmt.Sprintf("CachedAttention{heads=%d}", op.heads)
}

// cacheGeometry is the shape of a cached attention: b rows, caches of ctx
// positions of width dim split into heads, length of them filled.
type cacheGeometry struct{ b, ctx, dim, length, heads int }

// gemm is the BLAS matrix product of package gonum's blas32 or blas64.
type gemm[F attnFloat] func(tA, tB blas.Transpose, m, n, k int, alpha F, a []F, lda int, b []F, ldb int, beta F, c []F, ldc int)

// cachedAttention computes the op's output y [B,1,D] with scores, a buffer of
// length+1 elements, and the softmax kernel row.
func cachedAttention[F attnFloat](g cacheGeometry, q, k, v, ck, cv, y, scores []F, mm gemm[F], row func(x, y, keep []F, scale F)) {
	dh := g.dim / g.heads
	scale := F(1 / math.Sqrt(float64(dh)))
	w := scores[:g.length+1]
	for b := 0; b < g.b; b++ {
		cache := b * g.ctx * g.dim
		for h := 0; h < g.heads; h++ {
			off := b*g.dim + h*dh
			qh, kh, vh, yh := q[off:off+dh], k[off:off+dh], v[off:off+dh], y[off:off+dh]
			if g.length > 0 {
				// scores[j] = q_h·K[j]_h over the cached rows (stride dim).
				mm(blas.NoTrans, blas.Trans, 1, g.length, dh, 1, qh, dh, ck[cache+h*dh:], g.dim, 0, w, g.length)
			}
			var own F
			for i := range qh {
				own += qh[i] * kh[i]
			}
			w[g.length] = own
			row(w, w, nil, scale)
			// y_h = Σ_j w_j·V[j]_h: the cached rows by one product, then x's own.
			if g.length > 0 {
				mm(blas.NoTrans, blas.NoTrans, 1, dh, g.length, 1, w, g.length, cv[cache+h*dh:], g.dim, 0, yh, dh)
			} else {
				clear(yh)
			}
			last := w[g.length]
			for i := range yh {
				yh[i] += last * vh[i]
			}
		}
	}
}

// growTo returns s with room for n elements, reallocated only when too short.
func growTo[F attnFloat](s []F, n int) []F {
	if cap(s) < n {
		return make([]F, n)
	}
	return s[:n]
}
