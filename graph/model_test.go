package graph

import (
	"errors"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestNewParamErrors(t *testing.T) {
	m := NewModel(Float32, 1)
	if _, err := m.NewParam("w", tensor.Shape{2, 3}, Zeros()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, param, want string
		shape             tensor.Shape
		init              Initializer
	}{
		{"duplicate", "w", `"w" already exists`, tensor.Shape{2}, Zeros()},
		{"empty name", "", "empty name", tensor.Shape{2}, Zeros()},
		{"zero dim", "z", "non-positive", tensor.Shape{2, 0}, Zeros()},
		{"scalar", "s", "scalar", tensor.Shape{}, Zeros()},
		{"nil init", "n", "nil initializer", tensor.Shape{2}, nil},
		{"bad std", "b", "invalid std", tensor.Shape{2}, Normal(-1)},
		{"bad range", "r", "invalid range", tensor.Shape{2}, Uniform(1, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.NewParam(tc.param, tc.shape, tc.init)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestInitializersStatistics checks each initializer's mean and spread
// against its formula on a large tensor.
func TestInitializersStatistics(t *testing.T) {
	shape := tensor.Shape{200, 300}
	tests := []struct {
		name string
		init Initializer
		std  float64 // expected standard deviation
		mean float64
	}{
		{"zeros", Zeros(), 0, 0},
		{"ones", Ones(), 0, 1},
		{"normal", Normal(0.02), 0.02, 0},
		{"uniform", Uniform(-1, 3), 4 / sqrt12, 1},
		{"xavier uniform", XavierUniform(), 2 * sqrt6(500) / sqrt12, 0},
		{"xavier normal", XavierNormal(), sqrtf(2.0 / 500), 0},
		{"he normal", HeNormal(), sqrtf(2.0 / 200), 0},
		{"he uniform", HeUniform(), 2 * sqrt6(200) / sqrt12, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewModel(Float64, 7)
			p, err := m.NewParam("w", shape, tc.init)
			if err != nil {
				t.Fatal(err)
			}
			mean, std := meanStd(p.Value().Data().([]float64))
			if abs(mean-tc.mean) > 5*tc.std/sqrtf(float64(shape.TotalSize()))+1e-12 {
				t.Errorf("mean %v, want %v", mean, tc.mean)
			}
			if abs(std-tc.std) > 0.02*tc.std+1e-12 {
				t.Errorf("std %v, want %v", std, tc.std)
			}
		})
	}
}

func TestSameSeedSameParameters(t *testing.T) {
	build := func(seed uint64) []float32 {
		m := NewModel(Float32, seed)
		a, _ := m.NewParam("a", tensor.Shape{4, 5}, XavierUniform())
		b, _ := m.NewParam("b", tensor.Shape{5}, Normal(1))
		return append(append([]float32(nil), a.Value().Data().([]float32)...), b.Value().Data().([]float32)...)
	}
	x, y, z := build(3), build(3), build(4)
	same := func(p, q []float32) bool {
		for i := range p {
			if p[i] != q[i] {
				return false
			}
		}
		return true
	}
	if !same(x, y) {
		t.Fatal("same seed gave different parameters")
	}
	if same(x, z) {
		t.Fatal("different seeds gave the same parameters")
	}
}

func TestSummary(t *testing.T) {
	m := NewModel(Float32, 1)
	if _, err := m.NewParam("blocks.0.attn.q.weight", tensor.Shape{128, 128}, Zeros()); err != nil {
		t.Fatal(err)
	}
	b, _ := m.NewParam("blocks.0.attn.q.bias", tensor.Shape{128}, Zeros())
	b.SetFrozen(true)
	s := m.Summary()
	for _, want := range []string{"blocks.0.attn.q.weight", "(128, 128)", "16384", "frozen", "total 16512 parameters (16384 trainable) in 2 tensors"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}

func TestDecaysDefault(t *testing.T) {
	m := NewModel(Float32, 1)
	w, _ := m.NewParam("w", tensor.Shape{2, 3}, Zeros())
	b, _ := m.NewParam("b", tensor.Shape{3}, Zeros())
	if !w.Decays() || b.Decays() {
		t.Fatalf("Decays: weight %v (want true), bias %v (want false)", w.Decays(), b.Decays())
	}
}

func TestCompileErrors(t *testing.T) {
	m := NewModel(Float64, 1)
	w, _ := m.NewParam("w", tensor.Shape{3, 1}, Ones())
	if _, err := m.NewParam("unused", tensor.Shape{2}, Ones()); err != nil {
		t.Fatal(err)
	}
	x, _ := m.Input("x", 2, 3)
	out := gorgonia.Must(gorgonia.Mul(x, w.Node()))
	if _, err := m.Compile(out); err == nil || !strings.Contains(err.Error(), "scalar") {
		t.Fatalf("non-scalar loss: err = %v", err)
	}
	loss := gorgonia.Must(gorgonia.Sum(out))
	if _, err := m.Compile(loss); err == nil || !strings.Contains(err.Error(), `"unused" does not affect the loss`) {
		t.Fatalf("unused parameter: err = %v", err)
	}
}

func TestFeedErrors(t *testing.T) {
	m := NewModel(Float64, 1)
	w, _ := m.NewParam("w", tensor.Shape{3, 1}, Ones())
	x, _ := m.Input("x", 2, 3)
	loss := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.Mul(x, w.Node()))))
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	good := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(make([]float64, 6)))
	tests := []struct {
		name  string
		feeds Feeds
		want  string
	}{
		{"missing", Feeds{}, `input "x" not fed`},
		{"unknown", Feeds{"x": good, "y": good}, `fed "y", which is not an input`},
		{"shape", Feeds{"x": tensor.New(tensor.WithShape(3, 2), tensor.WithBacking(make([]float64, 6)))}, `input "x" fed shape (3, 2), want (2, 3)`},
		{"dtype", Feeds{"x": tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(make([]float32, 6)))}, `input "x" fed float32, want float64`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := prog.Step(tc.feeds, nopOptimizer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	if _, err := prog.Step(Feeds{"x": good}, nopOptimizer{}); err != nil {
		t.Fatalf("good feed after bad ones: %v", err)
	}
}

type nopOptimizer struct{}

func (nopOptimizer) Step([]*Param) error { return nil }

func TestInEvalModeRestoresMode(t *testing.T) {
	buildErr := errors.New("build failed")
	for _, tc := range []struct {
		name     string
		training bool
		err      error
	}{
		{"from training", true, nil},
		{"from evaluation", false, nil},
		{"build fails", true, buildErr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewModel(Float64, 1)
			m.SetTraining(tc.training)
			var during bool
			err := m.InEvalMode(func() error {
				during = m.Training()
				return tc.err
			})
			if err != tc.err {
				t.Fatalf("InEvalMode returned %v, want %v", err, tc.err)
			}
			if during {
				t.Error("build ran in training mode")
			}
			if m.Training() != tc.training {
				t.Errorf("mode after InEvalMode: training=%v, want %v", m.Training(), tc.training)
			}
		})
	}
}
