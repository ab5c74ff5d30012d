package ops

import (
	"fmt"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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
		return nil, errors.Errorf("ops: Affine: x %v %v and weight %v %v do not fit: want x [..., in] and weight [in, out] of one dtype",
			x.Dtype(), xs, w.Dtype(), ws)
	}
	children := []*gorgonia.Node{x, w}
	if b != nil {
		if b.Dtype() != w.Dtype() || !b.Shape().Eq(tensor.Shape{ws[1]}) {
			return nil, errors.Errorf("ops: Affine: bias %v %v, want %v (%d)", b.Dtype(), b.Shape(), w.Dtype(), ws[1])
		}
		children = append(children, b)
	}
	y, err := apply(affineOp{bias: b != nil, dims: xs.Dims()}, children...)
	return y, errors.Wrap(err, "ops: Affine")
}

// affineOp computes x·W (+ b) for x of rank dims.
type affineOp struct {
	bias bool
	dims int
}

func (op affineOp) String() string { return fmt.Sprintf("Affine{bias=%v, dims=%d}", op.bias, op.dims) }

func (op affineOp) spec() spec {
	s := spec{params: []uint64{boolParam(op.bias), uint64(op.dims)}}
	if op.bias {
		s.types = tensorTypes(op.dims, 2, 1, op.dims)
	} else {
		s.types = tensorTypes(op.dims, 2, op.dims)
	}
	return s
}

// shape: x [..., in] and w [in, out] give [..., out].
func (op affineOp) shape(in []tensor.Shape) (tensor.Shape, error) {
	out := in[0]
	out[len(out)-1] = in[1][1]
	return out, nil
}

func (op affineOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	x, w, err := twoFloatInputs(op, values)
	if err != nil {
		return nil, err
	}
	xs, ws := x.Shape(), w.Shape()
	in, n := ws[0], ws[1]
	y, err := out.buffer(x.Dtype(), withLast(xs, n))
	if err != nil {
		return nil, err
	}
	rows := xs.TotalSize() / in
	if !op.bias {
		gemm(blas.NoTrans, blas.NoTrans, rows, n, in, x, w, 0, y)
		return y, nil
	}
	b, err := floatInput(op, values, 2)
	if err != nil {
		return nil, err
	}
	gemmRowsBias(rows, n, in, x, w, b, y)
	return y, nil
}

func (op affineOp) diffWRT() []bool { return allInputs(op.spec().arity()) }

func (op affineOp) symDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	x, w := inputs[0], inputs[1]
	dx, err := apply(affineGradInputOp{dims: op.dims}, grad, w)
	if err != nil {
		return nil, errors.Wrap(err, "ops: Affine gradient wrt x")
	}
	dw, err := apply(affineGradWeightOp{dims: op.dims}, x, grad)
	if err != nil {
		return nil, errors.Wrap(err, "ops: Affine gradient wrt weight")
	}
	if !op.bias {
		return gorgonia.Nodes{dx, dw}, nil
	}
	db, err := apply(sumRowsOp{dims: op.dims}, grad)
	if err != nil {
		return nil, errors.Wrap(err, "ops: Affine gradient wrt bias")
	}
	return gorgonia.Nodes{dx, dw, db}, nil
}

// affineGradInputOp computes dx = dy·Wᵀ from dy [..., out] and W [in,out].
type affineGradInputOp struct {
	dims int // rank of x and dy
}

func (op affineGradInputOp) String() string { return "AffineGradInput" }
func (op affineGradInputOp) spec() spec {
	return spec{types: tensorTypes(op.dims, 2, op.dims), params: []uint64{uint64(op.dims)}}
}

// shape: dy [..., out] and w [in, out] give [..., in].
func (op affineGradInputOp) shape(in []tensor.Shape) (tensor.Shape, error) {
	return withLast(in[0], in[1][0]), nil
}

func (op affineGradInputOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	g, w, err := twoFloatInputs(op, values)
	if err != nil {
		return nil, err
	}
	in, n := w.Shape()[0], w.Shape()[1]
	dx, err := out.buffer(g.Dtype(), withLast(g.Shape(), in))
	if err != nil {
		return nil, err
	}
	gemm(blas.NoTrans, blas.Trans, g.Shape().TotalSize()/n, in, n, g, w, 0, dx)
	return dx, nil
}

// affineGradWeightOp computes dW = xᵀ·dy from x [..., in] and dy [..., out].
type affineGradWeightOp struct {
	dims int // rank of x and dy
}

func (op affineGradWeightOp) String() string { return "AffineGradWeight" }
func (op affineGradWeightOp) spec() spec {
	return spec{types: tensorTypes(op.dims, op.dims, 2), params: []uint64{uint64(op.dims)}}
}

// shape: x [..., in] and dy [..., out] give [in, out].
func (op affineGradWeightOp) shape(in []tensor.Shape) (tensor.Shape, error) {
	return tensor.Shape{in[0][len(in[0])-1], in[1][len(in[1])-1]}, nil
}

func (op affineGradWeightOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	x, g, err := twoFloatInputs(op, values)
	if err != nil {
		return nil, err
	}
	in, n := x.Shape()[x.Dims()-1], g.Shape()[g.Dims()-1]
	dw, err := out.buffer(x.Dtype(), tensor.Shape{in, n})
	if err != nil {
		return nil, err
	}
	gemm(blas.Trans, blas.NoTrans, in, n, x.Shape().TotalSize()/in, x, g, 0, dw)
	return dw, nil
}
