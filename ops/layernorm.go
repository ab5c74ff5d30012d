package ops

import (
	"fmt"
	"math"

	"github.com/gorgonet/gorgonet/internal/vec32"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LayerNorm returns the layer normalisation of x over its last axis (Ba,
// Kiros & Hinton 2016, "Layer Normalization") as one operation:
//
//	y = (x − mean(x)) / √(var(x) + eps) ⊙ w + b
//
// with the biased variance, as PyTorch's nn.LayerNorm; x is [..., D]
// (rank ≥ 1), w [D] and b [D] or nil, y has the shape of x. Built from
// gorgonia's Mean, BroadcastSub, Square, Pow and broadcast products instead
// it takes nine nodes, each with its own buffer, broadcasts and gradient. The gradients, with x̂ = (x − mean)·r, r = 1/√(var+eps) and
// ĝ = dy ⊙ w, are
//
//	dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂))   (row by row)
//	dw = Σ_rows dy ⊙ x̂,   db = Σ_rows dy.
func LayerNorm(x, w, b *gorgonia.Node, eps float64) (*gorgonia.Node, error) {
	for _, n := range []*gorgonia.Node{x, w} {
		if err := checkFloatNode("LayerNorm", n); err != nil {
			return nil, err
		}
	}
	xs := x.Shape()
	d := xs[xs.Dims()-1]
	children := []*gorgonia.Node{x, w}
	for _, p := range []*gorgonia.Node{w, b} {
		if p != nil && (p.Dtype() != x.Dtype() || !p.Shape().Eq(tensor.Shape{d})) {
			return nil, errors.Errorf("ops: LayerNorm: x is %v %v, gain or bias %v %v, want %v (%d)", x.Dtype(), xs, p.Dtype(), p.Shape(), x.Dtype(), d)
		}
	}
	if b != nil {
		children = append(children, b)
	}
	if !(eps > 0) {
		return nil, errors.Errorf("ops: LayerNorm: eps must be positive, got %v", eps)
	}
	y, err := apply(layerNormOp{eps: eps, bias: b != nil, dims: xs.Dims()}, children...)
	return y, errors.Wrap(err, "ops: LayerNorm")
}

// layerNormOp is the forward op of LayerNorm for x of rank dims.
type layerNormOp struct {
	eps  float64
	bias bool
	dims int
}

func (op layerNormOp) String() string {
	return fmt.Sprintf("LayerNorm{eps=%g, bias=%v}", op.eps, op.bias)
}

func (op layerNormOp) spec() spec {
	s := spec{params: []uint64{math.Float64bits(op.eps), boolParam(op.bias), uint64(op.dims)}}
	if op.bias {
		s.types = tensorTypes(op.dims, 1, 1, op.dims)
	} else {
		s.types = tensorTypes(op.dims, 1, op.dims)
	}
	return s
}

func (op layerNormOp) shape(in []tensor.Shape) (tensor.Shape, error) { return in[0], nil }

func (op layerNormOp) diffWRT() []bool { return allInputs(op.spec().arity()) }

func (op layerNormOp) symDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	x, w := inputs[0], inputs[1]
	dx, err := apply(layerNormGradOp{fwd: op, wrt: lnWrtInput}, x, w, grad)
	if err != nil {
		return nil, errors.Wrapf(err, "%v gradient wrt x", op)
	}
	dw, err := apply(layerNormGradOp{fwd: op, wrt: lnWrtGain}, x, w, grad)
	if err != nil {
		return nil, errors.Wrapf(err, "%v gradient wrt gain", op)
	}
	if !op.bias {
		return gorgonia.Nodes{dx, dw}, nil
	}
	db, err := apply(sumRowsOp{dims: op.dims}, grad)
	if err != nil {
		return nil, errors.Wrapf(err, "%v gradient wrt bias", op)
	}
	return gorgonia.Nodes{dx, dw, db}, nil
}

func (op layerNormOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	x, w, err := lnInputs(op, values)
	if err != nil {
		return nil, err
	}
	var b *tensor.Dense
	if op.bias {
		if b, err = floatInput(op, values, 2); err != nil {
			return nil, err
		}
		if err = sameAs(op, b, w, "bias"); err != nil {
			return nil, err
		}
	}
	y, err := out.buffer(x.Dtype(), x.Shape())
	if err != nil {
		return nil, err
	}
	if x.Dtype() == tensor.Float32 {
		layerNormForward32(elems[float32](y), elems[float32](x), elems[float32](w), lnBias[float32](b), op.eps)
	} else {
		layerNormForward(elems[float64](y), elems[float64](x), elems[float64](w), lnBias[float64](b), op.eps)
	}
	return y, nil
}

// lnInputs returns x [..., D] and the gain w [D], checked.
func lnInputs(op fmt.Stringer, values []gorgonia.Value) (x, w *tensor.Dense, err error) {
	if x, w, err = twoFloatInputs(op, values); err != nil {
		return nil, nil, err
	}
	if d := x.Shape()[x.Dims()-1]; !w.Shape().Eq(tensor.Shape{d}) {
		return nil, nil, errors.Errorf("%v: x %v and gain %v, want gain (%d)", op, x.Shape(), w.Shape(), d)
	}
	return x, w, nil
}

// lnBias returns the elements of b, or nil for no bias.
func lnBias[T opFloat](b *tensor.Dense) []T {
	if b == nil {
		return nil
	}
	return elems[T](b)
}

// lnStats returns the mean of row and 1/√(var+eps).
func lnStats[T opFloat](row []T, eps float64) (mean, rstd float64) {
	var s float64
	for _, v := range row {
		s += float64(v)
	}
	mean = s / float64(len(row))
	var ss float64
	for _, v := range row {
		c := float64(v) - mean
		ss += c * c
	}
	return mean, 1 / math.Sqrt(ss/float64(len(row))+eps)
}

func layerNormForward[T opFloat](y, x, w, b []T, eps float64) {
	d := len(w)
	rows := len(x) / d
	parallelFor(rows, 8*len(x), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
			mean, rstd := lnStats(xr, eps)
			for j, v := range xr {
				o := (float64(v) - mean) * rstd * float64(w[j])
				if b != nil {
					o += float64(b[j])
				}
				yr[j] = T(o)
			}
		}
	})
}

