package ops

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// GELU returns the Gaussian error linear unit of x, elementwise,
//
//	GELU(x) = x·Φ(x) = ½·x·(1 + erf(x/√2)),
//
// where Φ is the standard normal distribution function (Hendrycks & Gimpel
// 2016, "Gaussian Error Linear Units (GELUs)"). This is the exact form,
// PyTorch's default (nn.GELU(approximate="none")) and BERT's. x may have any
// shape of rank ≥ 1; the result has the shape of x.
func GELU(x *gorgonia.Node) (*gorgonia.Node, error) {
	return applyGELU(x, false)
}

// GELUTanh returns the tanh approximation of GELU used by GPT-2
// (Hendrycks & Gimpel 2016, section 2; PyTorch's nn.GELU(approximate="tanh")),
// elementwise:
//
//	GELUTanh(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
//
// x may have any shape of rank ≥ 1; the result has the shape of x.
func GELUTanh(x *gorgonia.Node) (*gorgonia.Node, error) {
	return applyGELU(x, true)
}

func applyGELU(x *gorgonia.Node, tanh bool) (*gorgonia.Node, error) {
	op := geluOp{tanh: tanh}
	if err := checkFloatNode(op.String(), x); err != nil {
		return nil, err
	}
	y, err := apply(op, x)
	return y, errors.Wrapf(err, "ops: %v", op)
}

const (
	geluInvSqrt2Pi  = 0.3989422804014327 // 1/√(2π)
	geluSqrt2OverPi = 0.7978845608028654 // √(2/π)
	geluTanhCubic   = 0.044715
)

// gelu returns GELU(x), exact or in its tanh approximation.
func gelu(x float64, tanh bool) float64 {
	if tanh {
		return 0.5 * x * (1 + math.Tanh(geluSqrt2OverPi*(x+geluTanhCubic*x*x*x)))
	}
	return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
}

// geluDeriv returns dGELU/dx: Φ(x) + x·φ(x) for the exact form.
func geluDeriv(x float64, tanh bool) float64 {
	if tanh {
		t := math.Tanh(geluSqrt2OverPi * (x + geluTanhCubic*x*x*x))
		return 0.5*(1+t) + 0.5*x*(1-t*t)*geluSqrt2OverPi*(1+3*geluTanhCubic*x*x)
	}
	return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*geluInvSqrt2Pi*math.Exp(-0.5*x*x)
}

// geluOp computes GELU or, with tanh set, GELUTanh elementwise.
type geluOp struct {
	tanh bool
}

func (op geluOp) spec() spec                                    { return spec{types: unaryType(), params: []uint64{boolParam(op.tanh)}} }
func (op geluOp) shape(in []tensor.Shape) (tensor.Shape, error) { return in[0], nil }

func (op geluOp) String() string {
	if op.tanh {
		return "GELUTanh"
	}
	return "GELU"
}

func (op geluOp) compute(o output, values []gorgonia.Value) (gorgonia.Value, error) {
	out, x, err := o.unary(values)
	if err != nil {
		return nil, err
	}
	if x.Dtype() == tensor.Float32 {
		geluKernel(elems[float32](out), elems[float32](x), op.tanh)
	} else {
		geluKernel(elems[float64](out), elems[float64](x), op.tanh)
	}
	return out, nil
}

func geluKernel[T opFloat](dst, src []T, tanh bool) {
	if d32, ok := any(dst).([]float32); ok && !tanh {
		geluKernel32(d32, any(src).([]float32), nil)
		return
	}
	for i, x := range src {
		dst[i] = T(gelu(float64(x), tanh))
	}
}

func (op geluOp) diffWRT() []bool { return []bool{true} }

// symDiff returns the gradient with respect to x: grad ⊙ GELU'(x).
func (op geluOp) symDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(geluDiffOp{tanh: op.tanh}, inputs[0], grad)
	if err != nil {
		return nil, errors.Wrapf(err, "%v gradient", op)
	}
	return gorgonia.Nodes{dx}, nil
}

// geluDiffOp computes grad ⊙ GELU'(x) from x and grad.
type geluDiffOp struct {
	tanh bool
}

func (op geluDiffOp) String() string { return geluOp{tanh: op.tanh}.String() + "Grad" }
func (op geluDiffOp) spec() spec {
	return spec{types: binaryType(), params: []uint64{boolParam(op.tanh)}}
}
func (op geluDiffOp) shape(in []tensor.Shape) (tensor.Shape, error) { return in[0], nil }

func (op geluDiffOp) compute(o output, values []gorgonia.Value) (gorgonia.Value, error) {
	out, x, g, err := o.gradient(values)
	if err != nil {
		return nil, err
	}
	if x.Dtype() == tensor.Float32 {
		geluGradKernel(elems[float32](out), elems[float32](x), elems[float32](g), op.tanh)
	} else {
		geluGradKernel(elems[float64](out), elems[float64](x), elems[float64](g), op.tanh)
	}
	return out, nil
}

func geluGradKernel[T opFloat](dx, x, g []T, tanh bool) {
	if d32, ok := any(dx).([]float32); ok && !tanh {
		geluKernel32(d32, any(x).([]float32), any(g).([]float32))
		return
	}
	for i, xi := range x {
		dx[i] = T(float64(g[i]) * geluDeriv(float64(xi), tanh))
	}
}
