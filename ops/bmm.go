package ops

import (
	"fmt"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BMMLayout says how BatchedMatMul reads its operands and writes its result.
//
// An operand or result of rank 3 is [B,R,C]: B matrices of R rows and C
// columns. Of rank 4 it holds B·H matrices, either [B,H,R,C] (head-major, the
// usual layout) or, when its Interleaved flag is set, [B,R,H,C]: the
// projection [B,T,H·d] of a multi-head attention merely reshaped, so that
// splitting into heads and merging them back need no transpose (matrix (b,h)
// is read and written with a row stride of H·C, as BLAS allows).
type BMMLayout struct {
	TransA, TransB bool // multiply by the transpose of matrix A, of matrix B
	AInterleaved   bool // a is [B,R,H,C] (rank 4 only)
	BInterleaved   bool // b is [B,R,H,C] (rank 4 only)
	OutInterleaved bool // the result is [B,M,H,N] (rank 4 only)
}

// BatchedMatMul returns the products op(A_i)·op(B_i) of the matrices of a and
// b, op being the transpose where l says so: for op(A_i) [M,K] and op(B_i)
// [K,N] the result is [B,M,N] (rank 3), [B,H,M,N] or, with OutInterleaved,
// [B,M,H,N] (rank 4). It replaces gorgonia's BatchedMatMul for attention:
// one BLAS call per matrix on slices of the operands, without
// gorgonia's per-matrix tensor views (most of a Transformer step's
// allocations) and without the transposes of head splitting. Its gradients
// are BatchedMatMuls too: for C = A·B, dA = dC·Bᵀ and dB = Aᵀ·dC (and the
// analogous forms for transposed operands), each in its operand's layout.
func BatchedMatMul(a, b *gorgonia.Node, l BMMLayout) (*gorgonia.Node, error) {
	for _, n := range []*gorgonia.Node{a, b} {
		if err := checkFloatNode("BatchedMatMul", n); err != nil {
			return nil, err
		}
	}
	op := bmmOp{l: l, dims: a.Dims()}
	if _, err := op.shape([]tensor.Shape{a.Shape(), b.Shape()}); err != nil {
		return nil, errors.Wrap(err, "ops")
	}
	if a.Dtype() != b.Dtype() {
		return nil, errors.Errorf("ops: %v: operands are %v and %v", op, a.Dtype(), b.Dtype())
	}
	y, err := apply(op, a, b)
	return y, errors.Wrap(err, "ops: BatchedMatMul")
}

// bmmOp is the op of BatchedMatMul on operands of rank dims.
type bmmOp struct {
	l    BMMLayout
	dims int
}

// bmmMat describes the matrices of one operand: B·H matrices of R×C, matrix
// (b,h) starting at b·bStride + h·hStride with rows ld apart.
type bmmMat struct {
	b, h, r, c, bStride, hStride, ld int
}

func bmmMatOf(s tensor.Shape, interleaved bool) bmmMat {
	if len(s) == 3 {
		return bmmMat{b: s[0], h: 1, r: s[1], c: s[2], bStride: s[1] * s[2], ld: s[2]}
	}
	if interleaved {
		return bmmMat{b: s[0], h: s[2], r: s[1], c: s[3], bStride: s[1] * s[2] * s[3], hStride: s[3], ld: s[2] * s[3]}
	}
	return bmmMat{b: s[0], h: s[1], r: s[2], c: s[3], bStride: s[1] * s[2] * s[3], hStride: s[2] * s[3], ld: s[3]}
}

// rowsCols returns the shape [M,K] of op(X).
func (x bmmMat) rowsCols(trans bool) (int, int) {
	if trans {
		return x.c, x.r
	}
	return x.r, x.c
}

func (op bmmOp) String() string { return fmt.Sprintf("BatchedMatMul%+v", op.l) }

func (op bmmOp) spec() spec {
	l := op.l
	return spec{types: tensorTypes(op.dims, op.dims, op.dims), params: []uint64{boolParam(l.TransA), boolParam(l.TransB),
		boolParam(l.AInterleaved), boolParam(l.BInterleaved), boolParam(l.OutInterleaved), uint64(op.dims)}}
}

func (op bmmOp) shape(in []tensor.Shape) (tensor.Shape, error) {
	as, bs, l := in[0], in[1], op.l
	if (op.dims != 3 && op.dims != 4) || as.Dims() != op.dims || bs.Dims() != op.dims ||
		(op.dims == 3 && (l.AInterleaved || l.BInterleaved || l.OutInterleaved)) {
		return nil, errors.Errorf("%v: operands %v and %v, want both of rank 3 ([B,R,C]) or both of rank 4 (interleaved layouts only at rank 4)", op, as, bs)
	}
	am, bm := bmmMatOf(as, l.AInterleaved), bmmMatOf(bs, l.BInterleaved)
	m, k := am.rowsCols(l.TransA)
	k2, n := bm.rowsCols(l.TransB)
	if am.b != bm.b || am.h != bm.h || k != k2 {
		return nil, errors.Errorf("%v: operands %v and %v do not fit (batch %d×%d and %d×%d, inner sizes %d and %d)",
			op, as, bs, am.b, am.h, bm.b, bm.h, k, k2)
	}
	switch {
	case op.dims == 3:
		return tensor.Shape{am.b, m, n}, nil
	case l.OutInterleaved:
		return tensor.Shape{am.b, m, am.h, n}, nil
	default:
		return tensor.Shape{am.b, am.h, m, n}, nil
	}
}

func (op bmmOp) diffWRT() []bool { return []bool{true, true} }

// symDiff returns dA and dB as BatchedMatMuls of the output gradient g:
//
//	C = A·B:   dA = g·Bᵀ,   dB = Aᵀ·g
//	C = A·Bᵀ:  dA = g·B,    dB = gᵀ·A
//	C = Aᵀ·B:  dA = B·gᵀ,   dB = A·g
//	C = Aᵀ·Bᵀ: dA = Bᵀ·gᵀ,  dB = gᵀ·Aᵀ
func (op bmmOp) symDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	a, b := inputs[0], inputs[1]
	l := op.l
	type term struct {
		x, y   *gorgonia.Node
		tx, ty bool
		xi, yi bool // interleaved layouts of x and y
	}
	var da, db term
	switch {
	case !l.TransA && !l.TransB:
		da = term{grad, b, false, true, l.OutInterleaved, l.BInterleaved}
		db = term{a, grad, true, false, l.AInterleaved, l.OutInterleaved}
	case !l.TransA && l.TransB:
		da = term{grad, b, false, false, l.OutInterleaved, l.BInterleaved}
		db = term{grad, a, true, false, l.OutInterleaved, l.AInterleaved}
	case l.TransA && !l.TransB:
		da = term{b, grad, false, true, l.BInterleaved, l.OutInterleaved}
		db = term{a, grad, false, false, l.AInterleaved, l.OutInterleaved}
	default:
		da = term{b, grad, true, true, l.BInterleaved, l.OutInterleaved}
		db = term{grad, a, true, true, l.OutInterleaved, l.AInterleaved}
	}
	out := make(gorgonia.Nodes, 2)
	for i, t := range []term{da, db} {
		outI := l.AInterleaved
		if i == 1 {
			outI = l.BInterleaved
		}
		g := bmmOp{l: BMMLayout{TransA: t.tx, TransB: t.ty, AInterleaved: t.xi, BInterleaved: t.yi, OutInterleaved: outI}, dims: op.dims}
		var err error
		if out[i], err = apply(g, t.x, t.y); err != nil {
			return nil, errors.Wrapf(err, "%v gradient wrt input %d", op, i)
		}
	}
	return out, nil
}

