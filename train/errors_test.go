package train

import (
	"math"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// TestFirstNonFinite checks that a NonFiniteError names the first
// parameter, in creation order, holding a NaN or an infinity.
func TestFirstNonFinite(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	for _, name := range []string{"a", "b", "c"} {
		if _, err := m.NewParam(name, tensor.Shape{2, 2}, graph.Zeros()); err != nil {
			t.Fatal(err)
		}
	}
	if got := nonFinite(m, 1, math.NaN(), -1).Param; got != "" {
		t.Errorf("finite model: %q", got)
	}
	for _, c := range []struct {
		param string
		value float64
	}{{"c", math.Inf(-1)}, {"b", math.NaN()}} {
		p, _ := m.Param(c.param)
		p.Value().Data().([]float64)[1] = c.value
		if got, want := nonFinite(m, 1, math.NaN(), -1).Error(), "first non-finite parameter: "+c.param; !strings.Contains(got, want) {
			t.Errorf("%v in %s: %q, want %q", c.value, c.param, got, want)
		}
	}
}
