package graph

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/internal/vec32"
)

// Affine returns x·W + b, the product of a fully connected layer (PyTorch's
// F.linear with the weight stored [in,out]), as one operation:
//
//	x [..., in] (rank ≥ 2; the leading dimensions are flattened to N rows)
//	w [in, out]
//	b [out], or nil for no bias
//	→ [..., out]
//
// Its gradients are dx = dy·Wᵀ, dW = xᵀ·dy and db = Σ_rows dy, each one
// matrix product (or sum) over all N rows at once. Built from gorgonia's
// Reshape, Mul and BroadcastAdd instead, a residual Add(x, Linear(x)) gets a
// wrong gradient: the Add overwrites x while the product's backward pass
// still reads it through the reshape (graph/traps_test.go). Affine reads x
// directly, so gorgonia sees the later reader and keeps x intact.
func Affine(x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
	for _, n := range []*gorgonia.Node{x, w} {
		if err := checkFloatNode("Affine", n); err != nil {
			return nil, err
		}
	}
	xs, ws := x.Shape(), w.Shape()
	if xs.Dims() < 2 || ws.Dims() != 2 || xs[xs.Dims()-1] != ws[0] || x.Dtype() != w.Dtype() {
		return nil, errors.Errorf("graph: Affine: x %v %v and weight %v %v do not fit: want x [..., in] and weight [in, out] of one dtype",
			x.Dtype(), xs, w.Dtype(), ws)
	}
	children := []*gorgonia.Node{x, w}
	if b != nil {
		if b.Dtype() != w.Dtype() || !b.Shape().Eq(tensor.Shape{ws[1]}) {
			return nil, errors.Errorf("graph: Affine: bias %v %v, want %v (%d)", b.Dtype(), b.Shape(), w.Dtype(), ws[1])
		}
		children = append(children, b)
	}
	y, err := gorgonia.ApplyOp(affineOp{bias: b != nil, dims: xs.Dims()}, children...)
	return y, errors.Wrap(err, "graph: Affine")
}

// affineOp computes x·W (+ b) for x of rank dims.
type affineOp struct {
	opTraits
	bias bool
	dims int
}

// tensorTypes returns gorgonia types of tensors of the given ranks, all of
// one element type.
func tensorTypes(dims ...int) []hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, len(dims))
	for i, d := range dims {
		ts[i] = gorgonia.TensorType{Dims: d, Of: a}
	}
	return ts
}

func (op affineOp) Arity() int {
	if op.bias {
		return 3
	}
	return 2
}

func (op affineOp) Type() hm.Type {
	if op.bias {
		return hm.NewFnType(tensorTypes(op.dims, 2, 1, op.dims)...)
	}
	return hm.NewFnType(tensorTypes(op.dims, 2, op.dims)...)
}

func (op affineOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := inputShape(op, ds, 0)
	if err != nil {
		return nil, err
	}
	ws, err := inputShape(op, ds, 1)
	if err != nil {
		return nil, err
	}
	out := xs.Clone()
	out[len(out)-1] = ws[1]
	return out, nil
}

func (op affineOp) Hashcode() uint32 { return opHashcode(op) }
func (op affineOp) WriteHash(h hash.Hash) {
	writeOpHash(h, "Affine", boolParam(op.bias), uint64(op.dims))
}
func (op affineOp) String() string { return fmt.Sprintf("Affine{bias=%v, dims=%d}", op.bias, op.dims) }

