package graph

import (
	"fmt"
	"hash"
	"math"
	"math/rand/v2"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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
func Dropout(m *Model, x *gorgonia.Node, p float64) (*gorgonia.Node, error) {
	if m == nil {
		return nil, errors.New("graph: Dropout: nil model")
	}
	if !(p >= 0 && p < 1) {
		return nil, errors.Errorf("graph: Dropout: probability %v is not in [0,1)", p)
	}
	if err := checkFloatNode("Dropout", x); err != nil {
		return nil, err
	}
	if x.Graph() != m.g {
		return nil, errors.Errorf("graph: Dropout: input %q is not in the model's graph", x.Name())
	}
	if p == 0 || !m.training {
		return x, nil
	}
	op := &dropoutOp{id: m.newOpID(), p: p, rng: m.dropRNG}
	y, err := gorgonia.ApplyOp(op, x)
	return y, errors.Wrapf(err, "graph: %v", op)
}

// dropoutOp applies inverted dropout. It keeps the mask of its last run for
// its gradient, which runs later in the same program run (dropoutDiffOp
// reads the op's output, so the tape machine orders it after the forward).
type dropoutOp struct {
	opTraits
	id   uint64  // unique within the model (Model.newOpID), so that no two dropouts merge
	p    float64 // drop probability, in (0,1)
	rng  *rand.Rand
	keep []bool // mask of the last run
}

func (op *dropoutOp) Arity() int    { return 1 }
func (op *dropoutOp) Type() hm.Type { return unaryType() }
func (op *dropoutOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	return inputShape(op, ds, 0)
}
func (op *dropoutOp) Hashcode() uint32   { return opHashcode(op) }
func (op *dropoutOp) DiffWRT(int) []bool { return []bool{true} }

func (op *dropoutOp) WriteHash(h hash.Hash) {
	writeOpHash(h, "Dropout", op.id, math.Float64bits(op.p))
}

func (op *dropoutOp) String() string { return fmt.Sprintf("Dropout{p=%v, id=%d}", op.p, op.id) }

func (op *dropoutOp) Do(values ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(nil, values...)
}

// UsePreallocDo draws a new mask and computes into prealloc, or into a new
// tensor when prealloc is nil.
func (op *dropoutOp) UsePreallocDo(prealloc gorgonia.Value, values ...gorgonia.Value) (gorgonia.Value, error) {
	if err := opInputs(op, values, 1); err != nil {
		return nil, err
	}
	x, err := floatInput(op, values, 0)
	if err != nil {
		return nil, err
	}
	out, err := outputFor(op, prealloc, x.Dtype(), x.Shape())
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

// SymDiff returns the gradient with respect to x: grad ⊙ mask / (1−p).
func (op *dropoutOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if len(inputs) != 1 {
		return nil, errors.Errorf("%v: %d inputs, want 1", op, len(inputs))
	}
	dx, err := gorgonia.ApplyOp(dropoutDiffOp{fwd: op}, output, grad)
	if err != nil {
		return nil, errors.Wrapf(err, "%v gradient", op)
	}
	return gorgonia.Nodes{dx}, nil
}

// dropoutDiffOp applies the last mask of fwd to the output gradient. Its
// first input, the dropout's output, is not read: it orders the gradient
// after the forward run that drew the mask.
type dropoutDiffOp struct {
	opTraits
	fwd *dropoutOp
}

func (op dropoutDiffOp) Arity() int    { return 2 }
func (op dropoutDiffOp) Type() hm.Type { return binaryType() }
func (op dropoutDiffOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	return inputShape(op, ds, 0)
}
func (op dropoutDiffOp) Hashcode() uint32 { return opHashcode(op) }
func (op dropoutDiffOp) String() string   { return op.fwd.String() + "Grad" }

func (op dropoutDiffOp) WriteHash(h hash.Hash) {
	writeOpHash(h, "DropoutGrad", op.fwd.id, math.Float64bits(op.fwd.p))
}

func (op dropoutDiffOp) Do(values ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(nil, values...)
}

// UsePreallocDo computes into prealloc, or into a new tensor when prealloc is nil.
func (op dropoutDiffOp) UsePreallocDo(prealloc gorgonia.Value, values ...gorgonia.Value) (gorgonia.Value, error) {
	_, g, err := gradInputs(op, values)
	if err != nil {
		return nil, err
	}
	if len(op.fwd.keep) != g.Shape().TotalSize() {
		return nil, errors.Errorf("%v: no mask for a gradient of shape %v (the forward has not run)", op, g.Shape())
	}
	out, err := outputFor(op, prealloc, g.Dtype(), g.Shape())
	if err != nil {
		return nil, err
	}
	op.fwd.apply(out, g)
	return out, nil
}
