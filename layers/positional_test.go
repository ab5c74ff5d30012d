package layers

import (
	"fmt"
	"math"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"gorgonia.org/tensor"
)

// frequency is ω_i = 1/10000^(2i/d) of the pair of columns (2i, 2i+1),
// written independently of the implementation.
func frequency(i, d int) float64 {
	return math.Exp(-float64(2*i) / float64(d) * math.Log(10000))
}

func TestSinusoidalTableFormula(t *testing.T) {
	const maxLen, d = 120, 16
	pe := SinusoidalTable(maxLen, d)
	if !pe.Shape().Eq(tensor.Shape{maxLen, d}) || pe.Dtype() != tensor.Float64 {
		t.Fatalf("table %v %v", pe.Shape(), pe.Dtype())
	}
	v := pe.Float64s()
	for _, c := range []struct {
		pos, col int
		want     float64
	}{
		{0, 0, 0}, {0, 1, 1}, {0, 14, 0}, {0, 15, 1},
		{1, 0, math.Sin(1)}, {1, 1, math.Cos(1)},
		{7, 4, math.Sin(7 / math.Pow(10000, 4.0/16))},
		{7, 5, math.Cos(7 / math.Pow(10000, 4.0/16))},
		{119, 14, math.Sin(119 / math.Pow(10000, 14.0/16))},
		{119, 15, math.Cos(119 / math.Pow(10000, 14.0/16))},
		{50, 9, math.Cos(50 / math.Pow(10000, 8.0/16))},
	} {
		if got := v[c.pos*d+c.col]; math.Abs(got-c.want) > 1e-12 {
			t.Errorf("PE(%d,%d) = %v, want %v", c.pos, c.col, got, c.want)
		}
	}
	odd := SinusoidalTable(3, 5).Float64s()
	if want := math.Sin(2 / math.Pow(10000, 4.0/5)); math.Abs(odd[2*5+4]-want) > 1e-12 {
		t.Errorf("odd dim: last column PE(2,4) = %v, want sin %v", odd[2*5+4], want)
	}
	if SinusoidalTable(0, 4) != nil || SinusoidalTable(4, -1) != nil {
		t.Error("SinusoidalTable accepted a non-positive size")
	}
}

// TestSinusoidalRelativePositions checks the property Vaswani et al. chose
// the encoding for: for any offset k there is one matrix M_k, independent
// of pos, with PE(pos+k) = M_k·PE(pos). M_k is block diagonal, rotating each
// pair (sin ω_i p, cos ω_i p) by the angle ω_i k.
func TestSinusoidalRelativePositions(t *testing.T) {
	const maxLen, d = 200, 12
	v := SinusoidalTable(maxLen, d).Float64s()
	worst := 0.0
	for _, k := range []int{0, 1, 2, 3, 7, 16, 50, 99, 150} {
		mk := make([]float64, d*d)
		for i := 0; 2*i < d; i++ {
			s, c := math.Sincos(frequency(i, d) * float64(k))
			r0, r1 := 2*i, 2*i+1
			mk[r0*d+r0], mk[r0*d+r1] = c, s
			mk[r1*d+r0], mk[r1*d+r1] = -s, c
		}
		for pos := 0; pos+k < maxLen; pos++ {
			for r := 0; r < d; r++ {
				var got float64
				for col := 0; col < d; col++ {
					got += mk[r*d+col] * v[pos*d+col]
				}
				err := math.Abs(got - v[(pos+k)*d+r])
				worst = math.Max(worst, err)
				if err > 1e-9 {
					t.Fatalf("k=%d pos=%d row %d: M_k·PE(pos) = %v, PE(pos+k) = %v", k, pos, r, got, v[(pos+k)*d+r])
				}
			}
		}
	}
	t.Logf("max |PE(pos+k) − M_k·PE(pos)| = %.3g", worst)
}

