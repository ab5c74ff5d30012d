package graph

import (
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGradCheckCatchesWrongGradient shows the checker can fail: gorgonia's
// InverseSqrt has a wrong gradient in v0.9.18 (−g/(2y³) instead of −g·y³/2).
func TestGradCheckCatchesWrongGradient(t *testing.T) {
	m := NewModel(Float64, 1)
	x, err := m.NewParamFrom("x", tensor.Shape{3}, []float64{0.5, 1.5, 2.5})
	if err != nil {
		t.Fatal(err)
	}
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.InverseSqrt(x.Node()))))
	res, err := GradCheck(m, loss, GradCheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxRelError < 1e-2 {
		t.Fatalf("InverseSqrt's broken gradient passed the check: %v", res)
	}
}

func TestGradCheckPassesCorrectGradient(t *testing.T) {
	m := NewModel(Float64, 1)
	x, err := m.NewParam("x", tensor.Shape{2, 3}, Normal(1))
	if err != nil {
		t.Fatal(err)
	}
	w, err := m.NewParam("w", tensor.Shape{3, 4}, Normal(1))
	if err != nil {
		t.Fatal(err)
	}
	y := gorgonia.Must(gorgonia.Tanh(gorgonia.Must(gorgonia.Mul(x.Node(), w.Node()))))
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Square(y))))
	res, err := GradCheck(m, loss, GradCheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxRelError > 1e-6 || res.Checked != 18 {
		t.Fatalf("gradient check failed: %v", res)
	}
	t.Log(res)
}
