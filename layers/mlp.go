package layers

import (
	"fmt"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// MLP is a multilayer perceptron: Linear layers of the given sizes with an
// activation between consecutive layers and none after the last, so that the
// output is a linear read-out (a regression value or classification logits).
// With one hidden layer of enough units and a non-polynomial activation it
// can approximate any continuous function on a compact set (Cybenko 1989;
// Hornik 1991; Leshno et al. 1993).
type MLP struct {
	Layers []*Linear  // "<name>.0", "<name>.1", …; Layers[i] maps sizes[i] to sizes[i+1]
	Act    Activation // applied after every layer but the last
	name   string
}

// NewMLP adds an MLP named name to m with layer sizes sizes (input, hidden…,
// output; at least two) and activation act (which may be nil only when there
// is no hidden layer). opts are passed to every Linear layer.
func NewMLP(m *graph.Model, name string, sizes []int, act Activation, opts ...Option) (*MLP, error) {
	id := layerID("MLP", name)
	if len(sizes) < 2 {
		return nil, errors.Errorf("layers: %s: sizes %v, want at least input and output sizes", id, sizes)
	}
	if act == nil && len(sizes) > 2 {
		return nil, errors.Errorf("layers: %s: nil activation between layers of sizes %v", id, sizes)
	}
	mlp := &MLP{Act: act, name: name}
	for i := 0; i+1 < len(sizes); i++ {
		l, err := NewLinear(m, graph.Join(name, fmt.Sprint(i)), sizes[i], sizes[i+1], opts...)
		if err != nil {
			return nil, errors.Wrapf(err, "layers: %s: sizes %v", id, sizes)
		}
		mlp.Layers = append(mlp.Layers, l)
	}
	return mlp, nil
}

// Name returns the name the MLP was created with.
func (p *MLP) Name() string { return p.name }

// Forward applies the MLP to x of shape [N,in] or [B,T,in] (in = sizes[0])
// and returns [N,out] or [B,T,out] (out = the last size).
func (p *MLP) Forward(x *gorgonia.Node) (*gorgonia.Node, error) {
	id := layerID("MLP", p.name)
	h := x
	for i, l := range p.Layers {
		var err error
		if h, err = l.Forward(h); err != nil {
			return nil, errors.Wrapf(err, "layers: %s", id)
		}
		if i+1 < len(p.Layers) {
			if h, err = p.Act(h); err != nil {
				return nil, errors.Wrapf(err, "layers: %s: layer %d", id, i)
			}
		}
	}
	return h, nil
}
