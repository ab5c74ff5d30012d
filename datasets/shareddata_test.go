package datasets

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedData returns the path of a file of the reference data beside the
// project (the repository root's ../shared/data), skipping the test with a
// message when it is absent.
func sharedData(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "data", name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("reference data %s is absent (%v): the test needs ../shared/data from the repository root; see DESIGN.md, \"Data\"", name, err)
	}
	return path
}

// readShared returns the contents of a reference data file (see sharedData).
func readShared(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(sharedData(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
