package graph

// Plumbing shared by gorgonet's custom Gorgonia operations (op_*.go): the
// fixed answers of the gorgonia.Op interface, hashing, access to the values
// an op is run on, and reuse of preallocated output buffers.

import (
	"encoding/binary"
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"slices"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// opFloat is the element type of the kernels: every op runs the same
// generic kernel on Float32 and Float64 tensors.
type opFloat interface{ float32 | float64 }

// opTraits holds the answers shared by all of gorgonet's ops: pure Go, the
// result in a buffer of its own, no input overwritten.
type opTraits struct{}

func (opTraits) ReturnsPtr() bool     { return false }
func (opTraits) CallsExtern() bool    { return false }
func (opTraits) OverwritesInput() int { return -1 }

// writeOpHash writes an op's hash key: "gorgonet.", its name and every
// parameter at full 64-bit width. Gorgonia merges two nodes whose op hashes
// and children agree (ExprGraph.AddNode), so a parameter written narrower
// than its range would merge distinct ops, as gorgonia's Slice does by
// writing byte(start). Ops with state (Dropout) include a Model.newOpID.
func writeOpHash(h hash.Hash, name string, params ...uint64) {
	h.Write([]byte("gorgonet." + name))
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(len(params)))
	h.Write(buf[:])
	for _, p := range params {
		binary.LittleEndian.PutUint64(buf[:], p)
		h.Write(buf[:])
	}
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

// opHashcode is the 32-bit FNV-1a hash of op's WriteHash, as gorgonia's own ops use.
func opHashcode(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// unaryType is the type a → a of ops whose output has the input's type.
func unaryType() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}

// binaryType is the type a → a → a.
func binaryType() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}

// inputShape returns the i-th shape given to InferShape.
func inputShape(op fmt.Stringer, ds []gorgonia.DimSizer, i int) (tensor.Shape, error) {
	if i >= len(ds) {
		return nil, errors.Errorf("%v: %d input shapes, want at least %d", op, len(ds), i+1)
	}
	s, ok := ds[i].(tensor.Shape)
	if !ok {
		return nil, errors.Errorf("%v: input %d has no shape (%T)", op, i, ds[i])
	}
	return s.Clone(), nil
}

// checkFloatNode checks at graph-building time that x is a non-scalar tensor
// node of Float32 or Float64; fn names the caller in the error.
func checkFloatNode(fn string, x *gorgonia.Node) error {
	if x == nil {
		return errors.Errorf("graph: %s: nil input node", fn)
	}
	if x.Shape().Dims() == 0 {
		return errors.Errorf("graph: %s: input %q is a scalar; give it shape (1)", fn, x.Name())
	}
	if dt := x.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return errors.Errorf("graph: %s: input %q is %v, want float32 or float64", fn, x.Name(), dt)
	}
	return nil
}

// opInputs checks the number of values an op is run on.
func opInputs(op fmt.Stringer, values []gorgonia.Value, n int) error {
	if len(values) != n {
		return errors.Errorf("%v: run on %d values, want %d", op, len(values), n)
	}
	return nil
}

// denseInput returns input i as a *tensor.Dense whose backing array holds its
// elements in row-major order, copying views (slices, transposes) first.
func denseInput(op fmt.Stringer, values []gorgonia.Value, i int) (*tensor.Dense, error) {
	d, ok := values[i].(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("%v: input %d is a %T, want a tensor", op, i, values[i])
	}
	if d.IsMaterializable() {
		var ok bool
		if d, ok = d.Materialize().(*tensor.Dense); !ok {
			return nil, errors.Errorf("%v: input %d could not be made contiguous", op, i)
		}
	}
	if d.DataSize() != d.Shape().TotalSize() {
		return nil, errors.Errorf("%v: input %d holds %d elements for shape %v", op, i, d.DataSize(), d.Shape())
	}
	return d, nil
}

// floatInput is denseInput for inputs of Float32 or Float64.
func floatInput(op fmt.Stringer, values []gorgonia.Value, i int) (*tensor.Dense, error) {
	d, err := denseInput(op, values, i)
	if err != nil {
		return nil, err
	}
	if dt := d.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, errors.Errorf("%v: input %d is %v, want float32 or float64", op, i, dt)
	}
	return d, nil
}

// sameAs checks that input d has the dtype and shape of the reference input.
func sameAs(op fmt.Stringer, d, ref *tensor.Dense, what string) error {
	if d.Dtype() != ref.Dtype() || !d.Shape().Eq(ref.Shape()) {
		return errors.Errorf("%v: %s is %v %v, want %v %v", op, what, d.Dtype(), d.Shape(), ref.Dtype(), ref.Shape())
	}
	return nil
}

