package distributed

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
)

// DataParallel is the optimizer returned by NewDataParallel.
type DataParallel struct {
	comm    Comm
	inner   optim.Optimizer
	reducer *Reducer
}

// NewDataParallel returns an optimizer that averages the gradients of the
// trainable parameters across the ranks of comm (Reducer.Sum scaled by
// 1/comm.Size()), then lets opt update the parameters.
// When every rank's loss is the mean over a local batch of the same size,
// the average is the gradient of the mean loss over the global batch.
// Because every rank then applies the same update to the same values, the
// parameters stay identical on every rank, provided they start identical:
// call Broadcast before the first step (and after restoring a checkpoint).
// Steps, State and SetState are opt's. Wrap a clipping optimizer, not the
// other way round, so that clipping sees the averaged gradients.
func NewDataParallel(comm Comm, opt optim.Optimizer) *DataParallel {
	return &DataParallel{comm: comm, inner: opt, reducer: NewReducer(comm)}
}

// Comm returns the communicator.
func (d *DataParallel) Comm() Comm { return d.comm }

// Step averages the gradients of the trainable params across ranks and
// applies the wrapped optimizer. Every rank must call it with the same
// parameters, in the same order.
func (d *DataParallel) Step(params []*graph.Param) error {
	if d.comm == nil || d.inner == nil {
		return errors.New("distributed: DataParallel: nil communicator or optimizer")
	}
	if d.comm.Size() > 1 {
		if err := d.reducer.Sum(params, 1/float64(d.comm.Size())); err != nil {
			return err
		}
	}
	return d.inner.Step(params)
}

// Reducer sums gradients across the ranks of a communicator, reusing its
// flat buffers from call to call.
type Reducer struct {
	comm Comm
	// every trainable float32 gradient, then every float64 one, end to end
	buf32 []float32
	buf64 []float64
}

// NewReducer returns a Reducer over comm.
func NewReducer(comm Comm) *Reducer { return &Reducer{comm: comm} }

// Sum replaces every trainable gradient of params by scale times its sum
// across ranks. The gradients, of any shapes, are copied into one flat
// buffer per element type (a model has one, so one all-reduce per call),
// summed by one all-reduce, scaled in float64 and copied back. Every rank
// must call it with the same parameters, in the same order.
func (d *Reducer) Sum(params []*graph.Param, scale float64) error {
	var grads []*tensor.Dense
	n32, n64 := 0, 0
	for _, p := range params {
		if p.Frozen() {
			continue
		}
		g := p.Grad()
		if g == nil {
			return errors.Errorf("distributed: parameter %q has no gradient", p.Name())
		}
		switch g.Dtype() {
		case tensor.Float32:
			n32 += g.DataSize()
		case tensor.Float64:
			n64 += g.DataSize()
		default:
			return errors.Errorf("distributed: parameter %q has a %v gradient; float32 and float64 are supported", p.Name(), g.Dtype())
		}
		grads = append(grads, g)
	}
	d.buf32 = resize(d.buf32, n32)
	d.buf64 = resize(d.buf64, n64)
	o32, o64 := 0, 0
	for _, g := range grads {
		if g.Dtype() == tensor.Float32 {
			o32 += copy(d.buf32[o32:], g.Float32s())
		} else {
			o64 += copy(d.buf64[o64:], g.Float64s())
		}
	}
	if n32 > 0 {
		if err := d.comm.AllReduceFloat32(d.buf32); err != nil {
			return errors.Wrapf(err, "distributed: all-reduce of %d float32 gradient values", n32)
		}
		if scale != 1 {
			for i := range d.buf32 {
				d.buf32[i] = float32(float64(d.buf32[i]) * scale)
			}
		}
	}
	if n64 > 0 {
		if err := d.comm.AllReduceFloat64(d.buf64); err != nil {
			return errors.Wrapf(err, "distributed: all-reduce of %d float64 gradient values", n64)
		}
		if scale != 1 {
			for i := range d.buf64 {
				d.buf64[i] *= scale
			}
		}
	}
	o32, o64 = 0, 0
	for _, g := range grads {
		if g.Dtype() == tensor.Float32 {
			o32 += copy(g.Float32s(), d.buf32[o32:])
		} else {
			o64 += copy(g.Float64s(), d.buf64[o64:])
		}
	}
	return nil
}

// Steps returns the wrapped optimizer's update count.
func (d *DataParallel) Steps() int { return d.inner.Steps() }

// State returns the wrapped optimizer's state.
func (d *DataParallel) State() (*optim.State, error) { return d.inner.State() }

// SetState restores the wrapped optimizer's state.
func (d *DataParallel) SetState(s *optim.State) error { return d.inner.SetState(s) }

// Broadcast copies the values of params (trainable or frozen) from rank 0
// to every other rank, with one broadcast per element type over a flat
// buffer. Every rank must call it with parameters of the same names, shapes
// and order; a mismatch with rank 0 is detected by a broadcast of the sizes
// first and reported as an error.
func Broadcast(comm Comm, params []*graph.Param) error {
	if comm.Size() == 1 {
		return nil
	}
	sizes := make([]float64, len(params)+1)
	sizes[0] = float64(len(params))
	for i, p := range params {
		sizes[i+1] = float64(p.Size())
	}
	mine := append([]float64(nil), sizes...)
	if err := comm.BroadcastFloat64(sizes, 0); err != nil {
		return errors.Wrap(err, "distributed: broadcasting the parameter sizes")
	}
	var mismatch error
	for i := range sizes {
		if sizes[i] != mine[i] {
			mismatch = errors.Errorf("distributed: rank %d's parameters differ from rank 0's (%d parameters here; entry %d is %v here and %v on rank 0): every rank must build the same model",
				comm.Rank(), len(params), i, mine[i], sizes[i])
			break
		}
	}
	if err := agree(comm, mismatch); err != nil {
		return err
	}
	var b32 []float32
	var b64 []float64
	for _, p := range params {
		switch v := p.Value(); v.Dtype() {
		case tensor.Float32:
			b32 = append(b32, v.Float32s()...)
		case tensor.Float64:
			b64 = append(b64, v.Float64s()...)
		default:
			return errors.Errorf("distributed: Broadcast: parameter %q is %v; float32 and float64 are supported", p.Name(), v.Dtype())
		}
	}
	if len(b32) > 0 {
		if err := comm.BroadcastFloat32(b32, 0); err != nil {
			return errors.Wrap(err, "distributed: broadcasting the float32 parameters")
		}
	}
	if len(b64) > 0 {
		if err := comm.BroadcastFloat64(b64, 0); err != nil {
			return errors.Wrap(err, "distributed: broadcasting the float64 parameters")
		}
	}
	for _, p := range params {
		if v := p.Value(); v.Dtype() == tensor.Float32 {
			b32 = b32[copy(v.Float32s(), b32):]
		} else {
			b64 = b64[copy(v.Float64s(), b64):]
		}
	}
	return nil
}

// agree returns err on a rank where it is not nil, and on every other rank
// an error saying that another rank failed, so that all ranks leave a
// collective sequence together (one all-reduce of one value).
func agree(comm Comm, err error) error {
	flag := []float64{0}
	if err != nil {
		flag[0] = 1
	}
	if rerr := comm.AllReduceFloat64(flag); rerr != nil {
		return errors.Wrap(rerr, "distributed: agreeing on an error")
	}
	if err == nil && flag[0] > 0 {
		err = errors.Errorf("distributed: %v other rank(s) failed (see their errors)", flag[0])
	}
	return err
}

// resize returns b with length n, reusing its storage when it can.
func resize[T float32 | float64](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}
