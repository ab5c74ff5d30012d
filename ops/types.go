package ops

import (
	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// opFloat is the element type of the kernels: every op runs the same
// generic kernel on Float32 and Float64 tensors.
type opFloat interface{ float32 | float64 }

// tensorTypes returns gorgonia types of tensors of the given ranks, all of
// one element type.
func tensorTypes(dims ...int) []hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, len(dims))
	for i, d := range dims {
		ts[i] = gorgonia.TensorType{Dims: d, Of: a}
	}
	return ts
}

// unaryType is the type a → a of ops whose output has the input's type.
func unaryType() []hm.Type {
	a := hm.TypeVariable('a')
	return []hm.Type{a, a}
}

// binaryType is the type a → a → a.
func binaryType() []hm.Type {
	a := hm.TypeVariable('a')
	return []hm.Type{a, a, a}
}

// elems returns the elements of a Float32 or Float64 tensor as []T; T must
// match the tensor's dtype.
func elems[T opFloat](d *tensor.Dense) []T {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return any(d.Float32s()).([]T)
	}
	return any(d.Float64s()).([]T)
}

// boolParam is a bool as a hash parameter.
func boolParam(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// shapeParams returns a shape as hash parameters: its rank, then its sizes.
func shapeParams(s tensor.Shape) []uint64 {
	out := make([]uint64, 0, len(s)+1)
	out = append(out, uint64(len(s)))
	for _, d := range s {
		out = append(out, uint64(d))
	}
	return out
}

// withLast returns a copy of s with its last dimension set to n.
func withLast(s tensor.Shape, n int) tensor.Shape {
	s = s.Clone()
	s[len(s)-1] = n
	return s
}
