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

	"github.com/gorgonet/gorgonet/internal/vec32"
)

// FlashAttention returns scaled dot-product attention (Vaswani et al. 2017,
// §3.2.1, eq. 1) computed block by block without the T×T weights, as in
// FlashAttention (Dao et al. 2022, "FlashAttention: Fast and Memory-Efficient
// Exact Attention with IO-Awareness"; Dao 2023, FlashAttention-2, Algorithms 1
// and 2):
//
//	out[b,i,h,:] = Σ_j softmax_j(scale·q[b,i,h,:]·k[b,j,h,:]) · v[b,j,h,:]
//
// over the keys j visible to query i. q is [B,Tq,H,d], k [B,Tk,H,d] and v
// [B,Tk,H,dv], heads on axis 2 (the interleaved layout of a [B,T,H·d]
// projection reshaped, BMMLayout); the result is [B,Tq,H,dv] in the same
// layout. With causal set query i sees keys j ≤ i (it needs Tq = Tk) and the
// key blocks wholly above the diagonal are skipped; keyPadding, when not nil,
// is [B,Tk] of the element type, nonzero where key j of sequence b is visible
// (PaddingMask). A query that sees no key gets a zero row, as with
// MaskedSoftmax.
//
// Queries go in blocks of flashRows against blocks of flashCols keys with an
// online softmax (running maximum and sum per query row), so the memory for
// attention is O(T) per head rather than O(T²): the forward pass keeps only
// each row's log-sum-exp, and the gradient recomputes the weights of every
// block from it. The result matches BatchedMatMul + MaskedSoftmax +
// BatchedMatMul up to rounding; keyPadding gets no gradient.
func FlashAttention(q, k, v *gorgonia.Node, scale float64, causal bool, keyPadding *gorgonia.Node) (*gorgonia.Node, error) {
	for _, x := range []struct {
		n    *gorgonia.Node
		what string
	}{{q, "query"}, {k, "key"}, {v, "value"}} {
		if err := checkFloatNode("FlashAttention "+x.what, x.n); err != nil {
			return nil, err
		}
	}
	qs, ks, vs := q.Shape(), k.Shape(), v.Shape()
	if qs.Dims() != 4 || ks.Dims() != 4 || vs.Dims() != 4 || q.Dtype() != k.Dtype() || q.Dtype() != v.Dtype() ||
		qs[0] != ks[0] || qs[2] != ks[2] || qs[3] != ks[3] || !vs[:3].Eq(ks[:3]) {
		return nil, errors.Errorf("ops: FlashAttention: query %v %v, key %v %v and value %v %v, want [B,Tq,H,d], [B,Tk,H,d] and [B,Tk,H,dv] of one element type",
			q.Dtype(), qs, k.Dtype(), ks, v.Dtype(), vs)
	}
	if causal && qs[1] != ks[1] {
		return nil, errors.Errorf("ops: FlashAttention: a causal mask needs as many queries as keys, got Tq %d, Tk %d", qs[1], ks[1])
	}
	if !(scale > 0) || math.IsInf(scale, 1) {
		return nil, errors.Errorf("ops: FlashAttention: scale %v is not a positive number", scale)
	}
	op := &flashAttentionOp{scale: scale, causal: causal}
	children := []*gorgonia.Node{q, k, v}
	if keyPadding != nil {
		if keyPadding.Dtype() != q.Dtype() || !keyPadding.Shape().Eq(tensor.Shape{qs[0], ks[1]}) {
			return nil, errors.Errorf("ops: FlashAttention: key-padding mask is %v %v, want %v [B,Tk] = [%d,%d]",
				keyPadding.Dtype(), keyPadding.Shape(), q.Dtype(), qs[0], ks[1])
		}
		op.padded = true
		children = append(children, keyPadding)
	}
	out, err := apply(op, children...)
	return out, errors.Wrapf(err, "ops: %v", op)
}

// Block sizes: a block of scores is flashRows×flashCols (16 KiB in float32,
// with its gradient 32 KiB: both stay in the L1/L2 cache).
const (
	flashRows = 64
	flashCols = 64
)

// flashAttentionOp is the forward op of FlashAttention. Inputs q, k, v and,
// when padded, the key-padding mask. It keeps the log-sum-exp of every query
// row of its last run for its gradient, which runs later in the same program
// run (flashAttentionGradOp reads the op's output, so the tape machine orders
// it after the forward).
type flashAttentionOp struct {
	scale          float64
	causal, padded bool
	lse            []float64 // [B,H,Tq] of the last run: scale·max + log Σ exp, +Inf for a row that sees no key
}

