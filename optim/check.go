package optim

import (
	"math"

	"github.com/pkg/errors"
)

// nonNegative reports a hyper-parameter that is negative, NaN or infinite.
func nonNegative(name string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 0) {
		return errors.Errorf("%s must be finite and non-negative, got %v", name, v)
	}
	return nil
}

// unitInterval reports a hyper-parameter outside [0, 1).
func unitInterval(name string, v float64) error {
	if !(v >= 0 && v < 1) {
		return errors.Errorf("%s must be in [0, 1), got %v", name, v)
	}
	return nil
}

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
