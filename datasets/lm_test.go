package datasets

import (
	"encoding/json"
	"slices"
	"testing"
)

// positions returns ids 0..n-1, so that a token's value is its position.
func positions(n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	return ids
}

func TestLMRandomWindows(t *testing.T) {
	const B, T, N = 4, 8, 500
	b, err := NewLMBatcher(positions(N), LMConfig{BatchSize: B, SeqLen: T, Mode: RandomWindows, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if b.BatchesPerEpoch() != (N-1)/(B*T) {
		t.Errorf("%d batches per epoch", b.BatchesPerEpoch())
	}
	for k := 0; k < 50; k++ {
		batch := b.Next()
		if !batch.Inputs.Shape().Eq([]int{B, T}) || !batch.Targets.Shape().Eq([]int{B, T}) {
			t.Fatalf("shapes %v %v", batch.Inputs.Shape(), batch.Targets.Shape())
		}
		in, tg := batch.Inputs.Ints(), batch.Targets.Ints()
		for i := range in {
			// Contiguous window, targets one ahead, inside the data.
			if tg[i] != in[i]+1 || tg[i] >= N || (i%T > 0 && in[i] != in[i-1]+1) {
				t.Fatalf("batch %d: inputs %v targets %v are not a contiguous window and its next tokens", k, in, tg)
			}
		}
	}
}

func TestLMStreams(t *testing.T) {
	const B, T, N = 3, 5, 100
	b, err := NewLMBatcher(positions(N), LMConfig{BatchSize: B, SeqLen: T, Mode: Streams})
	if err != nil {
		t.Fatal(err)
	}
	L := (N - 1) / B // 33 tokens per stream
	if b.BatchesPerEpoch() != L/T {
		t.Fatalf("%d batches per epoch, want %d", b.BatchesPerEpoch(), L/T)
	}
	var prev LMBatch
	for k := 0; k < 2*b.BatchesPerEpoch()+1; k++ {
		batch := b.Next()
		step := k % b.BatchesPerEpoch()
		if batch.Step != step || batch.Epoch != k/b.BatchesPerEpoch() {
			t.Fatalf("batch %d: epoch %d step %d", k, batch.Epoch, batch.Step)
		}
		in, tg := batch.Inputs.Ints(), batch.Targets.Ints()
		for r := 0; r < B; r++ {
			if in[r*T] != r*L+step*T {
				t.Fatalf("batch %d row %d starts at %d, want %d", k, r, in[r*T], r*L+step*T)
			}
			// Row r continues where it stopped in the previous batch.
			if step > 0 && in[r*T] != prev.Targets.Ints()[r*T+T-1] {
				t.Fatalf("batch %d row %d does not continue its stream", k, r)
			}
			for i := r * T; i < (r+1)*T; i++ {
				if tg[i] != in[i]+1 {
					t.Fatalf("targets are not the next tokens")
				}
			}
		}
		prev = batch
	}
}

func TestLMResume(t *testing.T) {
	ids := positions(3000)
	for _, mode := range []LMMode{RandomWindows, Streams} {
		cfg := LMConfig{BatchSize: 4, SeqLen: 16, Mode: mode, Seed: 11}
		a, _ := NewLMBatcher(ids, cfg)
		for i := 0; i < 50; i++ { // crosses epochs in Streams mode
			a.Next()
		}
		saved, err := json.Marshal(a.State())
		if err != nil {
			t.Fatal(err)
		}
		var st BatcherState
		if err := json.Unmarshal(saved, &st); err != nil {
			t.Fatal(err)
		}
		b, _ := NewLMBatcher(ids, cfg)
		if err := b.Restore(st); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			x, y := a.Next(), b.Next()
			if !slices.Equal(x.Inputs.Ints(), y.Inputs.Ints()) || x.Epoch != y.Epoch || x.Step != y.Step {
				t.Fatalf("%v: batch %d after resuming differs", mode, i)
			}
		}
		// Same seed, same batches; another seed, other batches.
		c1, _ := NewLMBatcher(ids, cfg)
		cfg.Seed++
		c2, _ := NewLMBatcher(ids, cfg)
		same := slices.Equal(c1.Next().Inputs.Ints(), c2.Next().Inputs.Ints())
		if (mode == RandomWindows) == same {
			t.Errorf("%v: seed changes batches: %v", mode, !same)
		}
		// A state from another configuration is refused.
		if err := c2.Restore(st); err == nil {
			t.Errorf("%v: restored a state of another configuration", mode)
		}
	}
}

func TestLMErrors(t *testing.T) {
	tests := []struct {
		name string
		ids  []int
		cfg  LMConfig
	}{
		{"zero batch", positions(100), LMConfig{BatchSize: 0, SeqLen: 4}},
		{"zero length", positions(100), LMConfig{BatchSize: 2, SeqLen: 0}},
		{"bad mode", positions(100), LMConfig{BatchSize: 2, SeqLen: 4, Mode: 7}},
		{"too short", positions(4), LMConfig{BatchSize: 2, SeqLen: 4}},
		{"too short streams", positions(8), LMConfig{BatchSize: 2, SeqLen: 4, Mode: Streams}},
		{"negative id", []int{1, 2, -1, 3, 4, 5}, LMConfig{BatchSize: 1, SeqLen: 2}},
	}
	for _, tc := range tests {
		if _, err := NewLMBatcher(tc.ids, tc.cfg); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	b, _ := NewLMBatcher(positions(100), LMConfig{BatchSize: 2, SeqLen: 4})
	st := b.State()
	st.Step = 1000
	if err := b.Restore(st); err == nil {
		t.Error("out-of-range step restored")
	}
	st = b.State()
	st.RNG = []byte("junk")
	if err := b.Restore(st); err == nil {
		t.Error("junk RNG state restored")
	}
}
