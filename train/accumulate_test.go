package train

import (
	"context"
	"math"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// newTestTask returns a task of kind (transformer_lm, rnn_lm or
// transformer_seq2seq) of element type dt with batch rows per part and
// parts parts: the same global batches for the same batch·parts.
func newTestTask(t *testing.T, kind string, dt tensor.Dtype, batch, parts int) Task {
	t.Helper()
	var task Task
	var err error
	switch kind {
	case "transformer_lm", "rnn_lm":
		lm := newTestLM(t, kind[:len(kind)-3], dt)
		task, err = NewLMTask(lm, testIDs(2000, 1), testIDs(300, 2), LMConfig{Batch: batch, Context: 8, Parts: parts, Seed: 5})
	case "transformer_seq2seq":
		pairs, tok := testPairs(t, 200)
		task, err = NewSeq2SeqTask(newTestSeq2Seq(t, tok.VocabSize(), dt), pairs[:160], pairs[160:], tok, tok,
			Seq2SeqConfig{Batch: batch, SourceLen: 8, TargetLen: 8, Parts: parts, Seed: 5})
	default:
		t.Fatalf("unknown kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// TestAccumulatedGradientEqualsLargeBatch: 4 micro-batches of 2 rows,
// weighted by their tokens, give the gradient of one batch of 8 rows (float64,
// 1e-12 relative to the largest gradient element of the model: the
// attention key bias, whose exact gradient is 0, holds only rounding noise),
// over 3 steps:
// for a Transformer LM, for an LSTM LM whose 8 streams carry their state
// from step to step in 4 parts, and for a seq2seq model whose parts hold
// different numbers of target tokens.
func TestAccumulatedGradientEqualsLargeBatch(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"transformer_lm", "rnn_lm", "transformer_seq2seq"} {
		t.Run(kind, func(t *testing.T) {
			whole, parted := newTestTask(t, kind, graph.Float64, 8, 1), newTestTask(t, kind, graph.Float64, 2, 4)
			var want, got recorder
			comb := &combiner{inner: &got}
			unequal := false
			for step := 1; step <= 3; step++ {
				if err := whole.Next(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := whole.Step(Whole, &want); err != nil {
					t.Fatal(err)
				}
				if err := parted.Next(ctx); err != nil {
					t.Fatal(err)
				}
				total, tokens := 0, make([]int, 4)
				for i := range tokens {
					tokens[i] = parted.Tokens(Part{i, 4})
					total += tokens[i]
					unequal = unequal || tokens[i] != tokens[0]
				}
				if total != whole.Tokens(Whole) {
					t.Fatalf("step %d: the parts hold %d tokens, the whole batch %d", step, total, whole.Tokens(Whole))
				}
				for i := range tokens {
					comb.weight, comb.last = float64(tokens[i])/float64(total), i == 3
					if _, err := parted.Step(Part{i, 4}, comb); err != nil {
						t.Fatal(err)
					}
				}
				worst, scale := 0.0, 0.0
				for _, w := range want.grads {
					for _, x := range w {
						scale = math.Max(scale, math.Abs(x))
					}
				}
				for name, w := range want.grads {
					g := got.grads[name]
					for i := range w {
						if d := math.Abs(w[i]-g[i]) / scale; !(d <= 1e-12) {
							t.Fatalf("step %d: %s[%d] = %v from 4 micro-batches, %v from one batch (%.3g relative)", step, name, i, g[i], w[i], d)
						} else {
							worst = math.Max(worst, d)
						}
					}
				}
				t.Logf("step %d: %d gradients agree, largest difference %.2g of the largest element", step, len(want.grads), worst)
			}
			if kind == "transformer_seq2seq" && !unequal {
				t.Errorf("every part held the same number of tokens: the weighting is not tested")
			}
		})
	}
}

// TestAccumulatedLossesEqualLargeBatch trains 20 steps of AdamW with 4
// micro-batches of 2 rows and with one batch of 8 rows (float32): the
// losses must agree within 1e-5 relative at every step.
func TestAccumulatedLossesEqualLargeBatch(t *testing.T) {
	for _, kind := range []string{"transformer_lm", "rnn_lm", "transformer_seq2seq"} {
		t.Run(kind, func(t *testing.T) {
			losses := func(batch, k int) []float64 {
				l := NewLoop(newTestTask(t, kind, graph.Float32, batch, k), newAdamW(), 20)
				l.Accumulate = k
				var out []float64
				l.Hooks.Step = func(s StepInfo) error {
					out = append(out, s.Loss)
					return nil
				}
				if err := l.Run(context.Background()); err != nil {
					t.Fatal(err)
				}
				return out
			}
			want, got := losses(8, 1), losses(2, 4)
			worst := 0.0
			for i := range want {
				d := math.Abs(got[i]-want[i]) / math.Abs(want[i])
				if !(d <= 1e-5) {
					t.Fatalf("step %d: loss %v with 4 micro-batches, %v with one batch", i+1, got[i], want[i])
				}
				worst = math.Max(worst, d)
			}
			t.Logf("20 steps: loss %.4f → %.4f, largest relative difference %.2g", want[0], want[19], worst)
		})
	}
}
