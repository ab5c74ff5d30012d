package datasets

import (
	"os"
	"testing"

	"github.com/gorgonet/gorgonet/internal/shareddata"
)

// readShared returns the contents of a reference data file beside the
// repository (shareddata.Path), skipping the test when it is absent.
func readShared(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(shareddata.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
