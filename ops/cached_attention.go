package ops

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CachedAttention returns the attention of one new position per row over a
// key/value cache and itself, for incremental decoding: q, k, v [B,1,D] are
// the new position's query, key and value; keys and values [B,Ctx,D] (heads
// interleaved, [B,Ctx,heads,D/heads]) the cache, whose first length rows
// (length: tensor.Int [1], the same for every row) are filled. Per row and
// head h, with K = (keys[0…length−1], k) and V likewise,
//
//	out_h = softmax(q_h·K_hᵀ/√dh)·V_h,   dh = D/heads,
//
// the last position of a causal self-attention (Vaswani et al. 2017,
// "Attention Is All You Need", §3.2). The result [B,1,D] has no gradient:
// CachedAttention is for inference.
func CachedAttention(q, k, v, keys, values, length *gorgonia.Node, heads int) (*gorgonia.Node, error) {
	if heads < 1 {
		return nil, errors.Errorf("ops: CachedAttention: %d heads", heads)
	}
	for _, n := range []*gorgonia.Node{q, k, v, keys, values} {
		if err := checkFloatNode("CachedAttention", n); err != nil {
			return nil, err
		}
	}
	if length == nil {
		return nil, errors.New("ops: CachedAttention: nil cache length")
	}
	y, err := apply(&cachedAttentionOp{heads: heads}, q, k, v, keys, values, length)
	return y, errors.Wrap(err, "ops: CachedAttention")
}

// cachedAttentionOp is the attention of one query per row over cached keys
// and values and its own: inputs q, k, v [B,1,D], cached keys and values
// [B,Ctx,D] and the filled length [1]; output [B,1,D]. Per row and head h,
// with keys K = (cache[0…Len−1], k) and values V likewise,
//
//	out_h = softmax(q_h·K_hᵀ/√dh)·V_h,
//
// the scores computed by one matrix product over the cache rows read in
// place through their stride, the softmax by the kernel of MaskedSoftmax
// (maskedSoftmaxRow, maskedSoftmaxRow32).
type cachedAttentionOp struct {
	heads int
	s32   []float32 // scores of one head, reused from call to call
	s64   []float64
}

func (op *cachedAttentionOp) String() string {
	return fmt.Sprintf("CachedAttention{heads=%d}", op.heads)
}

// spec: q, k, v, the cached keys and values (a), the length (l) → a.
func (op *cachedAttentionOp) spec() spec {
	a := hm.TypeVariable('a')
	return spec{types: []hm.Type{a, a, a, a, a, hm.TypeVariable('l'), a}, params: []uint64{uint64(op.heads)}}
}

func (op *cachedAttentionOp) shape(in []tensor.Shape) (tensor.Shape, error) { return in[0], nil }

func (op *cachedAttentionOp) compute(out output, in []gorgonia.Value) (gorgonia.Value, error) {
	var d [5]*tensor.Dense
	for i := range d {
		t, err := floatInput(op, in, i)
		if err != nil {
			return nil, err
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
	y, err := out.buffer(d[0].Dtype(), d[0].Shape())
	if err != nil {
		return nil, err
	}
	if d[0].Dtype() == tensor.Float32 {
		op.s32 = growTo(op.s32, g.length+1)
		cachedAttention(g, d[0].Float32s(), d[1].Float32s(), d[2].Float32s(), d[3].Float32s(), d[4].Float32s(), y.Float32s(),
			op.s32, blas32.Implementation().Sgemm, maskedSoftmaxRow32)
	} else {
		op.s64 = growTo(op.s64, g.length+1)
		cachedAttention(g, d[0].Float64s(), d[1].Float64s(), d[2].Float64s(), d[3].Float64s(), d[4].Float64s(), y.Float64s(),
			op.s64, blas64.Implementation().Dgemm, maskedSoftmaxRow[float64])
	}
	return y, nil
}

// cacheGeometry is the shape of a cached attention: b rows, caches of ctx
// positions of width dim split into heads, length of them filled.
type cacheGeometry struct{ b, ctx, dim, length, heads int }

// cachedAttention computes the op's output y [B,1,D] with scores, a buffer of
// length+1 elements, and the softmax kernel row.
func cachedAttention[F opFloat](g cacheGeometry, q, k, v, ck, cv, y, scores []F, mm gemmFn[F], row func(x, y, keep []F, scale F)) {
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
func growTo[F opFloat](s []F, n int) []F {
	if cap(s) < n {
		return make([]F, n)
	}
	return s[:n]
}
