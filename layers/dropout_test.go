package layers

import (
	"math"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"gorgonia.org/tensor"
)

// TestDropoutGradient checks the gradient through a dropout mask: GradCheck
// rewinds the model's dropout RNG before every evaluation, so every run sees
// the same mask.
func TestDropoutGradient(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	x := inputParam(t, m, 4, 5)
	d, err := NewDropout(m, 0.4)
	if err != nil {
		t.Fatal(err)
	}
	y, err := d.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	// Tanh makes the loss depend on the values kept, not only on the mask.
	sq, err := Tanh(y)
	if err != nil {
		t.Fatal(err)
	}
	checkGrad(t, m, sq, nil)
}

// TestDropoutForward checks inverted dropout: each element is 0 or x/(1−p),
// about a fraction p of them 0, and masks differ between runs.
func TestDropoutForward(t *testing.T) {
	const p, n = 0.3, 4000
	m := graph.NewModel(graph.Float64, 1)
	x, err := m.Input("x", n)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDropout(m, p)
	if err != nil {
		t.Fatal(err)
	}
	y, err := d.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(y)
	if err != nil {
		t.Fatal(err)
	}
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 1 + float64(i%7)
	}
	feeds := graph.Feeds{"x": tensor.New(tensor.WithShape(n), tensor.WithBacking(xs))}
	var masks [2][]bool
	for run := range masks {
		out, err := prog.Forward(feeds)
		if err != nil {
			t.Fatal(err)
		}
		dropped := 0
		for i, v := range out[0].Float64s() {
			kept := v != 0
			if kept && math.Abs(v-xs[i]/(1-p)) > 1e-12 {
				t.Fatalf("y[%d] = %v, want 0 or %v", i, v, xs[i]/(1-p))
			}
			if !kept {
				dropped++
			}
			masks[run] = append(masks[run], kept)
		}
		// Binomial(4000, 0.3): standard deviation 29, so ±150 is over 5σ.
		if dropped < n*p-150 || dropped > n*p+150 {
			t.Fatalf("dropped %d of %d, want about %v", dropped, n, n*p)
		}
	}
	same := 0
	for i := range masks[0] {
		if masks[0][i] == masks[1][i] {
			same++
		}
	}
	if same == n {
		t.Fatal("two runs drew the same mask")
	}
}

func TestDropoutIdentity(t *testing.T) {
	for _, c := range []struct {
		name     string
		p        float64
		training bool
	}{
		{"evaluation mode", 0.5, false},
		{"p = 0", 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			m.SetTraining(c.training)
			x, err := m.Input("x", 3, 4)
			if err != nil {
				t.Fatal(err)
			}
			d, err := NewDropout(m, c.p)
			if err != nil {
				t.Fatal(err)
			}
			y, err := d.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			xs := randn(2, 12)
			got := forward(t, m, y, graph.Feeds{"x": tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(xs))})
			for i := range xs {
				if got[i] != xs[i] {
					t.Fatalf("y = %v, want x = %v", got, xs)
				}
			}
		})
	}
}

func TestDropoutErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	for _, p := range []float64{-0.1, 1, 1.5, math.NaN()} {
		_, err := NewDropout(m, p)
		wantError(t, err, "Dropout", "outside [0, 1)")
	}
	d, err := NewDropout(m, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Forward(nil)
	wantError(t, err, "Dropout", "nil input")
}
