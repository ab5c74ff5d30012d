// Package prereq ends a test whose prerequisite (reference data beside the
// repository, the Go toolchain's default corpus, mpirun) is missing: it
// skips on a developer's machine, and fails in continuous integration
// (CI=true in the environment), where .ci/run installs every prerequisite,
// so that CI cannot stay green with its data or tools gone.
package prereq

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

// InCI reports whether the environment says this is a CI run: CI set to a
// true value of strconv.ParseBool ("true", "1", …).
func InCI() bool {
	ci, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && ci
}

// Missing ends tb for a missing prerequisite, described by format and args:
// a failure in CI, a skip otherwise.
func Missing(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		tb.Fatalf("%s (CI=%s: a missing prerequisite fails the test)", msg, os.Getenv("CI"))
	}
	tb.Skip(msg)
}
