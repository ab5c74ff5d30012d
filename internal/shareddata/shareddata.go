// Package shareddata locates the reference data that lives beside the
// repository, in ../shared/data from the directory holding go.mod (see
// ../shared/data/README.md), for tests and benchmarks, which skip with a
// message when it is absent, or fail in CI (see internal/prereq).
package shareddata

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gorgonet/gorgonet/internal/prereq"
)

// Path returns the path of the reference data file name, or ends tb with a
// message naming the file when it (or the repository root) cannot be found:
// a skip, or a failure in CI (prereq.Missing).
func Path(tb testing.TB, name string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			prereq.Missing(tb, "no go.mod above the test directory: cannot locate ../shared/data/%s", name)
		}
		dir = parent
	}
	path := filepath.Join(dir, "..", "shared", "data", name)
	if _, err := os.Stat(path); err != nil {
		prereq.Missing(tb, "reference data %s is absent (%v): the test needs ../shared/data beside the repository; see DESIGN.md, \"Data\"", path, err)
	}
	return path
}
