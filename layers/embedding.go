package layers

import (
	"github.com/gorgonet/gorgonet/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Embedding maps integer ids to rows of a trainable table, PyTorch's
// nn.Embedding; with Vaswani et al. (2017, §3.4) it is the token embedding of
// the Transformer.
type Embedding struct {
	Weight *graph.Param // "<name>.weight" [Vocab, Dim]
	Vocab  int          // number of rows (ids run over 0..Vocab−1)
	Dim    int          // size of each row
	name   string
	model  *graph.Model
}

// NewEmbedding adds an Embedding named name to m. The table is drawn from
// N(0, 1) by default, like PyTorch; WeightInit changes that.
func NewEmbedding(m *graph.Model, name string, vocab, dim int, opts ...Option) (*Embedding, error) {
	id := layerID("Embedding", name)
	if err := checkPositive(id, "vocab and dim", vocab, dim); err != nil {
		return nil, err
	}
	o := applyOptions(options{weightInit: graph.Normal(1)}, opts)
	w, err := m.NewParam(graph.Join(name, "weight"), tensor.Shape{vocab, dim}, o.weightInit)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	return &Embedding{Weight: w, Vocab: vocab, Dim: dim, name: name, model: m}, nil
}

// Name returns the name the layer was created with.
func (e *Embedding) Name() string { return e.name }

// Forward looks up the rows of ids, a tensor.Int node of shape [N] or [B,T],
// and returns [N,Dim] or [B,T,Dim]. The lookup gathers along axis 0 of the
// table (the axis whose gradient Gorgonia v0.9.18 gets right, repeated ids
// included). Ids must lie in [0, Vocab): when ids is an input of the model
// (graph.Model.IndexInput), every program checks the fed values and returns
// an error naming the input and the bad value (graph.Model.LimitIndices).
func (e *Embedding) Forward(ids *gorgonia.Node) (*gorgonia.Node, error) {
	id := layerID("Embedding", e.name)
	if err := checkInput(id, ids, tensor.Int, idLayouts, -1); err != nil {
		return nil, err
	}
	e.model.LimitIndices(ids, e.Vocab)
	s := ids.Shape().Clone()
	flat, err := reshape(ids, tensor.Shape{s.TotalSize()})
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	rows, err := gorgonia.ByIndices(e.Weight.Node(), flat, 0)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s: looking up ids %v in %v", id, s, e.Weight.Shape())
	}
	rows, err = reshape(rows, append(s, e.Dim))
	return rows, errors.Wrapf(err, "layers: %s", id)
}

// Freeze excludes the table from training, e.g. after SetWeights with
// pretrained vectors. Call it before Model.Compile.
func (e *Embedding) Freeze() { e.Weight.SetFrozen(true) }

// SetWeights replaces the table by values, Vocab×Dim numbers in row-major
// order (row i is the vector of id i), such as pretrained word2vec (Mikolov
// et al. 2013) or GloVe (Pennington et al. 2014) vectors.
func (e *Embedding) SetWeights(values []float64) error {
	if want := e.Vocab * e.Dim; len(values) != want {
		return errors.Errorf("layers: %s: SetWeights got %d values, want %d (vocab %d × dim %d)",
			layerID("Embedding", e.name), len(values), want, e.Vocab, e.Dim)
	}
	return errors.Wrapf(setValues(e.Weight.Value(), values), "layers: %s: SetWeights", layerID("Embedding", e.name))
}

// setValues copies float64 values into dst, converting them to dst's element
// type.
func setValues(dst *tensor.Dense, values []float64) error {
	return tensor.Copy(dst, denseOf(dst.Dtype(), dst.Shape(), values))
}
