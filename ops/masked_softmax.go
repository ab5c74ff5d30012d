package ops

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/internal/vec32"
)

// MaskedSoftmax returns the fused scaled and masked softmax of scores of shape
// [B,…,Tq,Tk] (any number of middle axes, typically heads) over the last axis:
//
//	weights[b,…,i,j] = exp(scale·s_ij) / Σ_visible exp(scale·s_ik)
//
// over the keys j visible to query i, and exactly 0 for the others (the
// softmax runs over the visible keys only; no large negative bias pushes the
// masked ones towards zero). With causal set query i sees only keys j ≤ i
// (it needs Tq = Tk); keyPadding, when not nil, is [B,Tk] of the scores'
// element type, nonzero where key j of sequence b is visible and 0 where it
// is padding (PaddingMask). A query that sees no key at all gets an all-zero
// row of weights, hence a zero gradient, never NaN. The gradient with respect
// to the scores is scale · y ⊙ (g − Σ_j y_j g_j) row by row; keyPadding gets
// none.
func MaskedSoftmax(scores *gorgonia.Node, scale float64, causal bool, keyPadding *gorgonia.Node) (*gorgonia.Node, error) {
	if err := checkFloatNode("MaskedSoftmax", scores); err != nil {
		return nil, err
	}
	s := scores.Shape()
	if s.Dims() < 3 {
		return nil, errors.Errorf("masked softmax: scores of shape %v, want [B,…,Tq,Tk]", s)
	}
	tq, tk := s[s.Dims()-2], s[s.Dims()-1]
	if causal && tq != tk {
		return nil, errors.Errorf("masked softmax: a causal mask needs as many queries as keys, scores have shape %v (Tq %d, Tk %d)", s, tq, tk)
	}
	op := maskedSoftmaxOp{scale: scale, causal: causal}
	if keyPadding == nil {
		return apply(op, scores)
	}
	p := keyPadding
	if p.Dtype() != scores.Dtype() || !p.Shape().Eq(tensor.Shape{s[0], tk}) {
		return nil, errors.Errorf("masked softmax: key-padding mask is %v %v, want %v [B,Tk] = [%d,%d] for scores %v",
			p.Dtype(), p.Shape(), scores.Dtype(), s[0], tk, s)
	}
	op.padded = true
	return apply(op, scores, p)
}

// maskedSoftmaxOp is the forward op of MaskedSoftmax. Inputs: the scores and,
// when padded, the key-padding mask [B,Tk].
type maskedSoftmaxOp struct {
	scale  float64
	causal bool
	padded bool
}

func (op maskedSoftmaxOp) String() string {
	return fmt.Sprintf("MaskedSoftmax{scale=%.4g, causal=%v, padded=%v}", op.scale, op.causal, op.padded)
}

// spec: a → a, or a → m → a with the mask (m, not b: gorgonia's type
// inference uses b for the result).
func (op maskedSoftmaxOp) spec() spec {
	s := spec{types: unaryType(), params: []uint64{math.Float64bits(op.scale), boolParam(op.causal), boolParam(op.padded)}}
	if op.padded {
		s.types = []hm.Type{s.types[0], hm.TypeVariable('m'), s.types[1]}
	}
	return s
}

func (op maskedSoftmaxOp) shape(in []tensor.Shape) (tensor.Shape, error) { return in[0], nil }

func (op maskedSoftmaxOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	x, err := floatInput(op, values, 0)
	if err != nil {
		return nil, err
	}
	var keep *tensor.Dense
	if op.padded {
		if keep, err = floatInput(op, values, 1); err != nil {
			return nil, err
		}
		if keep.Dtype() != x.Dtype() {
			return nil, errors.Errorf("%v: key-padding mask is %v, scores %v", op, keep.Dtype(), x.Dtype())
		}
	}
	y, err := out.buffer(x.Dtype(), x.Shape())
	if err != nil {
		return nil, err
	}
	g := newMaskedGeometry(x.Shape(), op.causal)
	if x.Dtype() == tensor.Float32 {
		maskedSoftmaxRows(g, x.Float32s(), y.Float32s(), optElems[float32](keep), float32(op.scale), maskedSoftmaxRow32)
	} else {
		maskedSoftmaxRows(g, x.Float64s(), y.Float64s(), optElems[float64](keep), op.scale, maskedSoftmaxRow[float64])
	}
	return y, nil
}

// diffWRT: the scores, not the mask.
func (op maskedSoftmaxOp) diffWRT() []bool { return []bool{true, false}[:op.spec().arity()] }

// symDiff returns ∂L/∂s = scale · y ⊙ (g − Σ_j y_j g_j) row by row, computed
// from the output y and its gradient g; masked entries have y = 0 and so get
// a zero gradient.
func (op maskedSoftmaxOp) symDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(maskedSoftmaxGradOp{scale: op.scale}, output, grad)
	if err != nil {
		return nil, errors.Wrapf(err, "%v gradient", op)
	}
	out := make(gorgonia.Nodes, len(inputs))
	out[0] = dx
	return out, nil
}

// maskedSoftmaxGradOp computes the gradient of maskedSoftmaxOp from its output
// y and the gradient g of the loss with respect to y.
type maskedSoftmaxGradOp struct{ scale float64 }

func (op maskedSoftmaxGradOp) String() string {
	return fmt.Sprintf("MaskedSoftmaxGrad{scale=%.4g}", op.scale)
}
func (op maskedSoftmaxGradOp) spec() spec {
	return spec{types: binaryType(), params: []uint64{math.Float64bits(op.scale)}}
}
func (op maskedSoftmaxGradOp) shape(in []tensor.Shape) (tensor.Shape, error) { return in[0], nil }

func (op maskedSoftmaxGradOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	dx, y, g, err := out.gradient(values)
	if err != nil {
		return nil, err
	}
	tk := y.Shape()[y.Dims()-1]
	if y.Dtype() == tensor.Float32 {
		maskedSoftmaxGradRows(y.Float32s(), g.Float32s(), dx.Float32s(), tk, float32(op.scale), vec32.SoftmaxGrad)
	} else {
		maskedSoftmaxGradRows(y.Float64s(), g.Float64s(), dx.Float64s(), tk, op.scale, softmaxGradRow[float64])
	}
	return dx, nil
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
func maskedSoftmaxRows[F opFloat](g maskedGeometry, x, y, keep []F, scale F, row func(x, y, keep []F, scale F)) {
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
func maskedSoftmaxRow[F opFloat](x, y, keep []F, scale F) {
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
// kernels (AVX2 exp, max, sums): exp(scale·(x − max)) of the visible
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
func maskedSoftmaxGradRows[F opFloat](y, g, dx []F, tk int, scale F, rowGrad func(dx, y, g []F, scale F)) {
	for off := 0; off < len(y); off += tk {
		rowGrad(dx[off:off+tk], y[off:off+tk], g[off:off+tk], scale)
	}
}

// softmaxGradRow writes dx = scale · y ⊙ (g − Σ_j y_j g_j) for one row.
func softmaxGradRow[F opFloat](dx, y, g []F, scale F) {
	var dot F
	for j, v := range y {
		dot += v * g[j]
	}
	for j, v := range y {
		dx[j] = scale * v * (g[j] - dot)
	}
}
