package ops

import (
	"github.com/gorgonet/gorgonet/graph"
	"testing"

	"gorgonia.org/gorgonia"
)

// testInput adds a float input node to m, failing the test on error.
func testInput(t *testing.T, m *graph.Model, name string, shape ...int) *gorgonia.Node {
	t.Helper()
	n, err := m.Input(name, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// testIndexInput adds an integer input node to m, failing the test on error.
func testIndexInput(t *testing.T, m *graph.Model, name string, shape ...int) *gorgonia.Node {
	t.Helper()
	n, err := m.IndexInput(name, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