// The float32 kernels below do the work of layerNormForward,
// layerNormGradInput and layerNormGradGain row by row with package vec32's
// AVX2 kernels, in float32 (the scalar float64 loops took ~7% of a
// Transformer training step). Float64 keeps the loops above.

// lnStats32 returns the float32 mean of row and 1/√(var+eps).
func lnStats32(row []float32, eps float64) (mean, rstd float32) {
	mean, v := vec32.MeanVar(row)
	return mean, float32(1 / math.Sqrt(float64(v)+eps))
}

// layerNormForward32 is layerNormForward in float32; b may be nil.
func layerNormForward32(y, x, w, b []float32, eps float64) {
	d := len(w)
	parallelFor(len(x)/d, 8*len(x), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr := x[r*d : (r+1)*d]
			mean, rstd := lnStats32(xr, eps)
			vec32.Normalize(y[r*d:(r+1)*d], xr, w, b, mean, rstd)
		}
	})
}

// layerNormGradInput32 is layerNormGradInput in float32.
func layerNormGradInput32(dx, x, w, g []float32, eps float64) {
	d := len(w)
	parallelFor(len(x)/d, 12*len(x), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr := x[r*d : (r+1)*d]
			mean, rstd := lnStats32(xr, eps)
			vec32.NormalizeGrad(dx[r*d:(r+1)*d], xr, w, g[r*d:(r+1)*d], mean, rstd)
		}
	})
}

// lnGainBlock is the number of rows whose gain gradients layerNormGradGain32
// sums in float32 before adding them up in float64.
const lnGainBlock = 64

// layerNormGradGain32 is layerNormGradGain in float32: each block of
// lnGainBlock rows is summed in float32 (on all CPUs), the blocks in float64,
// in a fixed order, so the result does not depend on the number of CPUs.
func layerNormGradGain32(dw, x, g []float32, eps float64) {
	d := len(dw)
	rows := len(x) / d
	blocks := (rows + lnGainBlock - 1) / lnGainBlock
	part := make([]float32, blocks*d)
	parallelFor(blocks, 8*len(x), func(lo, hi int) {
		for blk := lo; blk < hi; blk++ {
			acc := part[blk*d : (blk+1)*d]
			for r := blk * lnGainBlock; r < min((blk+1)*lnGainBlock, rows); r++ {
				xr := x[r*d : (r+1)*d]
				mean, rstd := lnStats32(xr, eps)
				vec32.NormalizeGainGrad(acc, xr, g[r*d:(r+1)*d], mean, rstd)
			}
		}
	})
	for j := range dw {
		var s float64
		for blk := 0; blk < blocks; blk++ {
			s += float64(part[blk*d+j])
		}
		dw[j] = float32(s)
	}
}