func (op bmmOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	a, b, err := twoFloatInputs(op, values)
	if err != nil {
		return nil, err
	}
	shape, err := op.shape([]tensor.Shape{a.Shape(), b.Shape()})
	if err != nil {
		return nil, err
	}
	c, err := out.buffer(a.Dtype(), shape)
	if err != nil {
		return nil, err
	}
	l := op.l
	am, bm, cm := bmmMatOf(a.Shape(), l.AInterleaved), bmmMatOf(b.Shape(), l.BInterleaved), bmmMatOf(shape, l.OutInterleaved)
	if a.Dtype() == tensor.Float32 {
		bmmRun(l, am, bm, cm, a.Float32s(), b.Float32s(), c.Float32s(), blas32.Implementation().Sgemm)
	} else {
		bmmRun(l, am, bm, cm, a.Float64s(), b.Float64s(), c.Float64s(), blas64.Implementation().Dgemm)
	}
	return c, nil
}

// bmmRun computes every product with one gemm call each.
func bmmRun[T opFloat](l BMMLayout, am, bm, cm bmmMat, a, b, c []T,
	gemm func(tA, tB blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)) {
	m, k := am.rowsCols(l.TransA)
	n := cm.c
	tA, tB := blas.NoTrans, blas.NoTrans
	if l.TransA {
		tA = blas.Trans
	}
	if l.TransB {
		tB = blas.Trans
	}
	one := func(i int) {
		bi, hi := i/am.h, i%am.h
		gemm(tA, tB, m, n, k, 1,
			a[bi*am.bStride+hi*am.hStride:], am.ld,
			b[bi*bm.bStride+hi*bm.hStride:], bm.ld, 0,
			c[bi*cm.bStride+hi*cm.hStride:], cm.ld)
	}
	parallelFor(am.b*am.h, am.b*am.h*m*n*k, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			one(i)
		}
	})
}
