package train

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// ErrInterrupted is returned (wrapped) by Loop.Run when its context was
// cancelled: the loop stopped between two steps after saving a checkpoint,
// when it has a run directory. Test with errors.Is.
var ErrInterrupted = errors.New("train: interrupted")

// NonFiniteError is returned by Loop.Run when the loss of a step is NaN or
// infinite. Nothing of that step is applied or saved: graph.Program.Step
// leaves the parameters unchanged when the loss is not finite, and the last
// checkpoint written stays the last good one. Test with errors.As.
type NonFiniteError struct {
	Step int     // the step whose loss was not finite, 1-based
	Loss float64 // NaN, +Inf or −Inf
	// Param names the first parameter, in creation order, that holds a NaN
	// or infinite value, with its Shape; "" when every parameter is finite
	// (the forward pass overflowed).
	Param string
	Shape tensor.Shape
	// LastSaved is the step of the last checkpoint this run wrote or
	// resumed from, −1 when there is none.
	LastSaved int
}

func (e *NonFiniteError) Error() string {
	msg := fmt.Sprintf("train: the loss became %v at step %d", e.Loss, e.Step)
	if e.Param != "" {
		msg += fmt.Sprintf(" (first non-finite parameter: %s %v)", e.Param, e.Shape)
	}
	return msg
}

// nonFinite returns the NonFiniteError of step with loss, naming the first
// non-finite parameter of m.
func nonFinite(m *graph.Model, step int, loss float64, lastSaved int) *NonFiniteError {
	e := &NonFiniteError{Step: step, Loss: loss, LastSaved: lastSaved}
	for _, p := range m.Params() {
		if !allFinite(p.Value()) {
			e.Param, e.Shape = p.Name(), p.Shape()
			break
		}
	}
	return e
}

// isFinite reports whether x is neither NaN nor ±Inf.
func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// allFinite reports whether t, float32 or float64, holds no NaN or ±Inf.
func allFinite(t *tensor.Dense) bool {
	switch v := t.Data().(type) {
	case []float32:
		for _, x := range v {
			if !isFinite(float64(x)) {
				return false
			}
		}
	case []float64:
		for _, x := range v {
			if !isFinite(x) {
				return false
			}
		}
	}
	return true
}