// newOutput allocates an op's result.
func newOutput(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	return tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
}

// reuseOutput returns prealloc as the buffer for an op's result if it is a
// tensor of dtype and size that owns its contiguous memory, reshaped to shape
// if needed (a register of the tape machine holds values of different shapes
// in turn: [B,T,D], [B·T,D], [B,T,H,d]). Otherwise it returns an error, on
// which Gorgonia's tape machine falls back to Do.
func reuseOutput(op fmt.Stringer, prealloc gorgonia.Value, dt tensor.Dtype, shape tensor.Shape) (*tensor.Dense, error) {
	d, ok := prealloc.(*tensor.Dense)
	if !ok || d.Dtype() != dt || d.IsMaterializable() || d.DataSize() != shape.TotalSize() || d.Shape().TotalSize() != shape.TotalSize() {
		return nil, errors.Errorf("%v: preallocated %T cannot hold a %v %v result", op, prealloc, dt, shape)
	}
	// Not Shape.Eq, which takes (1,N) and (N,1) for (N): the op would read
	// the buffer's shape, and the tape machine get a value of another rank.
	if !slices.Equal(d.Shape(), shape) {
		if err := d.Reshape(shape...); err != nil {
			return nil, errors.Wrapf(err, "%v: reshaping the preallocated buffer", op)
		}
	}
	return d, nil
}

// outputFor returns the buffer for an op's result: a new tensor when
// prealloc is nil (Do), else prealloc checked by reuseOutput (UsePreallocDo).
func outputFor(op fmt.Stringer, prealloc gorgonia.Value, dt tensor.Dtype, shape tensor.Shape) (*tensor.Dense, error) {
	if prealloc == nil {
		return newOutput(dt, shape), nil
	}
	return reuseOutput(op, prealloc, dt, shape)
}

// OutputBuffer returns the buffer a custom Gorgonia op writes its result of
// dtype and shape into, for ops defined outside this package (layers'
// masked softmax): a new zeroed tensor when prealloc is nil (the op's Do),
// else prealloc itself, reshaped if it holds the same number of elements in
// another shape, or an error when it cannot hold the result (the op's
// UsePreallocDo; Gorgonia's tape machine then calls Do). A reused buffer
// holds old values: the op must write every element.
func OutputBuffer(op fmt.Stringer, prealloc gorgonia.Value, dt tensor.Dtype, shape tensor.Shape) (*tensor.Dense, error) {
	return outputFor(op, prealloc, dt, shape)
}

// gradInputs returns the two values a gradient op of an elementwise or
// row-wise op is run on (a forward value and the output gradient): float
// tensors of one dtype and shape.
func gradInputs(op fmt.Stringer, values []gorgonia.Value) (a, g *tensor.Dense, err error) {
	if err = opInputs(op, values, 2); err != nil {
		return nil, nil, err
	}
	if a, err = floatInput(op, values, 0); err != nil {
		return nil, nil, err
	}
	if g, err = floatInput(op, values, 1); err != nil {
		return nil, nil, err
	}
	return a, g, sameAs(op, g, a, "output gradient")
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

// scalarValue returns the number held by a scalar value (a gradient of a
// scalar node comes as *gorgonia.F64, *gorgonia.F32 or a one-element tensor).
func scalarValue(op fmt.Stringer, v gorgonia.Value) (float64, error) {
	f, err := Scalar(v)
	if err != nil {
		return 0, errors.Wrapf(err, "%v", op)
	}
	return f, nil
}

// scalarOf wraps a float64 result as a gorgonia scalar value of dtype dt.
func scalarOf(dt tensor.Dtype, v float64) gorgonia.Value {
	if dt == tensor.Float32 {
		return gorgonia.NewF32(float32(v))
	}
	return gorgonia.NewF64(v)
}

// rowMax returns the largest element of row.
func rowMax[T opFloat](row []T) float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		if f := float64(v); f > mx {
			mx = f
		}
	}
	return mx
}

// logSumExp returns m = max(row) and log Σ exp(row − m), whose sum is
// log Σ exp(row). Callers subtract m from elements first and add log Σ last,
// which keeps rows of large equal values (masks of −1e9) exact.
func logSumExp[T opFloat](row []T) (m, logSum float64) {
	m = rowMax(row)
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	return m, math.Log(s)
}
