package layers

import (
	"math"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// MultiHeadAttention is the multi-head attention of Vaswani et al. (2017,
// §3.2.2):
//
//	MultiHead(Q, K, V) = Concat(head_1, …, head_h)·W^O,
//	head_i = Attention(Q·W_i^Q, K·W_i^K, V·W_i^V),
//
// with d_k = d_v = Dim/Heads. The projections of all heads are computed
// together as one [B·T,Dim]×[Dim,Dim] product each and then split into heads
// by a reshape to [B,T,H,d_k], which ops.BatchedMatMul reads in place (no
// transpose), so the number of operations does not grow with the number of
// heads or the batch.
type MultiHeadAttention struct {
	Q, K, V *Linear  // query, key and value projections "<name>.q", "<name>.k", "<name>.v", [Dim,Dim]
	Out     *Linear  // output projection W^O "<name>.out" [Dim,Dim]
	Dropout *Dropout // dropout on the attention weights; nil when the rate is 0
	Dim     int      // model width d_model
	Heads   int      // number of heads h
	name    string
}

// NewMultiHeadAttention adds a multi-head attention named name, of width dim
// split into heads heads, to m. dropout is the rate of dropout applied to the
// attention weights during training (0 for none). The options (NoBias,
// WeightInit, BiasInit) are passed to the four projections. dim must be
// divisible by heads.
func NewMultiHeadAttention(m *graph.Model, name string, dim, heads int, dropout float64, opts ...Option) (*MultiHeadAttention, error) {
	id := layerID("MultiHeadAttention", name)
	if err := checkPositive(id, "dim and heads", dim, heads); err != nil {
		return nil, err
	}
	if dim%heads != 0 {
		return nil, errors.Errorf("layers: %s: dim %d is not divisible by heads %d", id, dim, heads)
	}
	a := &MultiHeadAttention{Dim: dim, Heads: heads, name: name}
	var err error
	for _, p := range []struct {
		l    **Linear
		name string
	}{{&a.Q, "q"}, {&a.K, "k"}, {&a.V, "v"}, {&a.Out, "out"}} {
		if *p.l, err = NewLinear(m, graph.Join(name, p.name), dim, dim, opts...); err != nil {
			return nil, errors.Wrapf(err, "layers: %s", id)
		}
	}
	if dropout != 0 {
		if a.Dropout, err = NewDropout(m, dropout); err != nil {
			return nil, errors.Wrapf(err, "layers: %s", id)
		}
	}
	return a, nil
}

// Name returns the name the layer was created with.
func (a *MultiHeadAttention) Name() string { return a.name }

// Forward returns the attention of the queries of query [B,Tq,Dim] over the
// keys and values of memory [B,Tk,Dim], shape [B,Tq,Dim]. Pass the same node
// twice for self-attention; for the cross-attention of a decoder, query comes
// from the decoder and memory is the encoder's output. mask applies to every
// head: Causal needs Tq = Tk, KeyPadding is [B,Tk].
//
// Without dropout on the attention weights (rate 0, or a graph built in
// evaluation mode) the heads are attended by ops.FlashAttention, block by
// block without the [B,Heads,Tq,Tk] weights, so the memory for attention
// grows linearly with the context; with dropout, as by Attend.
func (a *MultiHeadAttention) Forward(query, memory *gorgonia.Node, mask Mask) (*gorgonia.Node, error) {
	if a.Dropout.active() {
		out, _, err := a.Attend(query, memory, mask)
		return out, err
	}
	id := layerID("MultiHeadAttention", a.name)
	heads, err := a.project(query, memory)
	if err != nil {
		return nil, err
	}
	ctx, err := ops.FlashAttention(heads[0], heads[1], heads[2], a.scale(), mask.Causal, mask.KeyPadding)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s", id)
	}
	return a.output(ctx)
}