// lnWrt names the input a layerNormGradOp differentiates with respect to.
type lnWrt int

const (
	lnWrtInput lnWrt = iota // dx [..., D]
	lnWrtGain               // dw [D]
)

// layerNormGradOp computes dx or dw of LayerNorm from x, the gain w and the
// output gradient dy.
type layerNormGradOp struct {
	fwd layerNormOp
	wrt lnWrt
}

func (op layerNormGradOp) String() string {
	if op.wrt == lnWrtGain {
		return op.fwd.String() + "GradGain"
	}
	return op.fwd.String() + "GradInput"
}

// spec: x [..., D], w [D] and dy [..., D] give dx [..., D] or dw [D].
func (op layerNormGradOp) spec() spec {
	d, result := op.fwd.dims, op.fwd.dims
	if op.wrt == lnWrtGain {
		result = 1
	}
	return spec{types: tensorTypes(d, 1, d, result), params: append(op.fwd.spec().params, uint64(op.wrt))}
}

func (op layerNormGradOp) shape(in []tensor.Shape) (tensor.Shape, error) {
	if op.wrt == lnWrtGain {
		return in[1], nil
	}
	return in[0], nil
}

func (op layerNormGradOp) compute(o output, values []gorgonia.Value) (gorgonia.Value, error) {
	x, w, err := lnInputs(op, values)
	if err != nil {
		return nil, err
	}
	g, err := floatInput(op, values, 2)
	if err != nil {
		return nil, err
	}
	if err = sameAs(op, g, x, "output gradient"); err != nil {
		return nil, err
	}
	shape := x.Shape()
	if op.wrt == lnWrtGain {
		shape = w.Shape()
	}
	out, err := o.buffer(x.Dtype(), shape)
	if err != nil {
		return nil, err
	}
	eps := op.fwd.eps
	switch {
	case x.Dtype() == tensor.Float32 && op.wrt == lnWrtGain:
		layerNormGradGain32(elems[float32](out), elems[float32](x), elems[float32](g), eps)
	case x.Dtype() == tensor.Float32:
		layerNormGradInput32(elems[float32](out), elems[float32](x), elems[float32](w), elems[float32](g), eps)
	case op.wrt == lnWrtGain:
		layerNormGradGain(elems[float64](out), elems[float64](x), elems[float64](g), eps)
	default:
		layerNormGradInput(elems[float64](out), elems[float64](x), elems[float64](w), elems[float64](g), eps)
	}
	return out, nil
}

// layerNormGradInput writes dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)), ĝ = g ⊙ w,
// row by row.
func layerNormGradInput[T opFloat](dx, x, w, g []T, eps float64) {
	d := len(w)
	rows := len(x) / d
	parallelFor(rows, 12*len(x), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, gr, dr := x[r*d:(r+1)*d], g[r*d:(r+1)*d], dx[r*d:(r+1)*d]
			mean, rstd := lnStats(xr, eps)
			var sg, sgx float64
			for j, v := range xr {
				gh := float64(gr[j]) * float64(w[j])
				sg += gh
				sgx += gh * (float64(v) - mean) * rstd
			}
			sg /= float64(d)
			sgx /= float64(d)
			for j, v := range xr {
				xh := (float64(v) - mean) * rstd
				dr[j] = T(rstd * (float64(gr[j])*float64(w[j]) - sg - xh*sgx))
			}
		}
	})
}

// layerNormGradGain writes dw = Σ_rows g ⊙ x̂.
func layerNormGradGain[T opFloat](dw, x, g []T, eps float64) {
	d := len(dw)
	acc := make([]float64, d)
	for r := 0; r < len(x)/d; r++ {
		xr, gr := x[r*d:(r+1)*d], g[r*d:(r+1)*d]
		mean, rstd := lnStats(xr, eps)
		for j, v := range xr {
			acc[j] += float64(gr[j]) * (float64(v) - mean) * rstd
		}
	}
	for j, v := range acc {
		dw[j] = T(v)
	}
}
