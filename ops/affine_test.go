package ops

import (
	"github.com/gorgonet/gorgonet/graph"
	"math"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestAffineGradient(t *testing.T) {
	tests := []struct {
		name  string
		x     tensor.Shape
		out   int
		bias  bool
		first bool // residual written Add(x, Affine(x)), the trap's order
	}{
		{"2-D", tensor.Shape{5, 3}, 4, true, false},
		{"2-D no bias", tensor.Shape{5, 3}, 4, false, false},
		{"3-D", tensor.Shape{2, 3, 4}, 5, true, false},
		{"4-D no bias", tensor.Shape{2, 2, 3, 4}, 3, false, false},
		{"residual Add(x, Affine(x))", tensor.Shape{2, 3, 4}, 4, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 5)
			x0 := opParam(t, m, tc.x, 1)
			z, err := m.NewParam("z", tc.x, graph.Normal(1))
			if err != nil {
				t.Fatal(err)
			}
			// x = x0 + z: an Add output, which gorgonia may overwrite in place.
			x := gorgonia.Must(gorgonia.Add(x0.Node(), z.Node()))
			w, err := m.NewParam("w", tensor.Shape{tc.x[len(tc.x)-1], tc.out}, graph.Normal(1))
			if err != nil {
				t.Fatal(err)
			}
			var b *gorgonia.Node
			if tc.bias {
				bp, err := m.NewParam("b", tensor.Shape{tc.out}, graph.Normal(1))
				if err != nil {
					t.Fatal(err)
				}
				b = bp.Node()
			}
			y, err := Affine(x, w.Node(), b)
			if err != nil {
				t.Fatal(err)
			}
			if tc.first {
				y = gorgonia.Must(gorgonia.Add(x, y))
			}
			loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Square(y))))
			res, err := graph.GradCheck(m, loss, graph.GradCheckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxRelError > 1e-6 {
				t.Fatalf("gradient check: %v", res)
			}
		})
	}
}

// TestAffineForward compares Affine with x·W + b computed by hand, in both
// dtypes.
func TestAffineForward(t *testing.T) {
	for _, dt := range []tensor.Dtype{graph.Float32, graph.Float64} {
		m := graph.NewModel(dt, 2)
		x, _ := m.NewParam("x", tensor.Shape{2, 3, 4}, graph.Normal(1))
		w, _ := m.NewParam("w", tensor.Shape{4, 5}, graph.Normal(1))
		b, _ := m.NewParam("b", tensor.Shape{5}, graph.Normal(1))
		y, err := Affine(x.Node(), w.Node(), b.Node())
		if err != nil {
			t.Fatal(err)
		}
		prog, err := m.CompileForward(y)
		if err != nil {
			t.Fatal(err)
		}
		out, err := prog.Forward(graph.Feeds{})
		if err != nil {
			t.Fatal(err)
		}
		if !out[0].Shape().Eq(tensor.Shape{2, 3, 5}) {
			t.Fatalf("%v: shape %v, want (2, 3, 5)", dt, out[0].Shape())
		}
		xv, wv, bv, got := floats(t, x.Value()), floats(t, w.Value()), floats(t, b.Value()), floats(t, out[0])
		for r := 0; r < 6; r++ {
			for j := 0; j < 5; j++ {
				want := bv[j]
				for k := 0; k < 4; k++ {
					want += xv[r*4+k] * wv[k*5+j]
				}
				if math.Abs(got[r*5+j]-want) > 1e-5*math.Max(1, math.Abs(want)) {
					t.Fatalf("%v: y[%d,%d] = %v, want %v", dt, r, j, got[r*5+j], want)
				}
			}
		}
	}
}

func TestAffineShapeErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	x, _ := m.NewParam("x", tensor.Shape{2, 3}, graph.Zeros())
	w, _ := m.NewParam("w", tensor.Shape{4, 5}, graph.Zeros())
	b, _ := m.NewParam("b", tensor.Shape{4}, graph.Zeros())
	w3, _ := m.NewParam("w3", tensor.Shape{3, 5}, graph.Zeros())
	if _, err := Affine(x.Node(), w.Node(), nil); err == nil {
		t.Error("x (2, 3) · w (4, 5) accepted")
	}
	if _, err := Affine(x.Node(), w3.Node(), b.Node()); err == nil {
		t.Error("bias (4) for 5 outputs accepted")
	}
}
