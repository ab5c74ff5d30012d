package layers

import (
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"gorgonia.org/tensor"
)

func TestEmbeddingGradient(t *testing.T) {
	for _, c := range []struct {
		name  string
		shape []int
		ids   []int
	}{
		{"[N] repeated", []int{5}, []int{3, 1, 3, 3, 0}},
		{"[B,T] repeated", []int{2, 3}, []int{1, 4, 1, 4, 4, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			e, err := NewEmbedding(m, "tok", 6, 4)
			if err != nil {
				t.Fatal(err)
			}
			ids, err := m.IndexInput("ids", c.shape...)
			if err != nil {
				t.Fatal(err)
			}
			y, err := e.Forward(ids)
			if err != nil {
				t.Fatal(err)
			}
			if want := tensor.Shape(append(append([]int(nil), c.shape...), 4)); !y.Shape().Eq(want) {
				t.Fatalf("output shape %v, want %v", y.Shape(), want)
			}
			feeds := graph.Feeds{"ids": tensor.New(tensor.WithShape(c.shape...), tensor.WithBacking(c.ids))}
			checkGrad(t, m, y, feeds)
		})
	}
}

func TestEmbeddingLookup(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	e, err := NewEmbedding(m, "tok", 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	table := make([]float64, 15)
	for i := range table {
		table[i] = float64(i)
	}
	if err := e.SetWeights(table); err != nil {
		t.Fatal(err)
	}
	ids, err := m.IndexInput("ids", 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	y, err := e.Forward(ids)
	if err != nil {
		t.Fatal(err)
	}
	got := forward(t, m, y, graph.Feeds{"ids": tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]int{4, 0, 2, 4}))})
	want := []float64{12, 13, 14, 0, 1, 2, 6, 7, 8, 12, 13, 14}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("lookup = %v, want %v", got, want)
		}
	}
}

func TestEmbeddingFreezeAndSetWeights(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	e, err := NewEmbedding(m, "glove", 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetWeights([]float64{1, 2, 3, 4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	if got := e.Weight.Value().Float32s(); got[0] != 1 || got[5] != 6 {
		t.Fatalf("weights %v after SetWeights", got)
	}
	wantError(t, e.SetWeights([]float64{1, 2, 3}), `Embedding "glove"`, "3 values", "want 6", "vocab 3 × dim 2")
	e.Freeze()
	if !e.Weight.Frozen() {
		t.Fatal("Freeze did not freeze the table")
	}
}

func TestEmbeddingInit(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	e, err := NewEmbedding(m, "tok", 100, 50)
	if err != nil {
		t.Fatal(err)
	}
	if e.Weight.Name() != "tok.weight" || !e.Weight.Shape().Eq(tensor.Shape{100, 50}) {
		t.Fatalf("weight %q %v", e.Weight.Name(), e.Weight.Shape())
	}
	var sq float64
	for _, v := range e.Weight.Value().Float64s() {
		sq += v * v
	}
	// N(0,1), like PyTorch's nn.Embedding: the mean square is 1 ± a few percent.
	if ms := sq / 5000; ms < 0.9 || ms > 1.1 {
		t.Fatalf("mean square %v, want about 1", ms)
	}
}

func TestEmbeddingErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	e, err := NewEmbedding(m, "tok", 6, 4)
	if err != nil {
		t.Fatal(err)
	}
	floats, err := m.Input("x", 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Forward(floats)
	wantError(t, err, `Embedding "tok"`, "(2, 3)", "float64", "want int")
	ids3, err := m.IndexInput("ids", 2, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Forward(ids3)
	wantError(t, err, `Embedding "tok"`, "(2, 3, 4)", "[N] or [B,T]")
	_, err = NewEmbedding(m, "empty", 0, 4)
	wantError(t, err, `Embedding "empty"`, "positive")
}
