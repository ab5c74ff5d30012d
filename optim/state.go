package optim

import (
	"slices"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// State is an optimizer's saved state, like PyTorch's optimizer.state_dict():
// its kind, its update count and its per-parameter buffers.
//
// Slots maps "<slot>/<parameter name>" to the buffer's values in the
// parameter's element order, e.g. "exp_avg/blocks.0.attn.q.weight". The slot
// names are PyTorch's: "momentum_buffer" (Momentum, Nesterov), "exp_avg" and
// "exp_avg_sq" (Adam, AdamW), "square_avg" (RMSProp), "sum" (Adagrad); SGD
// has none. Buffers of float32 models are float32 values widened to float64,
// so they are stored exactly and restored bit for bit.
type State struct {
	Kind  string // "sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop" or "adagrad"
	Steps int    // updates applied
	Slots map[string][]float64
}

// slotKey returns the State.Slots key of a parameter's buffer.
func slotKey(slot, param string) string { return slot + "/" + param }

// buffers is one parameter's state: its slots in the model's element type,
// or, after SetState and until the parameter's next update, the restored
// values (whose length can only be checked against the parameter then).
type buffers struct {
	dtype    tensor.Dtype
	size     int
	f32      [][]float32
	f64      [][]float64
	restored [][]float64
}

// newBuffers returns k zeroed slots of n elements of dtype dt.
func newBuffers(dt tensor.Dtype, n, k int) *buffers {
	b := &buffers{dtype: dt, size: n}
	for range k {
		if dt == tensor.Float32 {
			b.f32 = append(b.f32, make([]float32, n))
		} else {
			b.f64 = append(b.f64, make([]float64, n))
		}
	}
	return b
}

// load copies values into the slots.
func (b *buffers) load(values [][]float64) {
	for i, v := range values {
		if b.f32 != nil {
			narrow(b.f32[i], v)
		} else {
			narrow(b.f64[i], v)
		}
	}
}

// values returns a float64 copy of slot i.
func (b *buffers) values(i int) []float64 {
	switch {
	case b.restored != nil:
		return append([]float64(nil), b.restored[i]...)
	case b.f32 != nil:
		return widen(b.f32[i])
	}
	return widen(b.f64[i])
}

// length returns the number of elements of each slot.
func (b *buffers) length() int {
	if b.restored != nil {
		return len(b.restored[0])
	}
	return b.size
}

func widen[T float](src []T) []float64 {
	out := make([]float64, len(src))
	for i, v := range src {
		out[i] = float64(v)
	}
	return out
}

func narrow[T float](dst []T, src []float64) {
	for i, v := range src {
		dst[i] = T(v)
	}
}

// State returns a copy of the optimizer's state.
func (c *core) State() (*State, error) {
	s := &State{Kind: c.kind, Steps: c.steps, Slots: make(map[string][]float64, len(c.state)*len(c.slots))}
	for name, b := range c.state {
		for i, slot := range c.slots {
			s.Slots[slotKey(slot, name)] = b.values(i)
		}
	}
	return s, nil
}

// SetState replaces the optimizer's state by a copy of s. It rejects a state
// of another kind, unknown or missing slots, and slots whose lengths differ
// from each other or from the parameter's state already held; a slot whose
// length differs from its parameter's size is reported by the next Step.
// Parameters absent from s start from zero state.
func (c *core) SetState(s *State) error {
	if s == nil {
		return errors.Errorf("optim: %s: SetState: nil state", c.kind)
	}
	if s.Kind != c.kind {
		return errors.Errorf("optim: %s: SetState: the state is of a %q optimizer", c.kind, s.Kind)
	}
	if s.Steps < 0 {
		return errors.Errorf("optim: %s: SetState: negative step count %d", c.kind, s.Steps)
	}
	restored := map[string][][]float64{}
	for key, v := range s.Slots {
		slot, name, _ := strings.Cut(key, "/")
		i := slices.Index(c.slots, slot)
		if i < 0 || name == "" {
			return errors.Errorf("optim: %s: SetState: unknown slot %q (want <slot>/<parameter> with slot one of %q)", c.kind, key, c.slots)
		}
		if restored[name] == nil {
			restored[name] = make([][]float64, len(c.slots))
		}
		restored[name][i] = append(make([]float64, 0, len(v)), v...)
	}
	state := make(map[string]*buffers, len(restored))
	for name, r := range restored {
		for i, v := range r {
			if v == nil {
				return errors.Errorf("optim: %s: SetState: slot %q missing", c.kind, slotKey(c.slots[i], name))
			}
			if len(v) != len(r[0]) {
				return errors.Errorf("optim: %s: SetState: slot %q has %d values but %q has %d",
					c.kind, slotKey(c.slots[i], name), len(v), slotKey(c.slots[0], name), len(r[0]))
			}
		}
		if old := c.state[name]; old != nil && old.length() != len(r[0]) {
			return errors.Errorf("optim: %s: SetState: slot %q has %d values but parameter %q has %d",
				c.kind, slotKey(c.slots[0], name), len(r[0]), name, old.length())
		}
		state[name] = &buffers{restored: r}
	}
	c.state, c.steps = state, s.Steps
	return nil
}
