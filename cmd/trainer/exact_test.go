package main

import (
	"fmt"
	"path/filepath"
	"testing"
)

// TestHalvesEqualWhole trains N steps straight, twice in two processes, and
// N/2 steps, stopped, then resumed for the other N/2, for a Transformer LM
// and an LSTM LM with dropout on. The two straight runs must give the same
// losses and final checkpoint bit for bit (determinism of the default
// build), and so must the halves (exact resume): parameters, optimizer
// moments, carried state, dropout RNG and data position. The schedule's
// warm-up and decay are set explicitly, since by default they derive from
// train.steps when a run starts.
func TestHalvesEqualWhole(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "text.txt", corpus())
	const steps = 40
	for _, k := range []struct {
		name string
		sets []string
	}{
		{"transformer_lm", nil},
		{"lstm_lm", []string{"model.kind=rnn_lm", "model.cell=lstm", "model.layers=2"}},
	} {
		t.Run(k.name, func(t *testing.T) {
			sets := func(n int) []string {
				return tinyLM(data, n, append([]string{"model.dropout=0.2", "optim.warmup=4",
					fmt.Sprintf("optim.decay_steps=%d", steps), "train.log_every=1", "train.save_every=100"}, k.sets...)...)
			}
			var wholes []string
			for i := 0; i < 2; i++ {
				out := filepath.Join(dir, fmt.Sprintf("%s-whole-%d", k.name, i))
				mustSucceed(t, dir, append([]string{"train", "--out", out}, sets(steps)...)...)
				wholes = append(wholes, out)
			}
			halves := filepath.Join(dir, k.name+"-halves")
			mustSucceed(t, dir, append([]string{"train", "--out", halves}, sets(steps/2)...)...)
			if ckpts, err := stepCheckpoints(halves); err != nil || len(ckpts) != 1 || filepath.Base(ckpts[0]) != stepCheckpointName(steps/2) {
				t.Fatalf("the first half left checkpoints %v (%v)", ckpts, err)
			}
			mustSucceed(t, dir, "resume", halves, "--set", fmt.Sprintf("train.steps=%d", steps))

			last := stepCheckpointName(steps)
			want := trainLosses(t, wholes[0])
			for _, other := range []string{wholes[1], halves} {
				got := trainLosses(t, other)
				if len(got) != len(want) {
					t.Fatalf("%s logged %d records, %s %d", other, len(got), wholes[0], len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("record %d: %+v in %s, %+v in %s", i, got[i], other, want[i], wholes[0])
					}
				}
				sameTensors(t, filepath.Join(other, last), filepath.Join(wholes[0], last))
			}
			t.Logf("%d steps: final training loss %v, identical in both processes and after resuming at step %d",
				steps, want[len(want)-1].Loss, steps/2)
		})
	}
}
