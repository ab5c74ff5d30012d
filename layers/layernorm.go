package layers

import (
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/ops"
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
// last axis and returns a node of the same shape, as one fused operation
// with hand-written gradients (ops.LayerNorm).
func (ln *LayerNorm) Forward(x *gorgonia.Node) (*gorgonia.Node, error) {
	id := layerID("LayerNorm", ln.name)
	if err := checkInput(id, x, ln.m.Dtype(), rowLayouts, ln.Dim); err != nil {
		return nil, err
	}
	var b *gorgonia.Node
	if ln.Bias != nil {
		b = ln.Bias.Node()
	}
	y, err := ops.LayerNorm(x, ln.Weight.Node(), b, ln.Eps)
	return y, errors.Wrapf(err, "layers: %s", id)
}
