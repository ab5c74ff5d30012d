package graph

import (
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestTrapConstantAsBroadcastOperand: gorgonia.NewConstant(tensor) has no
// graph, so a broadcast over it fails to build ("No Graph Supplied"); Const
// builds a value node in the model's graph, which broadcasts and computes.
func TestTrapConstantAsBroadcastOperand(t *testing.T) {
	m := NewModel(Float64, 1)
	x, err := m.NewParamFrom("x", tensor.Shape{2, 3}, []float64{0, 0, 0, 10, 10, 10})
	if err != nil {
		t.Fatal(err)
	}
	row := tensor.New(tensor.WithShape(1, 3), tensor.WithBacking([]float64{1, 2, 3}))
	if _, err := gorgonia.BroadcastAdd(x.Node(), gorgonia.NewConstant(row), nil, []byte{0}); err == nil {
		t.Error("broadcasting over gorgonia.NewConstant(tensor) now builds: the trap may be fixed")
	}
	y, err := gorgonia.BroadcastAdd(x.Node(), m.Const("row", row), nil, []byte{0})
	if err != nil {
		t.Fatalf("broadcasting over Const: %v", err)
	}
	vm := gorgonia.NewTapeMachine(m.Graph())
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 2, 3, 11, 12, 13}
	got := y.Value().Data().([]float64)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("x + Const(row) = %v, want %v", got, want)
		}
	}
}
