package datasets

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// OneHot returns the one-hot encoding of ids, a tensor of shape
// ids.Shape()+[depth] and element type dt (tensor.Float64 or
// tensor.Float32) whose element [..., k] is 1 where ids[...] == k and 0
// elsewhere; ids must be tensor.Int with every id in [0, depth). For [B,T]
// token ids it gives [B,T,V].
//
// One-hot input is the textbook way into a network, and the point of
// comparison for an embedding lookup, which it computes as a matrix product:
// onehot(ids)·W == W[ids]. The two differ in memory by orders of magnitude.
// For B·T tokens, a vocabulary of V and a model width D, in float32:
//
//	one-hot input    B·T·V·4 bytes per batch, B·T·V·D multiply-adds for ·W
//	embedding lookup B·T·8 bytes of int ids per batch, B·T·D copies
//	table W (both)   V·D·4 bytes, once
//
// At B=32, T=128, V=50,000, D=512 a one-hot batch takes 819 MB and its
// product 105 billion multiply-adds, against 33 kB of ids and an 8 MB gather;
// the table itself is 102 MB. With the 65 characters of tiny shakespeare (V=65) the one-hot batch
// is 1.1 MB, which is why character-level examples can afford it. Use
// layers.Embedding on tensor.Int ids; keep OneHot for tests and for losses
// that want explicit target distributions.
func OneHot(ids *tensor.Dense, depth int, dt tensor.Dtype) (*tensor.Dense, error) {
	if ids == nil || ids.Dtype() != tensor.Int {
		return nil, errors.New("datasets: OneHot: ids must be a tensor.Int tensor")
	}
	if depth <= 0 {
		return nil, errors.Errorf("datasets: OneHot: depth %d must be positive", depth)
	}
	if ids.IsMaterializable() {
		ids = ids.Materialize().(*tensor.Dense) // a view: copy its elements out
	}
	src := ids.Ints()
	shape := append(ids.Shape().Clone(), depth)
	out := make([]float64, len(src)*depth)
	for i, id := range src {
		if id < 0 || id >= depth {
			return nil, errors.Errorf("datasets: OneHot: id %d at flat position %d of %v is outside [0, %d)", id, i, ids.Shape(), depth)
		}
		out[i*depth+id] = 1
	}
	return denseOf(out, shape, dt)
}

// denseOf returns values as a tensor of the given shape and element type
// (tensor.Float64 or tensor.Float32).
func denseOf(values []float64, shape []int, dt tensor.Dtype) (*tensor.Dense, error) {
	switch dt {
	case tensor.Float64:
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(values)), nil
	case tensor.Float32:
		f := make([]float32, len(values))
		for i, v := range values {
			f[i] = float32(v)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f)), nil
	}
	return nil, errors.Errorf("datasets: element type %v, want Float64 or Float32", dt)
}