func (op *flashAttentionOp) String() string {
	return fmt.Sprintf("FlashAttention{scale=%.4g, causal=%v, padded=%v}", op.scale, op.causal, op.padded)
}

func (op *flashAttentionOp) params() []uint64 {
	return []uint64{math.Float64bits(op.scale), boolParam(op.causal), boolParam(op.padded)}
}

// spec: q → k → v [→ mask] → out (m for the mask, as in MaskedSoftmax).
func (op *flashAttentionOp) spec() spec {
	t := tensorTypes(4, 4, 4, 4)
	if op.padded {
		t = []hm.Type{t[0], t[1], t[2], hm.TypeVariable('m'), t[3]}
	}
	return spec{types: t, params: op.params()}
}

func (op *flashAttentionOp) shape(in []tensor.Shape) (tensor.Shape, error) {
	return tensor.Shape{in[0][0], in[0][1], in[0][2], in[2][3]}, nil
}

// flashGeom is the geometry of one attention: batch, heads, queries, keys,
// key and value widths.
type flashGeom struct {
	b, h, tq, tk, d, dv int
	causal              bool
}

// Offsets of row t of head h of sequence b in the interleaved layouts.
func (g flashGeom) qOff(b, t, h int) int { return ((b*g.tq+t)*g.h + h) * g.d }
func (g flashGeom) kOff(b, t, h int) int { return ((b*g.tk+t)*g.h + h) * g.d }
func (g flashGeom) vOff(b, t, h int) int { return ((b*g.tk+t)*g.h + h) * g.dv }
func (g flashGeom) oOff(b, t, h int) int { return ((b*g.tq+t)*g.h + h) * g.dv }

// visible returns how many keys j0, j0+1, … of a block of bc keys query i
// sees under the causal mask (all bc without it); ≤ 0 for none.
func (g flashGeom) visible(i, j0, bc int) int {
	if g.causal {
		return min(bc, i-j0+1)
	}
	return bc
}

// keyEnd returns the end of the keys the queries [i0, i1) can see.
func (g flashGeom) keyEnd(i1 int) int {
	if g.causal {
		return i1
	}
	return g.tk
}

// flashInputs checks and returns the inputs of the forward op (and the
// leading ones of its gradient op): q, k, v, the optional mask and the
// geometry.
func flashInputs(op fmt.Stringer, values []gorgonia.Value, padded, causal bool) (q, k, v, keep *tensor.Dense, g flashGeom, err error) {
	ts := make([]*tensor.Dense, 3, 4)
	for i := range ts {
		if ts[i], err = floatInput(op, values, i); err != nil {
			return
		}
		if ts[i].Dims() != 4 || ts[i].Dtype() != ts[0].Dtype() {
			err = errors.Errorf("%v: input %d is %v %v, want a rank-4 %v tensor", op, i, ts[i].Dtype(), ts[i].Shape(), ts[0].Dtype())
			return
		}
	}
	q, k, v = ts[0], ts[1], ts[2]
	qs, ks, vs := q.Shape(), k.Shape(), v.Shape()
	if qs[0] != ks[0] || qs[2] != ks[2] || qs[3] != ks[3] || !vs[:3].Eq(ks[:3]) || (causal && qs[1] != ks[1]) {
		err = errors.Errorf("%v: query %v, key %v and value %v do not fit", op, qs, ks, vs)
		return
	}
	g = flashGeom{b: qs[0], tq: qs[1], h: qs[2], d: qs[3], tk: ks[1], dv: vs[3], causal: causal}
	if padded {
		if keep, err = floatInput(op, values, 3); err != nil {
			return
		}
		if keep.Dtype() != q.Dtype() || !keep.Shape().Eq(tensor.Shape{g.b, g.tk}) {
			err = errors.Errorf("%v: key-padding mask is %v %v, want %v [%d,%d]", op, keep.Dtype(), keep.Shape(), q.Dtype(), g.b, g.tk)
		}
	}
	return
}

