package ops

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// Dropout returns inverted dropout of x with drop probability p
// (Srivastava et al. 2014, "Dropout: A Simple Way to Prevent Neural Networks
// from Overfitting"; PyTorch's nn.Dropout): each run of the program draws a
// fresh mask from the model's dropout RNG, zeroes every element of x with
// probability p and scales the kept ones by 1/(1−p), so the expected value of
// every element is unchanged. The gradient uses the same mask and scale.
// x may have any shape of rank ≥ 1; the result has the shape of x.
//
// In evaluation mode (m.SetTraining(false)) and for p == 0, Dropout returns x
// itself and adds nothing to the graph. p must be in [0,1).
//
// Masks are reproducible: they derive from the model's seed and are saved and
// restored with Model.DropoutState. Every call makes a distinct operation, so
// two dropouts of the same node draw independent masks.
func Dropout(m *graph.Model, x *gorgonia.Node, p float64) (*gorgonia.Node, error) {
	if m == nil {
		return nil, errors.New("ops: Dropout: nil model")
	}
	if !(p >= 0 && p < 1) {
		return nil, errors.Errorf("ops: Dropout: probability %v is not in [0,1)", p)
	}
	if err := checkFloatNode("Dropout", x); err != nil {
		return nil, err
	}
	if x.Graph() != m.Graph() {
		return nil, errors.Errorf("ops: Dropout: input %q is not in the model's graph", x.Name())
	}
	if p == 0 || !m.Training() {
		return x, nil
	}
	op := &dropoutOp{id: m.NewOpID(), p: p, rng: m.DropoutRNG()}
	y, err := apply(op, x)
	return y, errors.Wrapf(err, "ops: %v", op)
}

// dropoutOp applies inverted dropout. It keeps the mask of its last run for
// its gradient, which runs later in the same program run (dropoutDiffOp
// reads the op's output, so the tape machine orders it after the forward).
type dropoutOp struct {
	id   uint64  // unique within the model (graph.Model.NewOpID), so that no two dropouts merge
	p    float64 // drop probability, in (0,1)
	rng  *rand.Rand
	keep []bool // mask of the last run
}

func (op *dropoutOp) String() string { return fmt.Sprintf("Dropout{p=%v, id=%d}", op.p, op.id) }
func (op *dropoutOp) spec() spec {
	return spec{types: unaryType(), params: []uint64{op.id, math.Float64bits(op.p)}}
}
func (op *dropoutOp) shape(in []tensor.Shape) (tensor.Shape, error) { return in[0], nil }

// compute draws a new mask and applies it.
func (op *dropoutOp) compute(o output, values []gorgonia.Value) (gorgonia.Value, error) {
	out, x, err := o.unary(values)
	if err != nil {
		return nil, err
	}
	n := x.Shape().TotalSize()
	if cap(op.keep) < n {
		op.keep = make([]bool, n)
	}
	op.keep = op.keep[:n]
	for i := range op.keep {
		op.keep[i] = op.rng.Float64() >= op.p
	}
	op.apply(out, x)
	return out, nil
}

// apply writes src ⊙ mask / (1−p) into dst.
func (op *dropoutOp) apply(dst, src *tensor.Dense) {
	scale := 1 / (1 - op.p)
	if src.Dtype() == tensor.Float32 {
		maskKernel(elems[float32](dst), elems[float32](src), op.keep, scale)
	} else {
		maskKernel(elems[float64](dst), elems[float64](src), op.keep, scale)
	}
}

func maskKernel[T opFloat](dst, src []T, keep []bool, scale float64) {
	s := T(scale)
	for i, k := range keep {
		if k {
			dst[i] = src[i] * s
		} else {
			dst[i] = 0
		}
	}
}

func (op *dropoutOp) diffWRT() []bool { return []bool{true} }

// symDiff returns the gradient with respect to x: grad ⊙ mask / (1−p).
func (op *dropoutOp) symDiff(_ gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(dropoutDiffOp{fwd: op}, output, grad)
	if err != nil {
		return nil, errors.Wrapf(err, "%v gradient", op)
	}
	return gorgonia.Nodes{dx}, nil
}

// dropoutDiffOp applies the last mask of fwd to the output gradient. Its
// first input, the dropout's output, is not read: it orders the gradient
// after the forward run that drew the mask.
type dropoutDiffOp struct {
	fwd *dropoutOp
}

func (op dropoutDiffOp) String() string { return op.fwd.String() + "Grad" }
func (op dropoutDiffOp) spec() spec {
	return spec{types: binaryType(), params: op.fwd.spec().params}
}
func (op dropoutDiffOp) shape(in []tensor.Shape) (tensor.Shape, error) { return in[0], nil }

func (op dropoutDiffOp) compute(o output, values []gorgonia.Value) (gorgonia.Value, error) {
	_, g, err := gradInputs(op, values)
	if err != nil {
		return nil, err
	}
	if len(op.fwd.keep) != g.Shape().TotalSize() {
		return nil, errors.Errorf("%v: no mask for a gradient of shape %v (the forward has not run)", op, g.Shape())
	}
	out, err := o.buffer(g.Dtype(), g.Shape())
	if err != nil {
		return nil, err
	}
	op.fwd.apply(out, g)
	return out, nil
}
