package layers

import (
	"fmt"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
)

func TestFeedForwardGradient(t *testing.T) {
	for _, c := range []struct {
		name    string
		shape   []int
		act     Activation
		dropout float64
	}{
		{"[B,T,D] gelu", []int{2, 3, 4}, GELU, 0},
		{"[N,D] relu", []int{3, 4}, ReLU, 0},
		{"[B,T,D] gelu dropout", []int{2, 3, 4}, GELU, 0.25},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			x := inputParam(t, m, c.shape...)
			ff, err := NewFeedForward(m, "blocks.0.ff", 4, 6, c.act, c.dropout)
			if err != nil {
				t.Fatal(err)
			}
			y, err := ff.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			if !y.Shape().Eq(x.Shape()) {
				t.Fatalf("output shape %v, want %v", y.Shape(), x.Shape())
			}
			checkGrad(t, m, y, nil)
		})
	}
}

func TestFeedForwardStructure(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	ff, err := NewFeedForward(m, "ff", 8, 32, ReLU, 0.1, NoBias())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range m.Params() {
		names = append(names, fmt.Sprint(p.Name(), p.Shape()))
	}
	want := []string{"ff.fc1.weight(8, 32)", "ff.fc2.weight(32, 8)"}
	if len(names) != len(want) || names[0] != want[0] || names[1] != want[1] {
		t.Fatalf("parameters %v, want %v", names, want)
	}
	if ff.Drop.P != 0.1 || ff.FC1.Bias != nil {
		t.Fatalf("block %+v", ff)
	}
}

func TestFeedForwardErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	_, err := NewFeedForward(m, "ff", 4, 8, nil, 0)
	wantError(t, err, `FeedForward "ff"`, "nil activation")
	_, err = NewFeedForward(m, "ff", 4, 8, ReLU, 1)
	wantError(t, err, `FeedForward "ff"`, "outside [0, 1)")
	_, err = NewFeedForward(m, "ff", 4, 0, ReLU, 0)
	wantError(t, err, `FeedForward "ff"`, `Linear "ff.fc1"`, "positive")
	ff, err := NewFeedForward(m, "ff2", 4, 8, ReLU, 0)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.Input("x", 2, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ff.Forward(x)
	wantError(t, err, `FeedForward "ff2"`, `Linear "ff2.fc1"`, "(2, 3, 5)", "[B,T,4]")
}