func (op *flashAttentionOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	q, k, v, keep, g, err := flashInputs(op, values, op.padded, op.causal)
	if err != nil {
		return nil, err
	}
	o, err := out.buffer(q.Dtype(), tensor.Shape{g.b, g.tq, g.h, g.dv})
	if err != nil {
		return nil, err
	}
	if n := g.b * g.h * g.tq; cap(op.lse) < n {
		op.lse = make([]float64, n)
	} else {
		op.lse = op.lse[:n]
	}
	if q.Dtype() == tensor.Float32 {
		flashForward(g, elems[float32](q), elems[float32](k), elems[float32](v), optElems[float32](keep), elems[float32](o), op.lse, float32(op.scale), kernels32)
	} else {
		flashForward(g, elems[float64](q), elems[float64](k), elems[float64](v), optElems[float64](keep), elems[float64](o), op.lse, op.scale, kernels64)
	}
	return o, nil
}

func (op *flashAttentionOp) diffWRT() []bool {
	return []bool{true, true, true, false}[:op.spec().arity()]
}

// symDiff returns the gradients with respect to q, k and v: one gradient op
// computes all three into one flat tensor (they share every recomputed
// block of weights), and Narrow and Reshape cut it into the three.
func (op *flashAttentionOp) symDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	args := append(gorgonia.Nodes{}, inputs...)
	args = append(args, output, grad)
	packed, err := apply(flashAttentionGradOp{fwd: op}, args...)
	if err != nil {
		return nil, errors.Wrapf(err, "%v gradient", op)
	}
	res := make(gorgonia.Nodes, len(inputs))
	start := 0
	for i := 0; i < 3; i++ {
		s := inputs[i].Shape()
		part, err := Narrow(packed, 0, start, s.TotalSize())
		if err != nil {
			return nil, errors.Wrapf(err, "%v gradient", op)
		}
		if res[i], err = gorgonia.Reshape(part, s); err != nil {
			return nil, errors.Wrapf(err, "%v gradient", op)
		}
		start += s.TotalSize()
	}
	return res, nil
}

// flashAttentionGradOp computes the gradients of flashAttentionOp with
// respect to q, k and v, packed one after the other in a flat tensor, from
// q, k, v, [mask,] the forward output o and its gradient do, and the
// forward's saved log-sum-exp.
type flashAttentionGradOp struct{ fwd *flashAttentionOp }

func (op flashAttentionGradOp) String() string { return op.fwd.String() + "Grad" }

func (op flashAttentionGradOp) spec() spec {
	t := tensorTypes(4, 4, 4, 4, 4, 1)
	if op.fwd.padded {
		t = append(t[:3], append([]hm.Type{hm.TypeVariable('m')}, t[3:]...)...)
	}
	return spec{types: t, params: op.fwd.params()}
}

func (op flashAttentionGradOp) shape(in []tensor.Shape) (tensor.Shape, error) {
	return tensor.Shape{in[0].TotalSize() + in[1].TotalSize() + in[2].TotalSize()}, nil
}

func (op flashAttentionGradOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	if len(values) != op.spec().arity() {
		return nil, errors.Errorf("%v: run on %d values, want %d", op, len(values), op.spec().arity())
	}
	q, k, v, keep, g, err := flashInputs(op, values, op.fwd.padded, op.fwd.causal)
	if err != nil {
		return nil, err
	}
	n := len(values)
	o, do, err := gradInputs(op, values[n-2:])
	if err != nil {
		return nil, err
	}
	if !o.Shape().Eq(tensor.Shape{g.b, g.tq, g.h, g.dv}) || o.Dtype() != q.Dtype() {
		return nil, errors.Errorf("%v: output %v %v does not fit query %v and value %v", op, o.Dtype(), o.Shape(), q.Shape(), v.Shape())
	}
	if len(op.fwd.lse) != g.b*g.h*g.tq {
		return nil, errors.Errorf("%v: run before its forward op", op)
	}
	nq, nk := q.Shape().TotalSize(), k.Shape().TotalSize()
	d, err := out.buffer(q.Dtype(), tensor.Shape{nq + nk + v.Shape().TotalSize()})
	if err != nil {
		return nil, err
	}
	if q.Dtype() == tensor.Float32 {
		ds := elems[float32](d)
		flashBackward(g, elems[float32](q), elems[float32](k), elems[float32](v), optElems[float32](keep), elems[float32](o), elems[float32](do),
			op.fwd.lse, ds[:nq], ds[nq:nq+nk], ds[nq+nk:], float32(op.fwd.scale), kernels32)
	} else {
		ds := elems[float64](d)
		flashBackward(g, elems[float64](q), elems[float64](k), elems[float64](v), optElems[float64](keep), elems[float64](o), elems[float64](do),
			op.fwd.lse, ds[:nq], ds[nq:nq+nk], ds[nq+nk:], op.fwd.scale, kernels64)
	}
	return d, nil
}