func TestSinusoidalPEForward(t *testing.T) {
	for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
		m := graph.NewModel(dt, 1)
		pe, err := NewSinusoidalPE(m, 10, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Params()) != 0 {
			t.Fatal("the sinusoidal table became a parameter")
		}
		x, err := m.Input("x", 2, 3, 4)
		if err != nil {
			t.Fatal(err)
		}
		y, err := pe.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := m.CompileForward(y)
		if err != nil {
			t.Fatal(err)
		}
		xs := randn(1, 24)
		out, err := prog.Forward(graph.Feeds{"x": denseOf(dt, tensor.Shape{2, 3, 4}, xs)})
		if err != nil {
			t.Fatal(err)
		}
		tab, err := pe.Table(3)
		if err != nil {
			t.Fatal(err)
		}
		table := tab.Float64s()
		got := float64s(out[0])
		for i := range got {
			if want := xs[i] + table[i%12]; math.Abs(got[i]-want) > 1e-6 {
				t.Fatalf("%v: y[%d] = %v, want x + PE = %v", dt, i, got[i], want)
			}
		}
	}
}

func TestLearnedPEGradient(t *testing.T) {
	for _, c := range []struct {
		name   string
		maxLen int
	}{
		{"T < maxLen (gather)", 5},
		{"T = maxLen", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			x := inputParam(t, m, 2, 3, 4)
			pe, err := NewLearnedPE(m, "wpe", c.maxLen, 4)
			if err != nil {
				t.Fatal(err)
			}
			if pe.Weight.Name() != "wpe.weight" || !pe.Weight.Shape().Eq(tensor.Shape{c.maxLen, 4}) {
				t.Fatalf("weight %q %v", pe.Weight.Name(), pe.Weight.Shape())
			}
			y, err := pe.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			checkGrad(t, m, y, nil)
		})
	}
}

// TestLearnedPEDistantLengths builds graphs for T = 4 and T = 260 over one
// table: Gorgonia merges Slice nodes whose bounds differ by 256, so a table
// cut with Slice would give both graphs the same rows.
func TestLearnedPEDistantLengths(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	pe, err := NewLearnedPE(m, "wpe", 300, 2, WeightInit(graph.Normal(1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, steps := range []int{4, 260} {
		x, err := m.Input(fmt.Sprint("x", steps), 1, steps, 2)
		if err != nil {
			t.Fatal(err)
		}
		y, err := pe.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		got := forward(t, m, y, graph.Feeds{fmt.Sprint("x", steps): tensor.New(tensor.WithShape(1, steps, 2), tensor.WithBacking(make([]float64, 2*steps)))})
		table, err := pe.Table(steps)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range table.Float64s() {
			if got[i] != want {
				t.Fatalf("T=%d: y[%d] = %v, want PE = %v", steps, i, got[i], want)
			}
		}
	}
}

func TestLearnedPEInit(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	pe, err := NewLearnedPE(m, "wpe", 100, 50)
	if err != nil {
		t.Fatal(err)
	}
	var sq float64
	for _, v := range pe.Weight.Value().Float64s() {
		sq += v * v
	}
	if std := math.Sqrt(sq / 5000); std < 0.018 || std > 0.022 {
		t.Fatalf("std %v, want about 0.02", std)
	}
}

func TestPositionalEncodingErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	sin, err := NewSinusoidalPE(m, 8, 4)
	if err != nil {
		t.Fatal(err)
	}
	learned, err := NewLearnedPE(m, "wpe", 8, 4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Input("long", 2, 9, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Input("wide", 2, 3, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Input("flat", 3, 4); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pe    *PositionalEncoding
		x     string
		parts []string
	}{
		{sin, "long", []string{"SinusoidalPE", "(2, 9, 4)", "maxLen 8", "[8,4]"}},
		{learned, "long", []string{`LearnedPE "wpe"`, "(2, 9, 4)", "maxLen 8"}},
		{sin, "wide", []string{"SinusoidalPE", "(2, 3, 5)", "[B,T,4]"}},
		{learned, "flat", []string{`LearnedPE "wpe"`, "(3, 4)", "[B,T,4]"}},
	} {
		x, _ := m.InputNode(c.x)
		_, err := c.pe.Forward(x)
		wantError(t, err, c.parts...)
	}
	_, err = learned.Table(9)
	wantError(t, err, `LearnedPE "wpe"`, "Table(9)")
	_, err = NewSinusoidalPE(m, 0, 4)
	wantError(t, err, "SinusoidalPE", "positive")
}
