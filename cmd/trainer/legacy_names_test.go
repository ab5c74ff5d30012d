package main

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/gorgonet/gorgonet/safetensors"
)

// TestLegacyRecurrentNamesLoad: a recurrent LM checkpoint written before the
// recurrent parameters were renamed (PyTorch's names weight_ih_l0, … on
// gorgonet's [in,out] layout, for the parameters and their optimizer
// moments) samples exactly as the same checkpoint under the new names.
func TestLegacyRecurrentNamesLoad(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "text.txt", corpus())
	run := filepath.Join(dir, "lstm")
	mustSucceed(t, dir, append([]string{"train", "--out", run}, tinyLM(data, 10, "model.kind=rnn_lm", "model.cell=lstm", "model.layers=2")...)...)
	ckpt := filepath.Join(run, "ckpt-000010.safetensors")
	tensors, meta, err := safetensors.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	renamed := regexp.MustCompile(`\.(weight|bias)_(x|h)(_l[0-9]+)$`)
	var old []safetensors.NamedTensor
	n := 0
	for name, x := range tensors {
		if m := renamed.FindStringSubmatchIndex(name); m != nil {
			part := map[string]string{"x": "ih", "h": "hh"}[name[m[4]:m[5]]]
			name = name[:m[0]] + "." + name[m[2]:m[3]] + "_" + part + name[m[5]:]
			n++
		}
		old = append(old, safetensors.NamedTensor{Name: name, T: x})
	}
	if n < 16 { // 2 layers × 4 parameters, and their two Adam moments
		t.Fatalf("renamed %d tensors back, want 8 parameters and their moments", n)
	}
	legacy := filepath.Join(dir, "legacy.safetensors")
	if err := safetensors.WriteFile(legacy, old, meta); err != nil {
		t.Fatal(err)
	}
	args := []string{"--prompt", "the ray", "--length", "30", "--seed", "3"}
	want := mustSucceed(t, dir, append([]string{"sample", ckpt}, args...)...)
	got := mustSucceed(t, dir, append([]string{"sample", legacy}, args...)...)
	if got.stdout != want.stdout {
		t.Errorf("the legacy checkpoint samples %q, the renamed one %q", got.stdout, want.stdout)
	}
}