// flashKernels are the block primitives of one element type.
type flashKernels[F opFloat] struct {
	// gemm computes c = op(a)·op(b) + beta·c, row-major with leading
	// dimensions (single-threaded: the blocks run in parallel).
	gemm func(tA, tB bool, m, n, k int, a []F, lda int, b []F, ldb int, beta F, c []F, ldc int)
	// expSum sets dst[i] = exp(scale·(x[i] − shift)) and returns the sum.
	expSum func(dst, x []F, scale, shift F) F
}

var (
	kernels32 = flashKernels[float32]{
		gemm: func(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			blas32.Implementation().Sgemm(transpose(tA), transpose(tB), m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
		},
		expSum: vec32.ExpSum,
	}
	kernels64 = flashKernels[float64]{
		gemm: func(tA, tB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
			blas64.Implementation().Dgemm(transpose(tA), transpose(tB), m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
		},
		expSum: func(dst, x []float64, scale, shift float64) float64 {
			var s float64
			for i, v := range x {
				dst[i] = math.Exp(scale * (v - shift))
				s += dst[i]
			}
			return s
		},
	}
)

func transpose(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// flashForward writes the attention o and the log-sum-exp lse of every query
// row. Work items are (sequence, head, block of queries), run in parallel.
func flashForward[F opFloat](g flashGeom, q, k, v, keep, o []F, lse []float64, scale F, kn flashKernels[F]) {
	qBlocks := (g.tq + flashRows - 1) / flashRows
	ldq, ldv := g.h*g.d, g.h*g.dv
	parallelFor(g.b*g.h*qBlocks, g.b*g.h*g.tq*g.keyEnd(g.tq)*(g.d+g.dv), func(lo, hi int) {
		s := make([]F, flashRows*flashCols)
		acc := make([]F, flashRows*g.dv)
		m := make([]F, flashRows)
		l := make([]F, flashRows)
		for item := lo; item < hi; item++ {
			b, h, i0 := item/(g.h*qBlocks), item/qBlocks%g.h, item%qBlocks*flashRows
			br := min(flashRows, g.tq-i0)
			clear(acc[:br*g.dv])
			for r := range br {
				m[r], l[r] = F(math.Inf(-1)), 0
			}
			for j0 := 0; j0 < g.keyEnd(i0+br); j0 += flashCols {
				bc := min(flashCols, g.keyEnd(i0+br)-j0)
				kn.gemm(false, true, br, bc, g.d, q[g.qOff(b, i0, h):], ldq, k[g.kOff(b, j0, h):], ldq, 0, s, flashCols)
				for r := range br {
					row := s[r*flashCols : r*flashCols+bc]
					vis := max(g.visible(i0+r, j0, bc), 0)
					mx := blockMax(row[:vis], keepRow(keep, g, b, j0, vis))
					if math.IsInf(float64(mx), -1) { // no key visible in this block
						clear(row)
						continue
					}
					mNew := max(m[r], mx)
					sum := kn.expSum(row[:vis], row[:vis], scale, mNew)
					if kr := keepRow(keep, g, b, j0, vis); kr != nil {
						sum = maskRow(row[:vis], kr)
					}
					clear(row[vis:])
					if corr := F(math.Exp(float64(scale * (m[r] - mNew)))); corr != 1 {
						a := acc[r*g.dv : (r+1)*g.dv]
						for e := range a {
							a[e] *= corr
						}
						l[r] *= corr
					}
					l[r] += sum
					m[r] = mNew
				}
				kn.gemm(false, false, br, g.dv, bc, s, flashCols, v[g.vOff(b, j0, h):], ldv, 1, acc, g.dv)
			}
			for r := range br {
				dst := o[g.oOff(b, i0+r, h) : g.oOff(b, i0+r, h)+g.dv]
				at := (b*g.h+h)*g.tq + i0 + r
				if l[r] == 0 {
					clear(dst)
					lse[at] = math.Inf(1)
					continue
				}
				inv := 1 / l[r]
				for e, a := range acc[r*g.dv : (r+1)*g.dv] {
					dst[e] = a * inv
				}
				lse[at] = float64(scale*m[r]) + math.Log(float64(l[r]))
			}
		}
	})
}

// keepRow returns the key-padding mask of keys j0 … j0+n−1 of sequence b,
// or nil without a mask.
func keepRow[F opFloat](keep []F, g flashGeom, b, j0, n int) []F {
	if keep == nil {
		return nil
	}
	return keep[b*g.tk+j0 : b*g.tk+j0+n]
}

// blockMax returns the largest x[j] with keep[j] ≠ 0 (all j when keep is
// nil), −Inf for none.
func blockMax[F opFloat](x, keep []F) F {
	mx := F(math.Inf(-1))
	for j, v := range x {
		if (keep == nil || keep[j] != 0) && v > mx {
			mx = v
		}
	}
	return mx
}

// maskRow zeroes p[j] where keep[j] = 0 and returns the sum of p.
func maskRow[F opFloat](p, keep []F) F {
	var s F
	for j := range p {
		if keep[j] == 0 {
			p[j] = 0
		}
		s += p[j]
	}
	return s
}

// flashBackward writes the gradients dq, dk, dv (in the layouts of q, k, v)
// from the output o, its gradient do and the forward's lse, recomputing each
// block of weights P = exp(scale·QKᵀ − lse) (FlashAttention-2, Algorithm 2):
//
//	dV += Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(dO ⊙ O)),
//	dQ += scale·dS·K,  dK += scale·dSᵀ·Q.
//
// Work items are (sequence, head): each writes only its own rows of heads.
func flashBackward[F opFloat](g flashGeom, q, k, v, keep, o, do []F, lse []float64, dq, dk, dv []F, scale F, kn flashKernels[F]) {
	clear(dq)
	clear(dk)
	clear(dv)
	ldq, ldv := g.h*g.d, g.h*g.dv
	parallelFor(g.b*g.h, g.b*g.h*g.tq*g.keyEnd(g.tq)*(2*g.d+2*g.dv), func(lo, hi int) {
		p := make([]F, flashRows*flashCols)
		dp := make([]F, flashRows*flashCols)
		rowDot := make([]F, g.tq)
		for item := lo; item < hi; item++ {
			b, h := item/g.h, item%g.h
			for i := range g.tq {
				var s F
				oi, di := o[g.oOff(b, i, h):g.oOff(b, i, h)+g.dv], do[g.oOff(b, i, h):g.oOff(b, i, h)+g.dv]
				for e := range oi {
					s += oi[e] * di[e]
				}
				rowDot[i] = s
			}
			for j0 := 0; j0 < g.tk; j0 += flashCols {
				bc := min(flashCols, g.tk-j0)
				iStart := 0
				if g.causal {
					iStart = j0 / flashRows * flashRows
				}
				for i0 := iStart; i0 < g.tq; i0 += flashRows {
					br := min(flashRows, g.tq-i0)
					kn.gemm(false, true, br, bc, g.d, q[g.qOff(b, i0, h):], ldq, k[g.kOff(b, j0, h):], ldq, 0, p, flashCols)
					for r := range br {
						row := p[r*flashCols : r*flashCols+bc]
						vis := max(g.visible(i0+r, j0, bc), 0)
						l := lse[(b*g.h+h)*g.tq+i0+r]
						if vis == 0 || math.IsInf(l, 1) {
							clear(row)
							continue
						}
						kn.expSum(row[:vis], row[:vis], scale, F(l/float64(scale)))
						if kr := keepRow(keep, g, b, j0, vis); kr != nil {
							maskRow(row[:vis], kr)
						}
						clear(row[vis:])
					}
					kn.gemm(true, false, bc, g.dv, br, p, flashCols, do[g.oOff(b, i0, h):], ldv, 1, dv[g.vOff(b, j0, h):], ldv)
					kn.gemm(false, true, br, bc, g.dv, do[g.oOff(b, i0, h):], ldv, v[g.vOff(b, j0, h):], ldv, 0, dp, flashCols)
					for r := range br {
						pr, dr, D := p[r*flashCols:r*flashCols+bc], dp[r*flashCols:r*flashCols+bc], rowDot[i0+r]
						for c := range pr {
							pr[c] = scale * pr[c] * (dr[c] - D)
						}
					}
					kn.gemm(false, false, br, g.d, bc, p, flashCols, k[g.kOff(b, j0, h):], ldq, 1, dq[g.qOff(b, i0, h):], ldq)
					kn.gemm(true, false, bc, g.d, br, p, flashCols, q[g.qOff(b, i0, h):], ldq, 1, dk[g.kOff(b, j0, h):], ldq)
				}
			}
		}
	})
}
