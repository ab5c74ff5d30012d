package graph

import (
	"fmt"
	"math"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Param is a named, trainable tensor of a Model.
type Param struct {
	name    string
	node    *gorgonia.Node
	frozen  bool
	noDecay bool
}

// Name returns the parameter's hierarchical name, e.g. "blocks.0.attn.q.weight".
func (p *Param) Name() string { return p.name }

// Node returns the parameter's node in the model's graph.
func (p *Param) Node() *gorgonia.Node { return p.node }

// Shape returns the parameter's shape.
func (p *Param) Shape() tensor.Shape { return p.node.Shape().Clone() }

// Size returns the number of elements of the parameter.
func (p *Param) Size() int { return p.node.Shape().TotalSize() }

// Value returns the parameter's current value, which optimizers update in
// place; nil on a shape model (NewShapeModel).
func (p *Param) Value() *tensor.Dense {
	v, _ := p.node.Value().(*tensor.Dense)
	return v
}

// Grad returns the gradient accumulated by the last backward pass, or nil
// before the first one (and for frozen parameters).
func (p *Param) Grad() *tensor.Dense {
	g, err := p.node.Grad()
	if err != nil || g == nil {
		return nil
	}
	d, _ := g.(*tensor.Dense)
	return d
}

// Frozen reports whether the parameter is excluded from training.
func (p *Param) Frozen() bool { return p.frozen }

// SetFrozen excludes the parameter from (or returns it to) training. It must
// be called before Model.Compile.
func (p *Param) SetFrozen(frozen bool) { p.frozen = frozen }

// Decays reports whether decoupled weight decay applies to the parameter. By
// default it does for tensors of two or more dimensions and not for biases,
// norm gains and other 1-D parameters (as in nanoGPT and Loshchilov & Hutter).
func (p *Param) Decays() bool { return !p.noDecay }

// SetDecays overrides the default weight-decay choice.
func (p *Param) SetDecays(decays bool) { p.noDecay = !decays }

// Join joins name parts with dots, skipping empty parts:
// Join("blocks.0", "attn", "q") == "blocks.0.attn.q".
func Join(parts ...string) string {
	kept := parts[:0:0]
	for _, s := range parts {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return strings.Join(kept, ".")
}

// NewParam creates a parameter named name with the given shape, initialised
// by init from the model's initialisation RNG. Names must be unique.
func (m *Model) NewParam(name string, shape tensor.Shape, init Initializer) (*Param, error) {
	if init == nil {
		return nil, errors.Errorf("graph: parameter %q: nil initializer", name)
	}
	if err := m.checkParamLimit(name, shape); err != nil {
		return nil, err
	}
	if m.shapeOnly {
		return m.addParam(name, shape, nil)
	}
	values, err := init.Init(m.initRNG, shape)
	if err != nil {
		return nil, errors.Wrapf(err, "graph: initialising parameter %q", name)
	}
	return m.addParam(name, shape, values)
}

// NewParamFrom creates a parameter named name holding a copy of values, whose
// length must equal the product of shape.
func (m *Model) NewParamFrom(name string, shape tensor.Shape, values []float64) (*Param, error) {
	if m.shapeOnly {
		return m.addParam(name, shape, nil)
	}
	if len(values) != shape.TotalSize() {
		return nil, errors.Errorf("graph: parameter %q: %d values for shape %v", name, len(values), shape)
	}
	return m.addParam(name, shape, append([]float64(nil), values...))
}

func (m *Model) addParam(name string, shape tensor.Shape, values []float64) (*Param, error) {
	if name == "" {
		return nil, errors.New("graph: parameter with an empty name")
	}
	if _, dup := m.byName[name]; dup {
		return nil, errors.Errorf("graph: parameter %q already exists", name)
	}
	if m.compiled {
		return nil, errors.Errorf("graph: parameter %q added after the training program was compiled", name)
	}
	if err := m.checkParamLimit(name, shape); err != nil {
		return nil, err
	}
	m.paramElems += shape.TotalSize()
	opts := []gorgonia.NodeConsOpt{gorgonia.WithShape(shape.Clone()...), gorgonia.WithName(name)}
	if !m.shapeOnly {
		t := tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(m.castSlice(values)))
		opts = append(opts, gorgonia.WithValue(t))
	}
	node := gorgonia.NewTensor(m.g, m.dtype, len(shape), opts...)
	p := &Param{name: name, node: node, noDecay: len(shape) < 2}
	m.params = append(m.params, p)
	m.byName[name] = p
	return p, nil
}

// Params returns the model's parameters in creation order.
func (m *Model) Params() []*Param { return append([]*Param(nil), m.params...) }

// Param returns the parameter named name.
func (m *Model) Param(name string) (*Param, bool) {
	p, ok := m.byName[name]
	return p, ok
}

// castSlice converts float64 values to the model's element type.
func (m *Model) castSlice(values []float64) interface{} {
	if m.dtype == tensor.Float32 {
		out := make([]float32, len(values))
		for i, v := range values {
			out[i] = float32(v)
		}
		return out
	}
	return values
}

// SetParamLimit caps the number of elements of all the model's parameters
// together (0, the default: no cap). A NewParam or NewParamFrom that would
// pass the cap fails before it allocates anything, so that a model built from
// an untrusted description, such as the configuration stored in a
// checkpoint, allocates no more than the checkpoint's own tensors hold.
func (m *Model) SetParamLimit(elems int) { m.paramLimit = elems }

// ParamLimitError reports a parameter that would take a model past its
// limit of parameter elements (SetParamLimit).
type ParamLimitError struct {
	Param       string       // the parameter's name
	Shape       tensor.Shape // its shape
	Limit, Used int          // the limit, and the elements of the parameters made before it
}

func (e *ParamLimitError) Error() string {
	return fmt.Sprintf("graph: parameter %q of shape %v would take the model past its limit of %d parameter elements (%d used)",
		e.Param, e.Shape, e.Limit, e.Used)
}

// checkParamLimit checks shape (see checkShape) and that a parameter of that
// shape keeps the model within its limit, without overflowing.
func (m *Model) checkParamLimit(name string, shape tensor.Shape) error {
	if err := checkShape(shape); err != nil {
		return errors.Wrapf(err, "graph: parameter %q", name)
	}
	limit := m.paramLimit
	if limit <= 0 {
		limit = math.MaxInt
	}
	room := limit - m.paramElems
	for _, d := range shape {
		if room /= d; room == 0 {
			return &ParamLimitError{Param: name, Shape: shape.Clone(), Limit: limit, Used: m.paramElems}
		}
	}
	return nil
}

func checkShape(shape tensor.Shape) error {
	if len(shape) == 0 {
		return errors.New("scalar shapes are not supported; use shape (1)")
	}
	for _, d := range shape {
		if d <= 0 {
			return errors.Errorf("shape %v has a non-positive dimension", shape)
		}
	}
	return nil
}
