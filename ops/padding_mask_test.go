package ops

import (
	"slices"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// TestPaddingMask computes the mask of fed ids in a program and refuses ids
// that are not tensor.Int [B,T].
func TestPaddingMask(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	ids, err := m.IndexInput("ids", 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	mask, err := PaddingMask(ids, 7, m.Dtype())
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(mask)
	if err != nil {
		t.Fatal(err)
	}
	res, err := prog.Forward(graph.Feeds{"ids": tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]int{3, 7, 0, 7, 7, 1}))})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res[0].Float32s(), []float32{1, 0, 1, 0, 0, 1}; !slices.Equal(got, want) {
		t.Fatalf("mask %v, want %v", got, want)
	}
	_, err = PaddingMask(mask, 0, m.Dtype())
	wantErr(t, err, "PaddingMask", "tensor.Int", "[B,T]")
}
