package layers

import (
	"math"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Linear is a fully connected (affine) layer y = x·W + b, PyTorch's nn.Linear
// with gorgonet's [in, out] weight layout.
type Linear struct {
	Weight *graph.Param // "<name>.weight" [In, Out]
	Bias   *graph.Param // "<name>.bias" [Out]; nil with NoBias
	In     int          // size of the last axis of the input
	Out    int          // size of the last axis of the output
	name   string
}

// NewLinear adds a Linear layer named name to m. By default the weight and
// the bias are drawn from U(−1/√in, 1/√in), as PyTorch's nn.Linear does; the
// options NoBias, WeightInit and BiasInit change that.
func NewLinear(m *graph.Model, name string, in, out int, opts ...Option) (*Linear, error) {
	id := layerID("Linear", name)
	if err := checkPositive(id, "in and out", in, out); err != nil {
		return nil, err
	}
	a := 1 / math.Sqrt(float64(in))
	o := applyOptions(options{weightInit: graph.Uniform(-a, a), biasInit: graph.Uniform(-a, a)}, opts)
	l := &Linear{In: in, Out: out, name: name}
	var err error
	if l.Weight, err = m.NewParam(graph.Join(name, "weight"), tensor.Shape{in, out}, o.weightInit); err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	if !o.noBias {
		if l.Bias, err = m.NewParam(graph.Join(name, "bias"), tensor.Shape{out}, o.biasInit); err != nil {
			return nil, errors.Wrapf(err, "layers: %s", id)
		}
	}
	return l, nil
}

// Name returns the name the layer was created with.
func (l *Linear) Name() string { return l.name }

// Forward applies the layer to x of shape [N,In], [B,T,In] or [B,H,T,In] and
// returns [N,Out], [B,T,Out] or [B,H,T,Out]: x·W + b over the last axis, as
// one ops.Affine operation (one matrix product over all leading axes; safe
// inside a residual Add(x, Linear(x)), which gorgonia's Reshape+Mul is not).
func (l *Linear) Forward(x *gorgonia.Node) (*gorgonia.Node, error) {
	id := layerID("Linear", l.name)
	if err := checkInput(id, x, l.Weight.Node().Dtype(), rowLayouts, l.In); err != nil {
		return nil, err
	}
	var b *gorgonia.Node
	if l.Bias != nil {
		b = l.Bias.Node()
	}
	y, err := ops.Affine(x, l.Weight.Node(), b)
	return y, errors.Wrapf(err, "layers: %s", id)
}

// reshape reshapes x to shape, returning x itself when it already has it.
func reshape(x *gorgonia.Node, shape tensor.Shape) (*gorgonia.Node, error) {
	if x.Shape().Eq(shape) {
		return x, nil
	}
	y, err := gorgonia.Reshape(x, shape)
	return y, errors.Wrapf(err, "reshaping %v to %v", x.Shape(), shape)
}
