// Package shareddata locates the reference data that lives beside the
// repository, in ../shared/data from the directory holding go.mod (see
// ../shared/data/README.md), and the reference tools .ci/run installs into
// the repository's git-ignored .tools folder, for tests and benchmarks,
// which skip with a message when they are absent, or fail in CI (see
// internal/prereq).
package shareddata

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gorgonet/gorgonet/internal/prereq"
)

// root returns the directory holding go.mod above the working directory,
// ending tb (prereq.Missing, with a message naming what) when there is none.
func root(tb testing.TB, what string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			prereq.Missing(tb, "no go.mod above the test directory: cannot locate %s", what)
		}
		dir = parent
	}
}

// Path returns the path of the reference data file name, or ends tb with a
// message naming the file when it (or the repository root) cannot be found:
// a skip, or a failure in CI (prereq.Missing).
func Path(tb testing.TB, name string) string {
	tb.Helper()
	path := filepath.Join(root(tb, "../shared/data/"+name), "..", "shared", "data", name)
	if _, err := os.Stat(path); err != nil {
		prereq.Missing(tb, "reference data %s is absent (%v): the test needs ../shared/data beside the repository; see DESIGN.md, \"Data\"", path, err)
	}
	return path
}

// Tool returns the path of rel under the repository's .tools folder, where
// .ci/run installs reference tools (install is the command that does, for
// the message). When it is absent the test is skipped, or fails in CI,
// where .ci/run has installed it (prereq.Missing).
func Tool(tb testing.TB, rel, install string) string {
	tb.Helper()
	path := filepath.Join(root(tb, ".tools/"+rel), ".tools", rel)
	if _, err := os.Stat(path); err != nil {
		prereq.Missing(tb, "reference tool .tools/%s is absent (%v): install it with `%s` (.ci/run does)", rel, err, install)
	}
	return path
}
