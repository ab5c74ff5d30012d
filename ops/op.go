package ops

import (
	"encoding/binary"
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// kernel is what an op file defines: its type and parameters (spec), its
// shape rule and its computation. asOp turns a kernel into a gorgonia.Op;
// a kernel that also has a gradient implements differentiable.
type kernel interface {
	// String names the op in errors and in gorgonia's printouts.
	String() string
	// spec returns the op's type and its hash parameters.
	spec() spec
	// shape returns the result's shape from the inputs' shapes.
	shape(in []tensor.Shape) (tensor.Shape, error)
	// compute returns the result of the op on values (as many as the spec
	// has inputs), written into a buffer from out.
	compute(out output, values []gorgonia.Value) (gorgonia.Value, error)
}

// differentiable is a kernel with a gradient.
type differentiable interface {
	kernel
	// diffWRT reports, for each of the op's inputs, whether symDiff
	// returns a gradient for it.
	diffWRT() []bool
	// symDiff returns the nodes of the gradients with respect to inputs
	// (nil for those diffWRT excludes) given the output's gradient grad.
	symDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error)
}

// spec is a kernel's answer to gorgonia's questions about its type and
// identity.
type spec struct {
	// types are the types of the op's inputs, then of its result; the
	// op's arity is len(types)−1.
	types []hm.Type
	// params are every field of the kernel that changes what it computes,
	// each at full 64-bit width: they go into the op's hash, and gorgonia
	// merges two nodes whose op hashes and children agree
	// (ExprGraph.AddNode), so a parameter left out, or written narrower
	// than its range (as gorgonia's Slice writes byte(start)), would merge
	// distinct ops. Ops with state of their own (Dropout) include a
	// graph.Model.NewOpID.
	params []uint64
}

// arity returns the number of the op's inputs.
func (s spec) arity() int { return len(s.types) - 1 }

// gorgoniaOp answers the gorgonia.Op interface (and gorgonia.SDOp,
// gorgonia.UsePreallocDoer) for a kernel: pure Go, the result in a buffer of
// its own (new, or the tape machine's kept register buffer), no input
// overwritten.
type gorgoniaOp struct {
	k    kernel
	spec spec
	name string // the kernel's Go type, first in the hash
}

// asOp returns the gorgonia.Op of k.
func asOp(k kernel) gorgoniaOp {
	return gorgoniaOp{k: k, spec: k.spec(), name: fmt.Sprintf("%T", k)}
}

// apply adds the op of k on children to their graph.
func apply(k kernel, children ...*gorgonia.Node) (*gorgonia.Node, error) {
	return gorgonia.ApplyOp(asOp(k), children...)
}

func (op gorgoniaOp) Arity() int            { return op.spec.arity() }
func (op gorgoniaOp) Type() hm.Type         { return hm.NewFnType(op.spec.types...) }
func (op gorgoniaOp) String() string        { return op.k.String() }
func (op gorgoniaOp) ReturnsPtr() bool      { return false }
func (op gorgoniaOp) CallsExtern() bool     { return false }
func (op gorgoniaOp) OverwritesInput() int  { return -1 }
func (op gorgoniaOp) Hashcode() uint32      { h := fnv.New32a(); op.WriteHash(h); return h.Sum32() }
func (op gorgoniaOp) WriteHash(h hash.Hash) { writeOpHash(h, op.name, op.spec.params...) }

// InferShape applies the kernel's shape rule to the input shapes.
func (op gorgoniaOp) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	if len(ds) != op.Arity() {
		return nil, errors.Errorf("%v: %d input shapes, want %d", op, len(ds), op.Arity())
	}
	in := make([]tensor.Shape, len(ds))
	for i, d := range ds {
		s, ok := d.(tensor.Shape)
		if !ok {
			return nil, errors.Errorf("%v: input %d has no shape (%T)", op, i, d)
		}
		in[i] = s.Clone()
	}
	return op.k.shape(in)
}

// Do computes the result into a new buffer.
func (op gorgoniaOp) Do(values ...gorgonia.Value) (gorgonia.Value, error) {
	return op.UsePreallocDo(nil, values...)
}

// UsePreallocDo computes the result into prealloc (reshaped if it holds as
// many elements in another shape), or into a new buffer when prealloc is nil.
// A buffer that cannot hold the result is an error, on which gorgonia's tape
// machine calls Do.
func (op gorgoniaOp) UsePreallocDo(prealloc gorgonia.Value, values ...gorgonia.Value) (gorgonia.Value, error) {
	if len(values) != op.Arity() {
		return nil, errors.Errorf("%v: run on %d values, want %d", op, len(values), op.Arity())
	}
	return op.k.compute(output{op: op.k, prealloc: prealloc}, values)
}

// DiffWRT is the kernel's diffWRT, or nil (no gradient, as for an op that
// is not a gorgonia.SDOp) for kernels that are not differentiable: gradient
// ops, which gorgonia adds after its gradient analysis. Gorgonia's analysis
// indexes the DiffWRT of every op between the parameters and the loss, so a
// kernel there must be differentiable, if with respect to no input
// (PaddingMask, the recurrence's forward buffer).
func (op gorgoniaOp) DiffWRT(n int) []bool {
	d, ok := op.k.(differentiable)
	if !ok {
		return nil
	}
	return d.diffWRT()
}

// SymDiff returns the kernel's gradient nodes.
func (op gorgoniaOp) SymDiff(inputs gorgonia.Nodes, output, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	d, ok := op.k.(differentiable)
	if !ok {
		return nil, errors.Errorf("%v has no gradient", op)
	}
	if len(inputs) != op.Arity() {
		return nil, errors.Errorf("%v: %d inputs, want %d", op, len(inputs), op.Arity())
	}
	return d.symDiff(inputs, output, grad)
}

// allInputs returns a diffWRT of n inputs, all differentiable.
func allInputs(n int) []bool {
	d := make([]bool, n)
	for i := range d {
		d[i] = true
	}
	return d
}

// writeOpHash writes an op's hash key: "gorgonet.", its name and every
// parameter at full 64-bit width.
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
