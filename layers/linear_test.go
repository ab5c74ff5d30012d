package layers

import (
	"math"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"gorgonia.org/tensor"
)

func TestLinearGradient(t *testing.T) {
	for _, c := range []struct {
		name  string
		shape []int
		opts  []Option
	}{
		{"2-D", []int{3, 4}, nil},
		{"2-D no bias", []int{3, 4}, []Option{NoBias()}},
		{"3-D", []int{2, 3, 4}, nil},
		{"3-D no bias", []int{2, 3, 4}, []Option{NoBias()}},
		{"4-D", []int{2, 2, 3, 4}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			x := inputParam(t, m, c.shape...)
			l, err := NewLinear(m, "fc", 4, 5, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			y, err := l.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			want := append(append([]int(nil), c.shape[:len(c.shape)-1]...), 5)
			if !y.Shape().Eq(tensor.Shape(want)) {
				t.Fatalf("output shape %v, want %v", y.Shape(), want)
			}
			checkGrad(t, m, y, nil)
		})
	}
}

// TestLinearForward compares the layer with x·W + b written out by hand on
// a [B,T,in] input, which must equal the layer applied row by row.
func TestLinearForward(t *testing.T) {
	m := graph.NewModel(graph.Float64, 3)
	l, err := NewLinear(m, "fc", 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.Input("x", 2, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	y, err := l.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	xs := randn(5, 12)
	got := forward(t, m, y, graph.Feeds{"x": tensor.New(tensor.WithShape(2, 2, 3), tensor.WithBacking(xs))})
	w, b := l.Weight.Value().Float64s(), l.Bias.Value().Float64s()
	for r := 0; r < 4; r++ {
		for o := 0; o < 2; o++ {
			want := b[o]
			for i := 0; i < 3; i++ {
				want += xs[r*3+i] * w[i*2+o]
			}
			if math.Abs(got[r*2+o]-want) > 1e-12 {
				t.Fatalf("y[%d,%d] = %v, want %v", r, o, got[r*2+o], want)
			}
		}
	}
}

func TestLinearInit(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	l, err := NewLinear(m, "blocks.0.fc1", 16, 400)
	if err != nil {
		t.Fatal(err)
	}
	if l.Weight.Name() != "blocks.0.fc1.weight" || l.Bias.Name() != "blocks.0.fc1.bias" {
		t.Fatalf("names %q, %q", l.Weight.Name(), l.Bias.Name())
	}
	if !l.Weight.Shape().Eq(tensor.Shape{16, 400}) || !l.Bias.Shape().Eq(tensor.Shape{400}) {
		t.Fatalf("shapes %v, %v", l.Weight.Shape(), l.Bias.Shape())
	}
	// PyTorch's nn.Linear: U(−1/√in, 1/√in) for weight and bias, variance 1/(3·in).
	bound := 1 / math.Sqrt(16)
	for _, p := range []*graph.Param{l.Weight, l.Bias} {
		v := p.Value().Float64s()
		var sum, sq float64
		for _, x := range v {
			if math.Abs(x) > bound {
				t.Fatalf("%s holds %v outside ±%v", p.Name(), x, bound)
			}
			sum += x
			sq += x * x
		}
		n := float64(len(v))
		variance := sq/n - (sum/n)*(sum/n)
		if want := bound * bound / 3; math.Abs(variance-want) > 0.2*want {
			t.Fatalf("%s variance %v, want about %v", p.Name(), variance, want)
		}
	}
	nb, err := NewLinear(m, "fc2", 4, 3, NoBias(), WeightInit(graph.Constant(0.5)))
	if err != nil {
		t.Fatal(err)
	}
	if nb.Bias != nil || nb.Weight.Value().Float64s()[5] != 0.5 {
		t.Fatal("NoBias or WeightInit ignored")
	}
	if _, ok := m.Param("fc2.bias"); ok {
		t.Fatal("NoBias created fc2.bias")
	}
}

func TestLinearErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	l, err := NewLinear(m, "fc", 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.Input("x", 2, 3, 6)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Forward(x)
	wantError(t, err, `Linear "fc"`, "(2, 3, 6)", "[B,T,4]")

	ids, err := m.IndexInput("ids", 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Forward(ids)
	wantError(t, err, `Linear "fc"`, "int", "float64")

	_, err = NewLinear(m, "bad", 0, 5)
	wantError(t, err, `Linear "bad"`, "positive")
	_, err = NewLinear(m, "fc", 4, 5)
	wantError(t, err, `Linear "fc"`, "already exists")
}

func TestLinearFloat32(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	l, err := NewLinear(m, "fc", 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.Input("x", 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	y, err := l.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(y)
	if err != nil {
		t.Fatal(err)
	}
	out, err := prog.Forward(graph.Feeds{"x": tensor.New(tensor.WithShape(4, 3), tensor.WithBacking(make([]float32, 12)))})
	if err != nil {
		t.Fatal(err)
	}
	// x = 0, so every row is the bias.
	b := l.Bias.Value().Float32s()
	for i, v := range out[0].Float32s() {
		if v != b[i%2] {
			t.Fatalf("y[%d] = %v, want bias %v", i, v, b[i%2])
		}
	}
}
