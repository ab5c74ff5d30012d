package layers

import (
	"reflect"
	"sort"

	"github.com/gorgonet/gorgonet/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// Activation is an elementwise nonlinearity (or, for Softmax, a function of
// the last axis) mapping a node to a node of the same shape. ReLU, GELU,
// GELUTanh, Tanh, Sigmoid and Softmax are Activations.
type Activation func(x *gorgonia.Node) (*gorgonia.Node, error)

// ReLU returns max(x, 0) elementwise (Nair & Hinton 2010).
func ReLU(x *gorgonia.Node) (*gorgonia.Node, error) {
	y, err := gorgonia.Rectify(x)
	return y, errors.Wrap(err, "layers: ReLU")
}

// GELU returns the exact Gaussian error linear unit x·Φ(x) elementwise
// (Hendrycks & Gimpel 2016), as in BERT and PyTorch's nn.GELU().
func GELU(x *gorgonia.Node) (*gorgonia.Node, error) {
	y, err := ops.GELU(x)
	return y, errors.Wrap(err, "layers: GELU")
}

// GELUTanh returns the tanh approximation of GELU elementwise, as in GPT-2
// and PyTorch's nn.GELU(approximate="tanh").
func GELUTanh(x *gorgonia.Node) (*gorgonia.Node, error) {
	y, err := ops.GELUTanh(x)
	return y, errors.Wrap(err, "layers: GELUTanh")
}

// Tanh returns tanh(x) elementwise.
func Tanh(x *gorgonia.Node) (*gorgonia.Node, error) {
	y, err := gorgonia.Tanh(x)
	return y, errors.Wrap(err, "layers: Tanh")
}

// Sigmoid returns the logistic function 1/(1+e^−x) elementwise.
func Sigmoid(x *gorgonia.Node) (*gorgonia.Node, error) {
	y, err := gorgonia.Sigmoid(x)
	return y, errors.Wrap(err, "layers: Sigmoid")
}

// Softmax returns softmax along the last axis of x ([N,V], [B,T,V], …): each
// vector becomes a probability distribution (Bridle 1990).
func Softmax(x *gorgonia.Node) (*gorgonia.Node, error) {
	y, err := ops.Softmax(x)
	return y, errors.Wrap(err, "layers: Softmax")
}

// activations maps the names accepted by ActivationByName to activations.
var activations = map[string]Activation{
	"relu":      ReLU,
	"gelu":      GELU,
	"gelu_tanh": GELUTanh,
	"tanh":      Tanh,
	"sigmoid":   Sigmoid,
}

// ActivationByName returns the activation called name: "relu", "gelu",
// "gelu_tanh", "tanh" or "sigmoid" (for configuration files and the trainer's
// flags).
func ActivationByName(name string) (Activation, error) {
	if act, ok := activations[name]; ok {
		return act, nil
	}
	names := make([]string, 0, len(activations))
	for n := range activations {
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, errors.Errorf("layers: unknown activation %q (known: %v)", name, names)
}

// ActivationName returns the name ActivationByName knows act by, and false
// for an activation defined elsewhere (or nil).
func ActivationName(act Activation) (string, bool) {
	if act == nil {
		return "", false
	}
	p := reflect.ValueOf(act).Pointer()
	for name, a := range activations {
		if reflect.ValueOf(a).Pointer() == p {
			return name, true
		}
	}
	return "", false
}
