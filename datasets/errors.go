package datasets

import (
	"fmt"

	"github.com/pkg/errors"
)

// lineError is an error about line (1-based) of the file called name.
func lineError(name string, line int, format string, args ...interface{}) error {
	return errors.Errorf("datasets: %s:%d: %s", name, line, fmt.Sprintf(format, args...))
}

// fileError is an error about the file called name as a whole.
func fileError(name string, format string, args ...interface{}) error {
	return errors.Errorf("datasets: %s: %s", name, fmt.Sprintf(format, args...))
}
