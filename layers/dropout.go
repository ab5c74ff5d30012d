package layers

import (
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// Dropout zeroes each element of its input with probability P during
// training and scales the others by 1/(1−P), so that evaluation needs no
// rescaling (inverted dropout; Srivastava et al. 2014). It is the identity in
// graphs built in evaluation mode (Model.SetTraining(false)). Masks come from
// the model's seeded dropout RNG and are drawn afresh at every run.
type Dropout struct {
	P float64 // probability of dropping an element, in [0, 1)
	m *graph.Model
}

// NewDropout returns a Dropout dropping with probability p ∈ [0, 1) in m.
func NewDropout(m *graph.Model, p float64) (*Dropout, error) {
	if !(p >= 0 && p < 1) {
		return nil, errors.Errorf("layers: Dropout: probability %v outside [0, 1)", p)
	}
	return &Dropout{P: p, m: m}, nil
}

// Forward applies dropout to x of any shape and returns a node of the same
// shape; with P = 0 or in evaluation mode it returns x itself.
func (d *Dropout) Forward(x *gorgonia.Node) (*gorgonia.Node, error) {
	if x == nil {
		return nil, errors.New("layers: Dropout: nil input")
	}
	y, err := ops.Dropout(d.m, x, d.P)
	return y, errors.Wrapf(err, "layers: Dropout(%v) of %v", d.P, x.Shape())
}

// active reports whether d drops anything in the graph being built: it is
// not nil, P > 0 and the model is in training mode.
func (d *Dropout) active() bool { return d != nil && d.P > 0 && d.m.Training() }
