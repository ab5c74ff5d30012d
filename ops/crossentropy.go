package ops

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CrossEntropy returns the mean softmax cross-entropy of logits against
// integer class targets, as one fused, numerically stable operation:
//
//	loss = (1/|K|) Σ_{n∈K} (log Σ_v exp(logits[n,v]) − logits[n, targets[n]]),
//
// where K is the set of positions whose target is not ignoreIndex
// (PyTorch's F.cross_entropy with ignore_index and mean reduction). logits
// is [N,V] or [B,T,V] of the model's dtype; targets is a tensor.Int node
// (Model.IndexInput) of shape [N] or [B,T]. The result is a scalar node.
// Pass −1 as ignoreIndex to count every position. At run time a target
// outside [0,V) other than ignoreIndex is an error naming its position and
// value. If every position is ignored, the loss and its gradient are 0.
//
// The gradient flows to logits only: (softmax(logits) − onehot(targets))/|K|
// on counted rows, 0 on ignored ones. It avoids gorgonia's ByIndices on the
// last axis, whose gradient is wrong in v0.9.18 (see traps_test.go).
func CrossEntropy(logits, targets *gorgonia.Node, ignoreIndex int) (*gorgonia.Node, error) {
	if err := checkFloatNode("CrossEntropy", logits); err != nil {
		return nil, err
	}
	ls := logits.Shape()
	if r := ls.Dims(); r != 2 && r != 3 {
		return nil, errors.Errorf("ops: CrossEntropy: logits %q of shape %v, want [N,V] or [B,T,V]", logits.Name(), ls)
	}
	if targets == nil {
		return nil, errors.New("ops: CrossEntropy: nil targets node")
	}
	if dt := targets.Dtype(); dt != tensor.Int {
		return nil, errors.Errorf("ops: CrossEntropy: targets %q are %v, want int (Model.IndexInput)", targets.Name(), dt)
	}
	if ts := targets.Shape(); !ts.Eq(ls[:len(ls)-1]) {
		return nil, errors.Errorf("ops: CrossEntropy: targets %q of shape %v do not match logits %q of shape %v (want %v)",
			targets.Name(), ts, logits.Name(), ls, ls[:len(ls)-1])
	}
	if logits.Graph() != targets.Graph() {
		return nil, errors.Errorf("ops: CrossEntropy: logits %q and targets %q belong to different graphs", logits.Name(), targets.Name())
	}
	op := crossEntropyOp{ignore: ignoreIndex, rank: ls.Dims()}
	loss, err := apply(op, logits, targets)
	return loss, errors.Wrapf(err, "ops: %v", op)
}

// crossEntropyOp computes the mean cross-entropy of logits of the given rank
// against targets, skipping positions whose target is ignore.
type crossEntropyOp struct {
	ignore int
	rank   int
}

func (op crossEntropyOp) String() string {
	return fmt.Sprintf("CrossEntropy{ignore=%d}", op.ignore)
}

// spec: Tensor-r a → Tensor-(r−1) Int → a.
func (op crossEntropyOp) spec() spec {
	a := hm.TypeVariable('a')
	return spec{types: []hm.Type{gorgonia.TensorType{Dims: op.rank, Of: a}, gorgonia.TensorType{Dims: op.rank - 1, Of: tensor.Int}, a},
		params: []uint64{uint64(op.ignore), uint64(op.rank)}}
}

func (op crossEntropyOp) shape([]tensor.Shape) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}

// compute returns the loss as a scalar of the logits' dtype (a new value:
// out is not used).
func (op crossEntropyOp) compute(_ output, values []gorgonia.Value) (gorgonia.Value, error) {
	logits, targets, err := crossEntropyInputs(op, values, op.ignore)
	if err != nil {
		return nil, err
	}
	v := logits.Shape()[logits.Dims()-1]
	var loss float64
	if logits.Dtype() == tensor.Float32 {
		loss = crossEntropyLoss(elems[float32](logits), targets, v, op.ignore)
	} else {
		loss = crossEntropyLoss(elems[float64](logits), targets, v, op.ignore)
	}
	return scalarOf(logits.Dtype(), loss), nil
}

