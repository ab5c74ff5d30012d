package graph

import (
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Float32 and Float64 are the element types a Model can be built with.
var (
	Float32 = tensor.Float32
	Float64 = tensor.Float64
)

// Model owns an expression graph, its named parameters, its named inputs and
// its seeded random number generators.
//
// A Model is in training mode when created. Layers read the mode when they
// build their part of the graph: in evaluation mode (SetTraining(false))
// Dropout builds to the identity. Build the training loss in training mode and
// evaluation or generation graphs in evaluation mode; all of them share the
// same parameters.
type Model struct {
	g       *gorgonia.ExprGraph
	dtype   tensor.Dtype
	seed    uint64
	initRNG *rand.Rand
	dropSrc *rand.PCG
	dropRNG *rand.Rand
	params  []*Param
	byName  map[string]*Param
	inputs  map[string]*gorgonia.Node
	// indexLimits bounds the values of integer inputs (LimitIndices).
	indexLimits map[*gorgonia.Node]int
	// paramLimit caps the parameters' elements in all (0: no cap);
	// paramElems counts them (SetParamLimit).
	paramLimit, paramElems int
	training               bool
	compiled               bool // Grad has been taken on g (gorgonia allows it once per graph)
	shapeOnly              bool // parameters have shapes and no values (NewShapeModel)
	nextOpID               uint64
}

// NewModel returns an empty model whose parameters and computations use dtype
// (Float32 or Float64) and whose random number generators derive from seed.
func NewModel(dtype tensor.Dtype, seed uint64) *Model {
	dropSrc := rand.NewPCG(seed, 0xd509_0e75)
	return &Model{
		g:           gorgonia.NewGraph(),
		dtype:       dtype,
		seed:        seed,
		initRNG:     rand.New(rand.NewPCG(seed, 0x1417_ba5e)),
		dropSrc:     dropSrc,
		dropRNG:     rand.New(dropSrc),
		byName:      map[string]*Param{},
		inputs:      map[string]*gorgonia.Node{},
		indexLimits: map[*gorgonia.Node]int{},
		training:    true,
	}
}

// Graph returns the model's expression graph.
func (m *Model) Graph() *gorgonia.ExprGraph { return m.g }

// Dtype returns the element type of the model's parameters.
func (m *Model) Dtype() tensor.Dtype { return m.dtype }

// Seed returns the seed the model was created with.
func (m *Model) Seed() uint64 { return m.seed }

// Training reports whether graphs built now are training graphs (dropout on).
func (m *Model) Training() bool { return m.training }

// SetTraining switches the mode used by layers for the graphs built from now
// on, like PyTorch's module.train() / module.eval(). Programs already
// compiled keep the mode they were built in.
func (m *Model) SetTraining(training bool) { m.training = training }

// InEvalMode runs build with the model in evaluation mode (Dropout builds to
// the identity) and then restores the mode it had, also when build fails:
// the way to build an evaluation or generation graph beside a training one.
func (m *Model) InEvalMode(build func() error) error {
	prev := m.training
	m.training = false
	defer func() { m.training = prev }()
	return build()
}

// DropoutState returns the state of the dropout random number generator, so a
// run can be checkpointed and resumed with the same masks.
func (m *Model) DropoutState() ([]byte, error) {
	b, err := m.dropSrc.MarshalBinary()
	return b, errors.Wrap(err, "graph: saving dropout RNG state")
}

// SetDropoutState restores a state returned by DropoutState.
func (m *Model) SetDropoutState(state []byte) error {
	return errors.Wrap(m.dropSrc.UnmarshalBinary(state), "graph: restoring dropout RNG state")
}

// DropoutRNG returns the generator that dropout masks are drawn from as
// programs run (its state is DropoutState), for ops.Dropout.
func (m *Model) DropoutRNG() *rand.Rand { return m.dropRNG }

// NewOpID returns a number unique within the model, for an operation with
// state of its own (ops.Dropout) to put into its hash: gorgonia merges nodes
// whose ops hash alike and whose children agree, which would make two
// dropouts of one node share a mask (TestDropoutNotMerged).
func (m *Model) NewOpID() uint64 {
	m.nextOpID++
	return m.nextOpID
}
