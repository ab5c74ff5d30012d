package layers

import (
	"github.com/gorgonet/gorgonet/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LayerNorm normalises every vector of its input over the last axis to zero
// mean and unit variance, then scales by a trained gain and shifts by a
// trained bias (Ba, Kiros & Hinton 2016, "Layer Normalization"):
//
//	y = (x − mean(x)) / √(var(x) + Eps) ⊙ weight + bias
//
// with the biased variance, as PyTorch's nn.LayerNorm.
type LayerNorm struct {
	Weight *graph.Param // gain "<name>.weight" [Dim], ones by default
	Bias   *graph.Param // shift "<name>.bias" [Dim], zeros by default; nil with NoBias
	Dim    int          // size of the normalised (last) axis
	Eps    float64      // added to the variance, 1e-5 by default
	m      *graph.Model
	name   string
}

// NewLayerNorm adds a LayerNorm named name over vectors of size dim to m.
// Options: Eps, NoBias, WeightInit (gain), BiasInit.
func NewLayerNorm(m *graph.Model, name string, dim int, opts ...Option) (*LayerNorm, error) {
	id := layerID("LayerNorm", name)
	if err := checkPositive(id, "dim", dim); err != nil {
		return nil, err
	}
	o := applyOptions(options{weightInit: graph.Ones(), biasInit: graph.Zeros(), eps: 1e-5}, opts)
	if !(o.eps > 0) {
		return nil, errors.Errorf("layers: %s: eps must be positive, got %v", id, o.eps)
	}
	ln := &LayerNorm{Dim: dim, Eps: o.eps, m: m, name: name}
	var err error
	if ln.Weight, err = m.NewParam(graph.Join(name, "weight"), tensor.Shape{dim}, o.weightInit); err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	if !o.noBias {
		if ln.Bias, err = m.NewParam(graph.Join(name, "bias"), tensor.Shape{dim}, o.biasInit); err != nil {
			return nil, errors.Wrapf(err, "layers: %s", id)
		}
	}
	return ln, nil
}

// Name returns the name the layer was created with.
func (ln *LayerNorm) Name() string { return ln.name }

// Forward normalises x of shape [N,Dim], [B,T,Dim] or [B,H,T,Dim] over its
// last axis and returns a node of the same shape.
//
// 1/√(var+ε) is built as Pow(var+ε, −0.5): Gorgonia v0.9.18's InverseSqrt
// has a wrong gradient.
func (ln *LayerNorm) Forward(x *gorgonia.Node) (*gorgonia.Node, error) {
	id := layerID("LayerNorm", ln.name)
	if err := checkInput(id, x, ln.m.Dtype(), rowLayouts, ln.Dim); err != nil {
		return nil, err
	}
	y, err := ln.forward(x)
	return y, errors.Wrapf(err, "layers: %s", id)
}

func (ln *LayerNorm) forward(x *gorgonia.Node) (*gorgonia.Node, error) {
	last := x.Dims() - 1
	lastAxis := []byte{byte(last)}
	leading := make([]byte, last)
	for i := range leading {
		leading[i] = byte(i)
	}
	mean, err := gorgonia.Mean(x, last)
	if err != nil {
		return nil, err
	}
	centred, err := gorgonia.BroadcastSub(x, mean, nil, lastAxis)
	if err != nil {
		return nil, err
	}
	sq, err := gorgonia.Square(centred)
	if err != nil {
		return nil, err
	}
	variance, err := gorgonia.Mean(sq, last)
	if err != nil {
		return nil, err
	}
	shifted, err := gorgonia.Add(variance, scalar(ln.m, ln.Eps))
	if err != nil {
		return nil, err
	}
	inv, err := gorgonia.Pow(shifted, scalar(ln.m, -0.5))
	if err != nil {
		return nil, err
	}
	y, err := gorgonia.BroadcastHadamardProd(centred, inv, nil, lastAxis)
	if err != nil {
		return nil, err
	}
	if y, err = gorgonia.BroadcastHadamardProd(y, ln.Weight.Node(), nil, leading); err != nil {
		return nil, err
	}
	if ln.Bias != nil {
		y, err = gorgonia.BroadcastAdd(y, ln.Bias.Node(), nil, leading)
	}
	return y, err
}

// scalar returns a constant c in the model's element type (a Float32 graph
// needs float32 constants).
func scalar(m *graph.Model, c float64) *gorgonia.Node {
	if m.Dtype() == tensor.Float32 {
		return gorgonia.NewConstant(float32(c))
	}
	return gorgonia.NewConstant(c)
}
