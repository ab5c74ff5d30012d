package layers

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/ops"
)

// KVCache is the graph side of a key/value cache of a self-attention for
// incremental decoding: Keys and Values [B,Ctx,Dim] (heads interleaved, as
// [B,Ctx,Heads,Dim/Heads]) hold the keys and values of the earlier
// positions of each row, and Len (tensor.Int [1]) says how many of their
// first rows are filled, the same for every row of the batch. The caller
// owns the buffers: it feeds them to each step and writes the step's new
// key and value into row Len before the next one (package
// models/transformer does).
type KVCache struct {
	Keys, Values, Len *gorgonia.Node
}

// Step runs the self-attention for one new position x [B,1,Dim] of
// sequences whose earlier positions' keys and values are in cache: the
// query of x attends to the first Len cached positions and to x itself, as
// the last position of a causal self-attention does. It returns the output
// [B,1,Dim] and the key and value [B,1,Dim] of x, to append to the cache.
// Step is for inference: the result has no gradient and no dropout.
func (a *MultiHeadAttention) Step(x *gorgonia.Node, cache KVCache) (out, key, value *gorgonia.Node, err error) {
	id := layerID("MultiHeadAttention", a.name)
	dt := a.Q.Weight.Node().Dtype()
	if err := checkInput(id+" step input", x, dt, seqLayouts, a.Dim); err != nil {
		return nil, nil, nil, err
	}
	b := x.Shape()[0]
	if x.Shape()[1] != 1 {
		return nil, nil, nil, errors.Errorf("layers: %s: Step reads one position, got %v", id, x.Shape())
	}
	for _, c := range []*gorgonia.Node{cache.Keys, cache.Values} {
		if c == nil || c.Dtype() != dt || c.Dims() != 3 || c.Shape()[0] != b || c.Shape()[2] != a.Dim {
			return nil, nil, nil, errors.Errorf("layers: %s: cache %v, want %v [%d,Ctx,%d]", id, describeNode(c), dt, b, a.Dim)
		}
	}
	if !cache.Keys.Shape().Eq(cache.Values.Shape()) {
		return nil, nil, nil, errors.Errorf("layers: %s: cached keys %v and values %v differ in shape", id, cache.Keys.Shape(), cache.Values.Shape())
	}
	if cache.Len == nil || cache.Len.Dtype() != tensor.Int || !cache.Len.Shape().Eq(tensor.Shape{1}) {
		return nil, nil, nil, errors.Errorf("layers: %s: cache length %v, want tensor.Int [1]", id, describeNode(cache.Len))
	}
	var q *gorgonia.Node
	for _, p := range []struct {
		l   *Linear
		dst **gorgonia.Node
	}{{a.Q, &q}, {a.K, &key}, {a.V, &value}} {
		if *p.dst, err = p.l.Forward(x); err != nil {
			return nil, nil, nil, errors.Wrapf(err, "layers: %s", id)
		}
	}
	ctx, err := ops.CachedAttention(q, key, value, cache.Keys, cache.Values, cache.Len, a.Heads)
	if err != nil {
		return nil, nil, nil, errors.Wrapf(err, "layers: %s: attention over the cache", id)
	}
	if out, err = a.Out.Forward(ctx); err != nil {
		return nil, nil, nil, errors.Wrapf(err, "layers: %s", id)
	}
	return out, key, value, nil
}
