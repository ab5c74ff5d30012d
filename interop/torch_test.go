package interop

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gorgonet/gorgonet/safetensors"
	"gorgonia.org/tensor"
)

// python is the interpreter with PyTorch (Debian's python3-torch).
const python = "/usr/bin/python3"

var (
	torchOnce sync.Once
	torchErr  error
)

// needTorch skips the test when PyTorch is not installed (failing under
// CI=true, where .ci/run installs python3-torch).
func needTorch(t *testing.T) {
	t.Helper()
	torchOnce.Do(func() {
		out, err := exec.Command(python, "-c", "import torch, numpy").CombinedOutput()
		if err != nil {
			torchErr = fmt.Errorf("%s cannot import torch (%v: %s); install Debian's python3-torch", python, err, out)
		}
	})
	if torchErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(torchErr)
		}
		t.Skip(torchErr)
	}
}

// torchRef runs testdata/torch_reference.py with args.
func torchRef(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(python, append([]string{filepath.Join("testdata", "torch_reference.py")}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("torch_reference.py %v: %v\n%s", args, err, out)
	}
}

// refIO is what the reference wrote: ids and targets [B,T], logits
// [B,T,V] and the mean cross-entropy.
type refIO struct {
	ids, targets []int
	B, T         int
	logits       []float32
	loss         float64
}

func readIO(t *testing.T, path string) refIO {
	t.Helper()
	ts, _, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var io refIO
	ints := func(name string) []int {
		x, ok := ts[name]
		if !ok {
			return nil
		}
		io.B, io.T = x.Shape()[0], x.Shape()[1]
		var out []int
		for _, v := range x.Data().([]int64) {
			out = append(out, int(v))
		}
		return out
	}
	io.ids, io.targets = ints("ids"), ints("targets")
	io.logits = ts["logits"].Data().([]float32)
	if l, ok := ts["loss"]; ok {
		io.loss = float64(l.Data().([]float32)[0])
	}
	return io
}

// writeIDs writes ids [B,T], and targets [B,T] unless nil, for the
// reference to run on.
func writeIDs(t *testing.T, path string, ids, targets []int, B, T int) {
	t.Helper()
	var ts []safetensors.NamedTensor
	for _, x := range []struct {
		name string
		v    []int
	}{{"ids", ids}, {"targets", targets}} {
		if x.v == nil {
			continue
		}
		v := make([]int64, len(x.v))
		for i, id := range x.v {
			v[i] = int64(id)
		}
		ts = append(ts, safetensors.NamedTensor{Name: x.name, T: tensor.New(tensor.WithShape(B, T), tensor.WithBacking(v))})
	}
	if err := safetensors.WriteFile(path, ts, nil); err != nil {
		t.Fatal(err)
	}
}

// maxRelErr returns max|got−want| / max|want|.
func maxRelErr(got, want []float32) float64 {
	var d, m float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-float64(want[i])))
		m = math.Max(m, math.Abs(float64(want[i])))
	}
	return d / m
}

// checkLogits compares logits with the reference's within 1e-5 relative.
func checkLogits(t *testing.T, what string, got, want []float32) float64 {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d logits, the reference %d", what, len(got), len(want))
	}
	e := maxRelErr(got, want)
	if e > 1e-5 || math.IsNaN(e) {
		t.Errorf("%s: logits differ from PyTorch's by %.3g relative (want ≤ 1e-5)", what, e)
	}
	return e
}