// Attend is Forward that also returns the attention weights of every head,
// [B,Heads,Tq,Tk] (before dropout), to look at what the layer attends to.
func (a *MultiHeadAttention) Attend(query, memory *gorgonia.Node, mask Mask) (out, weights *gorgonia.Node, err error) {
	id := layerID("MultiHeadAttention", a.name)
	heads, err := a.project(query, memory)
	if err != nil {
		return nil, nil, err
	}
	qk := ops.BMMLayout{TransB: true, AInterleaved: true, BInterleaved: true}
	if weights, err = attentionWeights(heads[0], heads[1], mask, qk, a.Dim/a.Heads); err != nil {
		return nil, nil, errors.Wrapf(err, "layers: %s", id)
	}
	w := weights
	if a.Dropout != nil {
		if w, err = a.Dropout.Forward(w); err != nil {
			return nil, nil, errors.Wrapf(err, "layers: %s: attention dropout", id)
		}
	}
	ctx, err := ops.BatchedMatMul(w, heads[2], ops.BMMLayout{BInterleaved: true, OutInterleaved: true})
	if err != nil {
		return nil, nil, errors.Wrapf(err, "layers: %s: attention weights · values", id)
	}
	out, err = a.output(ctx)
	return out, weights, err
}

// scale is 1/√d_k, the scaling of the scores.
func (a *MultiHeadAttention) scale() float64 { return 1 / math.Sqrt(float64(a.Dim/a.Heads)) }

// project checks query [B,Tq,Dim] and memory [B,Tk,Dim] and returns the
// projected queries, keys and values split into heads, [B,T,Heads,d_k].
func (a *MultiHeadAttention) project(query, memory *gorgonia.Node) ([]*gorgonia.Node, error) {
	id := layerID("MultiHeadAttention", a.name)
	dt := a.Q.Weight.Node().Dtype()
	if err := checkInput(id+" query", query, dt, seqLayouts, a.Dim); err != nil {
		return nil, err
	}
	if err := checkInput(id+" memory", memory, dt, seqLayouts, a.Dim); err != nil {
		return nil, err
	}
	if query.Shape()[0] != memory.Shape()[0] {
		return nil, errors.Errorf("layers: %s: query %v and memory %v have different batch sizes", id, query.Shape(), memory.Shape())
	}
	heads := make([]*gorgonia.Node, 3)
	for i, p := range []struct {
		l *Linear
		x *gorgonia.Node
	}{{a.Q, query}, {a.K, memory}, {a.V, memory}} {
		y, err := p.l.Forward(p.x)
		if err != nil {
			return nil, errors.Wrapf(err, "layers: %s", id)
		}
		if heads[i], err = a.splitHeads(y); err != nil {
			return nil, errors.Wrapf(err, "layers: %s: splitting %s into heads", id, p.l.Name())
		}
	}
	return heads, nil
}

// output concatenates the heads of ctx [B,Tq,Heads,d_v] and applies the
// output projection.
func (a *MultiHeadAttention) output(ctx *gorgonia.Node) (*gorgonia.Node, error) {
	id := layerID("MultiHeadAttention", a.name)
	ctx, err := a.mergeHeads(ctx)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s: concatenating the heads", id)
	}
	out, err := a.Out.Forward(ctx)
	return out, errors.Wrapf(err, "layers: %s", id)
}

// splitHeads turns [B,T,Dim] into [B,T,Heads,Dim/Heads], a reshape: the
// attention products read the heads from this interleaved layout
// (ops.BMMLayout), so no transpose is needed.
func (a *MultiHeadAttention) splitHeads(x *gorgonia.Node) (*gorgonia.Node, error) {
	s := x.Shape()
	return reshape(x, tensor.Shape{s[0], s[1], a.Heads, a.Dim / a.Heads})
}

// mergeHeads turns [B,T,Heads,Dim/Heads] into [B,T,Dim], the concatenation of
// the heads along the feature axis.
func (a *MultiHeadAttention) mergeHeads(x *gorgonia.Node) (*gorgonia.Node, error) {
	s := x.Shape()
	return reshape(x, tensor.Shape{s[0], s[1], a.Dim})
}
