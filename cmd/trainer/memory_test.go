package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMemoryBudget runs configurations whose sizes pass validation but whose
// memory no machine has: each must be refused before anything of that size
// is allocated and before the run directory is created, with the estimate,
// the budget and the keys to lower.
func TestMemoryBudget(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "text.txt", corpus())
	tests := []struct {
		name string
		sets []string
		want string
	}{
		{"long context", []string{"model.context=100000", "model.d_model=512", "data.path="}, "lower train.batch_size, model.context"}, // Opticks holds 100,001 tokens
		{"huge batch", []string{"train.batch_size=1000000000"}, "lower train.batch_size, model.context"},
		{"wide model", []string{"model.d_model=65536", "model.heads=4"}, "parameter elements, which with their gradients and optimizer moments pass the budget of 2.0 GiB (train.memory_limit); lower model.d_model"},
		{"huge hidden", []string{"model.hidden=1000000000"}, "parameter elements"},
		{"a million layers", []string{"model.layers=1000000", "model.d_model=512"}, "parameter elements"},
		{"huge RNN", []string{"model.kind=rnn_lm", "model.hidden=1000000000"}, "parameter elements"},
		{"long seq2seq", []string{"model.kind=transformer_seq2seq", "model.context=30000", "model.d_model=512", "data.path="}, "more than the budget of 2.0 GiB (train.memory_limit)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			args := append([]string{"train", "--out", out}, tinyLM(data, 10, append(tt.sets, "train.memory_limit=2")...)...)
			res := trainer(t, dir, "", args...)
			if res.code != 1 || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 1 and %q", res.code, res.stderr, tt.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("the run directory %s was created (%v)", out, err)
			}
		})
	}
	res := mustSucceed(t, dir, append([]string{"train", "--out", filepath.Join(dir, "fits")}, tinyLM(data, 2, "train.memory_limit=2")...)...)
	if !strings.Contains(res.stdout, "estimated memory") {
		t.Errorf("the start-up lines lack the memory estimate:\n%s", res.stdout)
	}
}