// crossEntropyInputs returns the logits and the targets of a cross-entropy
// op, checking that every target is ignore or within [0,V).
func crossEntropyInputs(op fmt.Stringer, values []gorgonia.Value, ignore int) (*tensor.Dense, []int, error) {
	logits, err := floatInput(op, values, 0)
	if err != nil {
		return nil, nil, err
	}
	t, err := denseInput(op, values, 1)
	if err != nil {
		return nil, nil, err
	}
	ls := logits.Shape()
	if logits.Dims() < 2 || t.Dtype() != tensor.Int || !t.Shape().Eq(ls[:len(ls)-1]) {
		return nil, nil, errors.Errorf("%v: targets %v %v do not match logits %v", op, t.Dtype(), t.Shape(), ls)
	}
	targets := t.Ints()
	v := ls[len(ls)-1]
	for i, c := range targets {
		if c != ignore && (c < 0 || c >= v) {
			return nil, nil, errors.Errorf("%v: target at index %v is %d, outside [0,%d) and not the ignore index %d",
				op, unravel(i, t.Shape()), c, v, ignore)
		}
	}
	return logits, targets, nil
}

// unravel returns the coordinates of flat index i in a row-major shape.
func unravel(i int, shape tensor.Shape) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		idx[k] = i % shape[k]
		i /= shape[k]
	}
	return idx
}

// counted returns the number of targets that are not ignore.
func counted(targets []int, ignore int) int {
	n := 0
	for _, c := range targets {
		if c != ignore {
			n++
		}
	}
	return n
}

// crossEntropyLoss returns the mean over counted rows of logsumexp(row) − row[target].
func crossEntropyLoss[T opFloat](logits []T, targets []int, v, ignore int) float64 {
	n := counted(targets, ignore)
	if n == 0 {
		return 0
	}
	var scratch []float32
	if _, ok := any(logits).([]float32); ok {
		scratch = make([]float32, v)
	}
	var sum float64
	for i, c := range targets {
		if c == ignore {
			continue
		}
		row := logits[i*v : (i+1)*v]
		mx, logSum := logSumExpRow(row, scratch)
		sum += (mx - float64(row[c])) + logSum
	}
	return sum / float64(n)
}

func (op crossEntropyOp) diffWRT() []bool { return []bool{true, false} }

// symDiff returns the gradient with respect to the logits (none for the targets).
func (op crossEntropyOp) symDiff(inputs gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(crossEntropyDiffOp{fwd: op}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, errors.Wrapf(err, "%v gradient", op)
	}
	return gorgonia.Nodes{dx, nil}, nil
}

// crossEntropyDiffOp computes g·(softmax(logits) − onehot(targets))/|K| from
// logits, targets and the scalar output gradient g.
type crossEntropyDiffOp struct {
	fwd crossEntropyOp
}

func (op crossEntropyDiffOp) String() string { return op.fwd.String() + "Grad" }

// spec: Tensor-r a → Tensor-(r−1) Int → a → Tensor-r a.
func (op crossEntropyDiffOp) spec() spec {
	fwd := op.fwd.spec()
	return spec{types: []hm.Type{fwd.types[0], fwd.types[1], fwd.types[2], fwd.types[0]}, params: fwd.params}
}

func (op crossEntropyDiffOp) shape(in []tensor.Shape) (tensor.Shape, error) { return in[0], nil }

func (op crossEntropyDiffOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	logits, targets, err := crossEntropyInputs(op, values, op.fwd.ignore)
	if err != nil {
		return nil, err
	}
	g, err := scalarValue(op, values[2])
	if err != nil {
		return nil, err
	}
	dx, err := out.buffer(logits.Dtype(), logits.Shape())
	if err != nil {
		return nil, err
	}
	v := logits.Shape()[logits.Dims()-1]
	if logits.Dtype() == tensor.Float32 {
		crossEntropyGrad(elems[float32](dx), elems[float32](logits), targets, v, op.fwd.ignore, g)
	} else {
		crossEntropyGrad(elems[float64](dx), elems[float64](logits), targets, v, op.fwd.ignore, g)
	}
	return dx, nil
}

// crossEntropyGrad writes g·(softmax(row) − onehot(target))/|K| for every
// counted row of logits into dx, and zeros for ignored rows. dx may be logits.
func crossEntropyGrad[T opFloat](dx, logits []T, targets []int, v, ignore int, g float64) {
	n := counted(targets, ignore)
	scale := 0.0
	if n > 0 {
		scale = g / float64(n)
	}
	for i, c := range targets {
		x, d := logits[i*v:(i+1)*v], dx[i*v:(i+1)*v]
		if c == ignore {
			clear(d)
			continue
		}
		scaledSoftmaxRow(d, x, scale)
		d[c] -= T(scale)
	}
}
