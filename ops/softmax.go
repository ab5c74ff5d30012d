package ops

import (
	"math"

	"github.com/gorgonet/gorgonet/internal/vec32"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Softmax returns softmax(x) along the last axis of x,
//
//	y_i = exp(x_i − m) / Σ_j exp(x_j − m),  m = max_j x_j,
//
// for x of any rank ≥ 1 ([V], [N,V], [B,T,V], [B,H,T,T], …); y has the shape
// of x (Bridle 1990, "Probabilistic interpretation of feedforward
// classification network outputs"). Subtracting the row maximum keeps it
// finite for large logits; mask attention scores with a large negative number
// such as −1e9, not −inf (a row of −inf has no maximum and gives NaN, as in
// PyTorch).
//
// Unlike gorgonia.SoftMax, it is never merged with LogSoftmax of the same
// node (gorgonia v0.9.18 hashes both ops alike; see traps_test.go).
func Softmax(x *gorgonia.Node) (*gorgonia.Node, error) {
	return applySoftmax(x, false)
}

// LogSoftmax returns log softmax(x) along the last axis of x,
//
//	y_i = x_i − m − log Σ_j exp(x_j − m),  m = max_j x_j,
//
// for x of any rank ≥ 1; y has the shape of x. It is computed directly, not
// as the logarithm of Softmax, so it stays finite where softmax underflows.
func LogSoftmax(x *gorgonia.Node) (*gorgonia.Node, error) {
	return applySoftmax(x, true)
}

func applySoftmax(x *gorgonia.Node, log bool) (*gorgonia.Node, error) {
	op := softmaxOp{log: log}
	if err := checkFloatNode(op.String(), x); err != nil {
		return nil, err
	}
	y, err := apply(op, x)
	return y, errors.Wrapf(err, "ops: %v", op)
}

// softmaxOp computes Softmax or, with log set, LogSoftmax along the last axis.
type softmaxOp struct {
	log bool
}

func (op softmaxOp) spec() spec                                    { return spec{types: unaryType(), params: []uint64{boolParam(op.log)}} }
func (op softmaxOp) shape(in []tensor.Shape) (tensor.Shape, error) { return in[0], nil }

func (op softmaxOp) String() string {
	if op.log {
		return "LogSoftmax"
	}
	return "Softmax"
}

func (op softmaxOp) compute(o output, values []gorgonia.Value) (gorgonia.Value, error) {
	out, x, err := o.unary(values)
	if err != nil {
		return nil, err
	}
	v := x.Shape()[x.Dims()-1]
	if x.Dtype() == tensor.Float32 {
		softmaxRows(elems[float32](out), elems[float32](x), v, op.log)
	} else {
		softmaxRows(elems[float64](out), elems[float64](x), v, op.log)
	}
	return out, nil
}

func (op softmaxOp) diffWRT() []bool { return []bool{true} }

// symDiff returns the gradient with respect to x, computed from the output y.
func (op softmaxOp) symDiff(_ gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(softmaxDiffOp{log: op.log}, output, grad)
	if err != nil {
		return nil, errors.Wrapf(err, "%v gradient", op)
	}
	return gorgonia.Nodes{dx}, nil
}

// softmaxRows writes softmax (or log-softmax) of each run of v elements of src into dst.
// dst may be src.
func softmaxRows[T opFloat](dst, src []T, v int, log bool) {
	if d32, ok := any(dst).([]float32); ok {
		softmaxRows32(d32, any(src).([]float32), v, log)
		return
	}
	for r := 0; r < len(src); r += v {
		x, y := src[r:r+v], dst[r:r+v]
		if log {
			mx, logSum := logSumExp(x)
			for i, xi := range x {
				y[i] = T((float64(xi) - mx) - logSum)
			}
			continue
		}
		scaledSoftmaxRow(y, x, 1)
	}
}

// scaledSoftmaxRow writes k·softmax(x) into d, which may be x; with vec32's
// kernels in float32.
func scaledSoftmaxRow[T opFloat](d, x []T, k float64) {
	if d32, ok := any(d).([]float32); ok {
		x32 := any(x).([]float32)
		s := vec32.ExpSum(d32, x32, 1, vec32.Max(x32))
		vec32.Scale(d32, d32, float32(k/float64(s)))
		return
	}
	mx := rowMax(x)
	var s float64
	for j, xj := range x {
		e := math.Exp(float64(xj) - mx)
		d[j] = T(e)
		s += e
	}
	k /= s
	for j := range d {
		d[j] = T(float64(d[j]) * k)
	}
}

// softmaxRows32 is softmaxRows in float32 with package vec32's AVX2 kernels:
// exp, max and sums in float32, within 6e-7 + |x − max|·6e-8
// relative of the float64 result.
func softmaxRows32(dst, src []float32, v int, log bool) {
	var scratch []float32
	if log {
		scratch = make([]float32, v)
	}
	for r := 0; r < len(src); r += v {
		x, y := src[r:r+v], dst[r:r+v]
		if !log {
			vec32.Softmax(y, x)
			continue
		}
		mx, logSum := logSumExp32(x, scratch)
		for i, xi := range x {
			y[i] = float32((float64(xi) - mx) - logSum)
		}
	}
}

// logSumExp32 is logSumExp of a float32 row with vec32's kernels; scratch,
// of the row's length, receives exp(row − m).
func logSumExp32(row, scratch []float32) (m, logSum float64) {
	mx := vec32.Max(row)
	return float64(mx), math.Log(float64(vec32.ExpSum(scratch, row, 1, mx)))
}

// logSumExpRow is logSumExp, with vec32's kernels (logSumExp32) for a
// float32 row; scratch is a float32 buffer of the row's length, nil for
// float64.
func logSumExpRow[T opFloat](row []T, scratch []float32) (m, logSum float64) {
	if r32, ok := any(row).([]float32); ok {
		return logSumExp32(r32, scratch)
	}
	return logSumExp(row)
}

// softmaxDiffOp computes the gradient of Softmax or LogSoftmax from the
// output y and the output gradient g, row by row along the last axis:
//
//	softmax:     dx_i = y_i (g_i − Σ_j g_j y_j)
//	log-softmax: dx_i = g_i − exp(y_i) Σ_j g_j
type softmaxDiffOp struct {
	log bool
}

func (op softmaxDiffOp) String() string { return softmaxOp{log: op.log}.String() + "Grad" }
func (op softmaxDiffOp) spec() spec {
	return spec{types: binaryType(), params: []uint64{boolParam(op.log)}}
}
func (op softmaxDiffOp) shape(in []tensor.Shape) (tensor.Shape, error) { return in[0], nil }

func (op softmaxDiffOp) compute(o output, values []gorgonia.Value) (gorgonia.Value, error) {
	out, y, g, err := o.gradient(values)
	if err != nil {
		return nil, err
	}
	v := y.Shape()[y.Dims()-1]
	if y.Dtype() == tensor.Float32 {
		softmaxGradRows(elems[float32](out), elems[float32](y), elems[float32](g), v, op.log)
	} else {
		softmaxGradRows(elems[float64](out), elems[float64](y), elems[float64](g), v, op.log)
	}
	return out, nil
}

// softmaxGradRows writes the gradient of each run of v elements into dx,
// which may be y or g.
func softmaxGradRows[T opFloat](dx, y, g []T, v int, log bool) {
	if d32, ok := any(dx).([]float32); ok {
		softmaxGradRows32(d32, any(y).([]float32), any(g).([]float32), v, log)
		return
	}
	for r := 0; r < len(y); r += v {
		yr, gr, dr := y[r:r+v], g[r:r+v], dx[r:r+v]
		var s float64
		if log {
			for _, gi := range gr {
				s += float64(gi)
			}
			for i := range dr {
				dr[i] = T(float64(gr[i]) - math.Exp(float64(yr[i]))*s)
			}
			continue
		}
		for i, gi := range gr {
			s += float64(gi) * float64(yr[i])
		}
		for i := range dr {
			dr[i] = T(float64(yr[i]) * (float64(gr[i]) - s))
		}
	}
}

// softmaxGradRows32 is softmaxGradRows in float32 with vec32's kernels.
func softmaxGradRows32(dx, y, g []float32, v int, log bool) {
	var e []float32
	if log {
		e = make([]float32, v)
	}
	for r := 0; r < len(y); r += v {
		yr, gr, dr := y[r:r+v], g[r:r+v], dx[r:r+v]
		if !log {
			vec32.SoftmaxGrad(dr, yr, gr, 1)
			continue
		}
		s := vec32.Sum(gr)
		vec32.Exp(e, yr)
		for i, ei := range e {
			dr[i] = gr[i] - ei*s
		}
	}
}
