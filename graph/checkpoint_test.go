package graph

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/safetensors"
	"gorgonia.org/tensor"
)

// paramSpec is a parameter of a test model.
type paramSpec struct {
	name  string
	shape tensor.Shape
}

var checkpointSpecs = []paramSpec{
	{"embed.weight", tensor.Shape{7, 4}},
	{"blocks.0.linear.weight", tensor.Shape{4, 3}},
	{"blocks.0.linear.bias", tensor.Shape{3}},
}

func checkpointModel(t testing.TB, dtype tensor.Dtype, seed uint64, specs []paramSpec) *Model {
	t.Helper()
	m := NewModel(dtype, seed)
	for _, s := range specs {
		if _, err := m.NewParam(s.name, s.shape, Normal(1)); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// paramSnapshot returns independent copies of every parameter.
func paramSnapshot(m *Model) map[string]*tensor.Dense {
	out := map[string]*tensor.Dense{}
	for _, p := range m.Params() {
		out[p.Name()] = p.Value().Clone().(*tensor.Dense)
	}
	return out
}

// sameParams reports whether m's parameters have the dtypes and shapes of
// want and bitwise-equal elements.
func sameParams(m *Model, want map[string]*tensor.Dense) bool {
	for _, p := range m.Params() {
		w, ok := want[p.Name()]
		if !ok || w.Dtype() != p.Value().Dtype() || !sameShape(w.Shape(), p.Shape()) || !equalBits(p.Value().Data(), w.Data()) {
			return false
		}
	}
	return len(want) == len(m.Params())
}

// equalBits reports whether two []float32 or two []float64 slices hold the
// same bit patterns (NaN payloads and signed zeros included).
func equalBits(a, b interface{}) bool {
	switch x := a.(type) {
	case []float32:
		y, ok := b.([]float32)
		return ok && slices.EqualFunc(x, y, func(u, v float32) bool { return math.Float32bits(u) == math.Float32bits(v) })
	case []float64:
		y, ok := b.([]float64)
		return ok && slices.EqualFunc(x, y, func(u, v float64) bool { return math.Float64bits(u) == math.Float64bits(v) })
	}
	return false
}

func TestSaveLoadParams(t *testing.T) {
	for _, dtype := range []tensor.Dtype{Float32, Float64} {
		t.Run(dtype.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "model.safetensors")
			src := checkpointModel(t, dtype, 1, checkpointSpecs)
			meta := map[string]string{"step": "42"}
			if err := src.SaveParams(path, meta); err != nil {
				t.Fatal(err)
			}
			dst := checkpointModel(t, dtype, 2, checkpointSpecs)
			if sameParams(dst, paramSnapshot(src)) {
				t.Fatal("models with different seeds start equal; the test would prove nothing")
			}
			gotMeta, err := dst.LoadParams(path)
			if err != nil {
				t.Fatal(err)
			}
			if !sameParams(dst, paramSnapshot(src)) {
				t.Error("loaded parameters differ from the saved ones")
			}
			if !reflect.DeepEqual(gotMeta, meta) {
				t.Errorf("metadata %v, want %v", gotMeta, meta)
			}
			// The file is a plain safetensors file in the model's dtype.
			tensors, _, err := safetensors.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range checkpointSpecs {
				if tt := tensors[s.name]; tt == nil || tt.Dtype() != dtype || !sameShape(tt.Shape(), s.shape) {
					t.Errorf("tensor %q in file: %v", s.name, tt)
				}
			}
		})
	}
}

func TestLoadParamsErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := checkpointModel(t, Float32, 1, checkpointSpecs).SaveParams(good, nil); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	// variant writes a file from another model, or from modified bytes.
	fromModel := func(dtype tensor.Dtype, specs []paramSpec) func(string) error {
		return func(path string) error { return checkpointModel(t, dtype, 3, specs).SaveParams(path, nil) }
	}
	fromBytes := func(edit func([]byte) []byte) func(string) error {
		return func(path string) error { return os.WriteFile(path, edit(append([]byte(nil), file...)), 0o644) }
	}
	withSpec := func(i int, s paramSpec) []paramSpec {
		specs := append([]paramSpec(nil), checkpointSpecs...)
		specs[i] = s
		return specs
	}
	tests := []struct {
		name  string
		write func(path string) error
		want  []string
	}{
		{"missing file", func(string) error { return nil }, []string{"no such file"}},
		{"truncated", fromBytes(func(b []byte) []byte { return b[:len(b)-5] }), []string{"run past the end", "truncated"}},
		{"truncated header", fromBytes(func(b []byte) []byte { return b[:20] }), []string{"header length"}},
		{"flipped header byte", fromBytes(func(b []byte) []byte { b[8] ^= 0x20; return b }), []string{"not a JSON object"}},
		{"flipped dtype byte", fromBytes(func(b []byte) []byte {
			i := strings.Index(string(b), `"F32"`)
			b[i+2], b[i+3] = '6', '4' // F32 -> F64: twice the bytes
			return b
		}), []string{"hold 12 bytes but shape [3] of F64 needs 24"}},
		{"wrong shape", fromModel(Float32, withSpec(1, paramSpec{"blocks.0.linear.weight", tensor.Shape{3, 4}})),
			[]string{`parameter "blocks.0.linear.weight" has shape (3, 4), the model (4, 3)`, "nothing loaded"}},
		{"vector vs column", fromModel(Float32, withSpec(2, paramSpec{"blocks.0.linear.bias", tensor.Shape{3, 1}})),
			[]string{`"blocks.0.linear.bias" has shape (3, 1), the model (3)`}},
		{"missing tensor", fromModel(Float32, checkpointSpecs[:2]), []string{`parameter "blocks.0.linear.bias" (3) is missing`}},
		{"extra tensor", fromModel(Float32, append(checkpointSpecs[:3:3], paramSpec{"head.weight", tensor.Shape{4, 7}})),
			[]string{`tensor "head.weight" is not a parameter`}},
		{"another model", fromModel(Float32, []paramSpec{{"rnn.cell.weight", tensor.Shape{4, 4}}}),
			[]string{`"embed.weight" (7, 4) is missing`, `"blocks.0.linear.bias" (3) is missing`, `tensor "rnn.cell.weight" is not a parameter`}},
		{"wrong dtype", fromModel(Float64, checkpointSpecs), []string{`parameter "embed.weight" has element type float64, the model float32`}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("case%d.safetensors", i))
			if err := tc.write(path); err != nil {
				t.Fatal(err)
			}
			m := checkpointModel(t, Float32, 2, checkpointSpecs)
			before := paramSnapshot(m)
			meta, err := m.LoadParams(path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Errorf("error %q does not name the file", msg)
			}
			for _, want := range tc.want {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			if meta != nil {
				t.Errorf("metadata %v returned with an error", meta)
			}
			if !sameParams(m, before) {
				t.Error("a failed load changed the parameters")
			}
		})
	}
}

// TestParamsWithOptimizerState stores parameters and optimizer-like slots
// in one file, as the trainer does, and restores both.
func TestParamsWithOptimizerState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ckpt.safetensors")
	src := checkpointModel(t, Float32, 1, checkpointSpecs)
	slots := map[string][]float64{
		"exp_avg/embed.weight":    {1, -2, 3.5},
		"exp_avg_sq/embed.weight": {0.25},
	}
	tensors := append(src.ParamTensors(), Float64Tensors("optim/", slots)...)
	if err := safetensors.WriteFile(path, tensors, map[string]string{"optim.kind": "adamw"}); err != nil {
		t.Fatal(err)
	}
	// LoadParams refuses a file holding more than parameters...
	dst := checkpointModel(t, Float32, 2, checkpointSpecs)
	if _, err := dst.LoadParams(path); err == nil || !strings.Contains(err.Error(), `"optim/exp_avg/embed.weight" is not a parameter`) {
		t.Errorf("LoadParams err = %v", err)
	}
	// ...which reads with TakeFloat64s and SetParamTensors.
	read, meta, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TakeFloat64s(read, ""); err == nil || !strings.Contains(err.Error(), "not a float64 tensor") {
		t.Errorf("TakeFloat64s of float32 parameters: err = %v", err)
	}
	if len(read) != len(checkpointSpecs)+len(slots) {
		t.Errorf("a failed TakeFloat64s removed tensors: %d left", len(read))
	}
	gotSlots, err := TakeFloat64s(read, "optim/")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotSlots, slots) {
		t.Errorf("slots %v, want %v", gotSlots, slots)
	}
	if err := dst.SetParamTensors(read); err != nil {
		t.Fatal(err)
	}
	if !sameParams(dst, paramSnapshot(src)) || meta["optim.kind"] != "adamw" {
		t.Error("parameters or metadata not restored")
	}
}

func TestTakePrefix(t *testing.T) {
	one := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{1}))
	m := map[string]*tensor.Dense{"a.weight": one, "optim/a": one, "optimizer": one}
	got := TakePrefix(m, "optim/")
	if len(got) != 1 || got["a"] != one || len(m) != 2 || m["optim/a"] != nil {
		t.Errorf("took %v, left %v", got, m)
	}
}

func ExampleModel_SaveParams() {
	dir, err := os.MkdirTemp("", "gorgonet")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	trained := NewModel(Float32, 1)
	trained.NewParam("linear.weight", tensor.Shape{2, 3}, Normal(1))
	if err := trained.SaveParams(path, map[string]string{"step": "1000"}); err != nil {
		fmt.Println(err)
		return
	}
	fresh := NewModel(Float32, 2)
	fresh.NewParam("linear.weight", tensor.Shape{2, 3}, Normal(1))
	meta, err := fresh.LoadParams(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	w1, _ := trained.Param("linear.weight")
	w2, _ := fresh.Param("linear.weight")
	fmt.Println(meta["step"], reflect.DeepEqual(w1.Value().Data(), w2.Value().Data()))

	other := NewModel(Float32, 3)
	other.NewParam("linear.weight", tensor.Shape{3, 2}, Normal(1))
	_, err = other.LoadParams(path)
	fmt.Println(err != nil)
	// Output:
	// 1000 true
	// true
}