func (op affineOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

func (op affineOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	x, w := inputs[0], inputs[1]
	dx, err := gorgonia.ApplyOp(affineGradInputOp{dims: op.dims}, grad, w)
	if err != nil {
		return nil, errors.Wrap(err, "graph: Affine gradient wrt x")
	}
	dw, err := gorgonia.ApplyOp(affineGradWeightOp{dims: op.dims}, x, grad)
	if err != nil {
		return nil, errors.Wrap(err, "graph: Affine gradient wrt weight")
	}
	if !op.bias {
		return gorgonia.Nodes{dx, dw}, nil
	}
	db, err := gorgonia.ApplyOp(sumRowsOp{dims: op.dims}, grad)
	if err != nil {
		return nil, errors.Wrap(err, "graph: Affine gradient wrt bias")
	}
	return gorgonia.Nodes{dx, dw, db}, nil
}

func (op affineOp) Do(values ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(nil, values...)
}

func (op affineOp) UsePreallocDo(prealloc gorgonia.Value, values ...gorgonia.Value) (gorgonia.Value, error) {
	if err := opInputs(op, values, op.Arity()); err != nil {
		return nil, err
	}
	x, w, err := twoFloatInputs(op, values)
	if err != nil {
		return nil, err
	}
	xs, ws := x.Shape(), w.Shape()
	in, out := ws[0], ws[1]
	shape := xs.Clone()
	shape[len(shape)-1] = out
	y, err := outputFor(op, prealloc, x.Dtype(), shape)
	if err != nil {
		return nil, err
	}
	rows := xs.TotalSize() / in
	if !op.bias {
		gemm(blas.NoTrans, blas.NoTrans, rows, out, in, x, w, 0, y)
		return y, nil
	}
	b, err := floatInput(op, values, 2)
	if err != nil {
		return nil, err
	}
	gemmRowsBias(rows, out, in, x, w, b, y)
	return y, nil
}

// affineGradInputOp computes dx = dy·Wᵀ from dy [..., out] and W [in,out].
type affineGradInputOp struct {
	opTraits
	dims int // rank of x and dy
}

func (op affineGradInputOp) Arity() int    { return 2 }
func (op affineGradInputOp) Type() hm.Type { return hm.NewFnType(tensorTypes(op.dims, 2, op.dims)...) }
func (op affineGradInputOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	gs, err := inputShape(op, ds, 0)
	if err != nil {
		return nil, err
	}
	ws, err := inputShape(op, ds, 1)
	if err != nil {
		return nil, err
	}
	gs[len(gs)-1] = ws[0]
	return gs, nil
}
func (op affineGradInputOp) Hashcode() uint32 { return opHashcode(op) }
func (op affineGradInputOp) WriteHash(h hash.Hash) {
	writeOpHash(h, "AffineGradInput", uint64(op.dims))
}
func (op affineGradInputOp) String() string { return "AffineGradInput" }
func (op affineGradInputOp) Do(values ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(nil, values...)
}

func (op affineGradInputOp) UsePreallocDo(prealloc gorgonia.Value, values ...gorgonia.Value) (gorgonia.Value, error) {
	if err := opInputs(op, values, 2); err != nil {
		return nil, err
	}
	g, w, err := twoFloatInputs(op, values)
	if err != nil {
		return nil, err
	}
	in, out := w.Shape()[0], w.Shape()[1]
	shape := g.Shape().Clone()
	shape[len(shape)-1] = in
	dx, err := outputFor(op, prealloc, g.Dtype(), shape)
	if err != nil {
		return nil, err
	}
	gemm(blas.NoTrans, blas.Trans, g.Shape().TotalSize()/out, in, out, g, w, 0, dx)
	return dx, nil
}

// affineGradWeightOp computes dW = xᵀ·dy from x [..., in] and dy [..., out].
type affineGradWeightOp struct {
	opTraits
	dims int // rank of x and dy
}

func (op affineGradWeightOp) Arity() int    { return 2 }
func (op affineGradWeightOp) Type() hm.Type { return hm.NewFnType(tensorTypes(op.dims, op.dims, 2)...) }
func (op affineGradWeightOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	xs, err := inputShape(op, ds, 0)
	if err != nil {
		return nil, err
	}
	gs, err := inputShape(op, ds, 1)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{xs[len(xs)-1], gs[len(gs)-1]}, nil
}
func (op affineGradWeightOp) Hashcode() uint32 { return opHashcode(op) }
func (op affineGradWeightOp) WriteHash(h hash.Hash) {
	writeOpHash(h, "AffineGradWeight", uint64(op.dims))
}
func (op affineGradWeightOp) String() string { return "AffineGradWeight" }
func (op affineGradWeightOp) Do(values ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(nil, values...)
}

func (op affineGradWeightOp) UsePreallocDo(prealloc gorgonia.Value, values ...gorgonia.Value) (gorgonia.Value, error) {
	if err := opInputs(op, values, 2); err != nil {
		return nil, err
	}
	x, g, err := twoFloatInputs(op, values)
	if err != nil {
		return nil, err
	}
	in, out := x.Shape()[x.Dims()-1], g.Shape()[g.Dims()-1]
	dw, err := outputFor(op, prealloc, x.Dtype(), tensor.Shape{in, out})
	if err != nil {
		return nil, err
	}
	gemm(blas.Trans, blas.NoTrans, in, out, x.Shape().TotalSize()/in, x, g, 0, dw)
	return dw, nil
}

// sumRowsOp sums dy [..., out] over every leading dimension: [out].
type sumRowsOp struct {
	opTraits
	dims int // rank of x and dy
}

func (op sumRowsOp) Arity() int    { return 1 }
func (op sumRowsOp) Type() hm.Type { return hm.NewFnType(tensorTypes(op.dims, 1)...) }
func (op sumRowsOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	gs, err := inputShape(op, ds, 0)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{gs[len(gs)-1]}, nil
}
func (op sumRowsOp) Hashcode() uint32      { return opHashcode(op) }
func (op sumRowsOp) WriteHash(h hash.Hash) { writeOpHash(h, "SumRows", uint64(op.dims)) }
func (op sumRowsOp) String() string        { return "SumRows" }
func (op sumRowsOp) Do(values ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(nil, values...)
}

func (op sumRowsOp) UsePreallocDo(prealloc gorgonia.Value, values ...gorgonia.Value) (gorgonia.Value, error) {
	if err := opInputs(op, values, 1); err != nil {
		return nil, err
	}
	g, err := floatInput(op, values, 0)
	if err != nil {
		return nil, err
	}
	out := g.Shape()[g.Dims()-1]
	db, err := outputFor(op, prealloc, g.Dtype(), tensor.Shape{out})
	if err != nil {
		return nil, err
	}
	if g.Dtype() == tensor.Float32 {
		sumRows(elems[float32](g), elems[float32](db), out)
	} else {
		sumRows(elems[float64](g), elems[float64](db), out)
	}
	return db, nil
}

// sumRows sets db[j] = Σ_r g[r·out + j], the sum of the rows of g [rows, out]
// (every element of db is written; its old contents are ignored), each
// column in row order. In float32 each row is added with vec32.AddTo (AVX2,
// 8 columns at a time), giving the same bits as the scalar loop.
//
// It runs on one goroutine: splitting the columns between goroutines (each
// adding its part of every row) was slower on the shared 2-core development
// machine for every shape of BenchmarkSumRows, 2048×128 up to 16384×512; the
// sum is bound by memory and by the per-row calls.
func sumRows[T opFloat](g, db []T, out int) {
	clear(db)
	if g32, ok := any(g).([]float32); ok {
		db32 := any(db).([]float32)
		for r := 0; r < len(g32); r += out {
			vec32.AddTo(db32, g32[r:r+out])
		}
		return
	}
	for r := 0; r < len(g); r += out {
		for j, v := range g[r : r+out] {
			db[j] += v
		}
	}
}

// twoFloatInputs returns inputs 0 and 1 as contiguous float tensors of one dtype.
func twoFloatInputs(op fmt.Stringer, values []gorgonia.Value) (a, b *tensor.Dense, err error) {
	if a, err = floatInput(op, values, 0); err != nil {
		return nil, nil, err
	}
	if b, err = floatInput(op, values, 1); err != nil {
		return nil, nil, err
	}
	if a.Dtype() != b.Dtype() {
		return nil, nil, errors.Errorf("%v: inputs are %v and %v", op, a.Dtype(), b.Dtype())
	}
	return a, b, nil
}

// gemm computes c = op(a)·op(b) + beta·c for row-major contiguous tensors,
// with op(a) [m,k] and op(b) [k,n], through the BLAS in use (internal/sgemm
// and gonum's pure Go by default, OpenBLAS with -tags openblas). The
// single-threaded SGEMMs (internal/sgemm, OpenBLAS as set up here) get their
// rows split between goroutines; gonum's Dgemm runs its own goroutines.
func gemm(ta, tb blas.Transpose, m, n, k int, a, b *tensor.Dense, beta float64, c *tensor.Dense) {
	if BLASName == "openblas" || c.Dtype() == tensor.Float32 {
		gemmRows(ta, tb, m, n, k, a, b, beta, c)
		return
	}
	lda, ldb := k, n
	if ta == blas.Trans {
		lda = m
	}
	if tb == blas.Trans {
		ldb = k
	}
	if c.Dtype() == tensor.Float32 {
		blas32.Implementation().Sgemm(ta, tb, m, n, k, 1, a.Float32s(), lda, b.Float32s(), ldb, float32(beta), c.Float32s(), n)
		return
	}
	blas64.Implementation().Dgemm(ta, tb, m, n, k, 1, a.Float64s(), lda, b.Float64s(), ldb, beta, c.Float64s(), n)
}

// boolParam is a bool as a hash parameter.
func boolParam(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
