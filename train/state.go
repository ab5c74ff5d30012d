package train

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Checkpoint returns the full state of the run now. The parameters and the
// carried state of one process are the model's own tensors, not copies:
// write the checkpoint before the next step. With several processes every
// one must call it, since the carried state of every part is gathered; the
// result is complete on each.
func (l *Loop) Checkpoint() (*Checkpoint, error) {
	m := l.Task.Model()
	params := map[string]*tensor.Dense{}
	for _, nt := range m.ParamTensors() {
		params[nt.Name] = nt.T
	}
	opt, err := l.Optimizer.State()
	if err != nil {
		return nil, err
	}
	rng, err := m.DropoutState()
	if err != nil {
		return nil, err
	}
	ck := &Checkpoint{Params: params, Optimizer: opt, DropoutRNG: rng, State: l.State, Meta: l.Meta}
	ck.Elapsed = l.ElapsedNow()
	if pos := l.Task.Position(); pos != nil {
		s := pos.State()
		ck.Data = &s
	}
	if c, ok := l.Task.(Carrier); ok {
		if ck.Carried, err = l.gatherCarried(c); err != nil {
			return nil, err
		}
	}
	return ck, nil
}

// gatherCarried stacks the carried state of every part of the global batch
// along the rows: the parts of this process are copied in, the others'
// come from a sum across processes of tensors that are zero outside each
// process's rows.
func (l *Loop) gatherCarried(c Carrier) (map[string]*tensor.Dense, error) {
	parts := l.parts()
	if parts[0].Of == 1 {
		out := map[string]*tensor.Dense{}
		for _, nt := range c.Carried(Whole) {
			out[nt.Name] = nt.T
		}
		return out, nil
	}
	out := map[string]*tensor.Dense{}
	var names []string
	for _, p := range parts {
		for _, nt := range c.Carried(p) {
			rows := nt.T.Shape()[0]
			g, ok := out[nt.Name]
			if !ok {
				shape := nt.T.Shape().Clone()
				shape[0] = rows * p.Of
				g = tensor.New(tensor.Of(nt.T.Dtype()), tensor.WithShape(shape...))
				out[nt.Name] = g
				names = append(names, nt.Name)
			}
			if err := copyRows(g, nt.T, p.Index*rows); err != nil {
				return nil, errors.Wrapf(err, "train: gathering the carried state %s", nt.Name)
			}
		}
	}
	comm := l.comm()
	if comm.Size() == 1 {
		return out, nil
	}
	for _, name := range sortedKeys(out) {
		var err error
		switch v := out[name].Data().(type) {
		case []float32:
			err = comm.AllReduceFloat32(v)
		case []float64:
			err = comm.AllReduceFloat64(v)
		default:
			err = errors.Errorf("%v state; float32 and float64 are supported", out[name].Dtype())
		}
		if err != nil {
			return nil, errors.Wrapf(err, "train: gathering the carried state %s", name)
		}
	}
	return out, nil
}

// copyRows copies src into dst from row offset on (dst's rows are the
// first dimension; the other dimensions must match).
func copyRows(dst, src *tensor.Dense, offset int) error {
	rowSize := src.Shape().TotalSize() / max(src.Shape()[0], 1)
	switch d := dst.Data().(type) {
	case []float32:
		s, ok := src.Data().([]float32)
		if !ok || offset*rowSize+len(s) > len(d) {
			return errors.New("shapes or types differ")
		}
		copy(d[offset*rowSize:], s)
	case []float64:
		s, ok := src.Data().([]float64)
		if !ok || offset*rowSize+len(s) > len(d) {
			return errors.New("shapes or types differ")
		}
		copy(d[offset*rowSize:], s)
	default:
		return errors.Errorf("%v state; float32 and float64 are supported", dst.Dtype())
	}
	return nil
}

// Restore puts the state of a checkpoint into the loop, its task, model and
// optimizer, so that Run continues exactly where the checkpoint was
// written: parameters, optimizer buffers, dropout RNG, data position,
// carried state and State. With several processes every one calls it with
// the same checkpoint.
func (l *Loop) Restore(ck *Checkpoint) error {
	m := l.Task.Model()
	if err := m.SetParamTensors(ck.Params); err != nil {
		return err
	}
	if ck.Optimizer == nil {
		return errors.New("the checkpoint holds no optimizer state")
	}
	if err := l.Optimizer.SetState(ck.Optimizer); err != nil {
		return err
	}
	if err := m.SetDropoutState(ck.DropoutRNG); err != nil {
		return err
	}
	if pos := l.Task.Position(); pos != nil {
		if ck.Data == nil {
			return errors.New("the checkpoint holds no data position")
		}
		if err := pos.Restore(*ck.Data); err != nil {
			return errors.Wrap(err, "the data differs from the checkpoint's, or the checkpoint is damaged")
		}
	}
	if c, ok := l.Task.(Carrier); ok {
		for _, p := range l.parts() {
			state, err := partRows(ck.Carried, p)
			if err == nil {
				err = c.SetCarried(p, state)
			}
			if err != nil {
				return errors.Wrap(err, "the data differs from the checkpoint's, or the checkpoint is damaged")
			}
		}
	}
	l.State, l.lastSaved, l.restored = ck.State, ck.Step, true
	return nil
}

// partRows returns copies of the rows of part p of every tensor of the
// global carried state.
func partRows(global map[string]*tensor.Dense, p Part) (map[string]*tensor.Dense, error) {
	if p.Of == 1 {
		return global, nil
	}
	out := map[string]*tensor.Dense{}
	for name, t := range global {
		shape := t.Shape()
		if len(shape) == 0 || shape[0]%p.Of != 0 {
			return nil, errors.Errorf("carried state %s of shape %v does not split into %d parts of rows", name, shape, p.Of)
		}
		rows := shape[0] / p.Of
		n := shape.TotalSize() / p.Of
		var backing interface{}
		switch v := t.Data().(type) {
		case []float32:
			backing = append([]float32(nil), v[p.Index*n:(p.Index+1)*n]...)
		case []float64:
			backing = append([]float64(nil), v[p.Index*n:(p.Index+1)*n]...)
		default:
			return nil, errors.Errorf("carried state %s is %v; float32 and float64 are supported", name, t.Dtype())
		}
		out[name] = tensor.New(tensor.WithShape(append([]int{rows}, shape[1:]...)...), tensor.WithBacking(backing))
	}
	return out, nil
}
