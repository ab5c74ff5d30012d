package train

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/distributed"
	"github.com/gorgonet/gorgonet/graph"
)

// combiner is the optimizer a Loop hands to Task.Step: it turns the
// gradients of the parts of one global batch (gradient accumulation over
// micro-batches in this process, data parallelism across processes) into
// the gradient of the batch's mean loss per token, then lets the inner
// optimizer update the parameters once.
//
// Part i's loss is the mean over its n_i tokens, so the gradient of the
// mean over all N = Σ n_i tokens is Σ (n_i/N)·g_i. Before each Step of a
// part the loop sets weight = n_i/N; the combiner adds weight·g_i into its
// buffers (Program.Step zeroes the gradients after every call), and at the
// last part of this process writes the sum back into the gradients, sums
// them across processes and calls the inner optimizer. One part in one
// process (weight 1) is the inner optimizer's plain Step.
type combiner struct {
	inner   graph.Optimizer
	reducer *distributed.Reducer // nil for one process
	weight  float64
	last    bool
	sums    []*tensor.Dense // weighted sums of the earlier parts, by parameter
	summed  bool            // sums hold a part of this step
}

// Step takes in the gradients of one part; see combiner.
func (c *combiner) Step(params []*graph.Param) error {
	if !c.last {
		return c.add(params)
	}
	for i, p := range params {
		g := p.Grad()
		if g == nil {
			continue
		}
		if c.weight != 1 {
			scale(g, c.weight)
		}
		if c.summed {
			if err := addTo(g, c.sums[i]); err != nil {
				return errors.Wrapf(err, "train: accumulating the gradient of %s", p.Name())
			}
		}
	}
	c.summed = false
	if c.reducer != nil {
		if err := c.reducer.Sum(params, 1); err != nil {
			return err
		}
	}
	return c.inner.Step(params)
}

// add adds weight times every gradient of params into the sums, which it
// zeroes first at the first part of a step.
func (c *combiner) add(params []*graph.Param) error {
	if len(c.sums) != len(params) {
		c.sums, c.summed = make([]*tensor.Dense, len(params)), false
	}
	for i, p := range params {
		g := p.Grad()
		if g == nil {
			continue
		}
		s := c.sums[i]
		switch {
		case s == nil || !s.Shape().Eq(g.Shape()) || s.Dtype() != g.Dtype():
			s = tensor.New(tensor.Of(g.Dtype()), tensor.WithShape(g.Shape().Clone()...))
			c.sums[i] = s
		case !c.summed:
			s.Zero()
		}
		if err := addScaled(s, g, c.weight); err != nil {
			return errors.Wrapf(err, "train: accumulating the gradient of %s", p.Name())
		}
	}
	c.summed = true
	return nil
}

// scale multiplies t, float32 or float64, by w in place.
func scale(t *tensor.Dense, w float64) {
	switch v := t.Data().(type) {
	case []float32:
		for i := range v {
			v[i] = float32(float64(v[i]) * w)
		}
	case []float64:
		for i := range v {
			v[i] *= w
		}
	}
}

// addScaled sets dst += w·src for float32 or float64 tensors of one size.
func addScaled(dst, src *tensor.Dense, w float64) error {
	switch d := dst.Data().(type) {
	case []float32:
		s, ok := src.Data().([]float32)
		if !ok || len(s) != len(d) {
			return errors.New("gradients of different types or sizes")
		}
		for i := range d {
			d[i] += float32(float64(s[i]) * w)
		}
	case []float64:
		s, ok := src.Data().([]float64)
		if !ok || len(s) != len(d) {
			return errors.New("gradients of different types or sizes")
		}
		for i := range d {
			d[i] += s[i] * w
		}
	default:
		return errors.Errorf("a %v gradient; float32 and float64 are supported", dst.Dtype())
	}
	return nil
}

// addTo sets dst += src.
func addTo(dst, src *tensor.Dense) error { return addScaled(dst, src, 1) }
