package rnn

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/tensor"
)

// BenchmarkLSTMStep measures one training step (forward, backward, clipping
// and Adam) of the LSTM language model of the PyTorch reference
// (../../../shared/bench/torch_reference.py lstm): vocab 96, embedding 256,
// one LSTM layer of 256, BPTT 64, batch 32, float32, random tokens. The
// LSTM runs as one fused ops.Recurrence.
func BenchmarkLSTMStep(b *testing.B) { benchStep(b, layers.LSTM, false) }

// BenchmarkElmanStep is BenchmarkLSTMStep with a tanh RNN layer
// (torch_reference.py rnn).
func BenchmarkElmanStep(b *testing.B) { benchStep(b, layers.Elman, false) }

// BenchmarkLSTMStepUnfused is BenchmarkLSTMStep with the LSTM unrolled into
// per-step nodes (layers.RNNConfig.Unfused), the graph the fused
// recurrence op replaced.
func BenchmarkLSTMStepUnfused(b *testing.B) { benchStep(b, layers.LSTM, true) }

// BenchmarkElmanStepUnfused is BenchmarkElmanStep unrolled.
func BenchmarkElmanStepUnfused(b *testing.B) { benchStep(b, layers.Elman, true) }

func benchStep(b *testing.B, cell layers.CellKind, unfused bool) {
	const vocab, batch, steps = 96, 32, 64
	m := graph.NewModel(graph.Float32, 1)
	lm, err := NewLM(m, LMConfig{Vocab: vocab, Embed: 256, Hidden: 256, Cell: cell})
	if err != nil {
		b.Fatal(err)
	}
	lm.RNN.Config.Unfused = unfused
	w, err := lm.NewWindow(batch, steps)
	if err != nil {
		b.Fatal(err)
	}
	prog, err := w.CompileTrain()
	if err != nil {
		b.Fatal(err)
	}
	opt := optim.ClipByGlobalNorm(optim.NewAdam(optim.Constant(1e-3)), 1)
	rng := rand.New(rand.NewPCG(1, 2))
	ids := func() *tensor.Dense {
		v := make([]int, batch*steps)
		for i := range v {
			v[i] = rng.IntN(vocab)
		}
		return tensor.New(tensor.WithShape(batch, steps), tensor.WithBacking(v))
	}
	for i := 0; i < 2; i++ { // warm up
		if _, err := w.Step(prog, ids(), ids(), opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.Step(prog, ids(), ids(), opt); err != nil {
			b.Fatal(err)
		}
	}
	perStep := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(perStep, "s/step")
	b.ReportMetric(float64(batch*steps)/perStep, "tokens/s")
}

// BenchmarkLSTMShakespeare is the character-level LSTM benchmark: tiny
// shakespeare (90/10 split), embedding 256, one LSTM layer of 256, BPTT 64,
// batch 32, Adam with the learning rate going from 2e-3 to 2e-4 along a
// cosine over 2000 steps, gradient clipping at 1, float32; the hidden state
// carried across windows (truncated BPTT). It reports the validation loss
// over the whole validation split after step 2000 (target ≤ 1.65), the mean
// step time and the wall time, and logs a sample. One complete run per b.N:
//
//	go test ./models/rnn -run '^$' -bench LSTMShakespeare -benchtime 1x -timeout 3h -v
func BenchmarkLSTMShakespeare(b *testing.B) {
	for i := 0; i < b.N; i++ {
		res := shakespeareRun{Cell: layers.LSTM, Embed: 256, Hidden: 256, Batch: 32, BPTT: 64, Steps: 2000,
			MaxLR: 2e-3, MinLR: 2e-4, Clip: 1, SampleLen: 500, DType: graph.Float32}.run(b, func(step int, loss float64) {
			if step%100 == 0 {
				b.Logf("step %d: loss %.4f", step, loss)
			}
		})
		b.Logf("validation loss %.4f (target ≤ 1.65), last training loss %.4f, %.3f s/step, wall %v\n%s",
			res.ValLoss, res.LastLoss, res.StepSeconds, res.Wall.Round(time.Second), res.Sample)
		b.ReportMetric(res.ValLoss, "val_loss")
		b.ReportMetric(res.StepSeconds, "s/step")
		b.ReportMetric(res.Wall.Seconds(), "wall_s")
	}
}

// BenchmarkDelayedCopy trains an LSTM to output the input from 5 steps
// earlier (8 symbols, sequences of 10) and reports the accuracy on held-out
// sequences over the delayed symbols (target ≥ 0.99). One run per b.N.
func BenchmarkDelayedCopy(b *testing.B) {
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res := copyRun{Delay: 5, Length: 10, Symbols: 8, Hidden: 64, Batch: 32, Steps: 1000, LR: 1e-2}.run(b)
		b.Logf("accuracy %.4f (target ≥ 0.99), last loss %.4f, wall %v", res.Accuracy, res.Loss, time.Since(start).Round(time.Second))
		b.ReportMetric(res.Accuracy, "accuracy")
		b.ReportMetric(time.Since(start).Seconds(), "wall_s")
	}
}

// BenchmarkSeq2SeqReverse trains the RNN encoder–decoder (bidirectional
// LSTM encoder, LSTM decoder, 64 units) with attention on the reverse task
// of the Transformer's benchmark (random sequences of length 5–10 over 20
// symbols), and reports the exact-match rate of
// greedy decoding on 500 held-out sequences (target ≥ 0.95). One run per b.N
// and attention kind.
func BenchmarkSeq2SeqReverse(b *testing.B) {
	for _, attn := range []AttentionKind{Bahdanau, Luong} {
		b.Run(attn.String(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				start := time.Now()
				res := reverseRun{MinLen: 5, MaxLen: 10, Symbols: 20, Hidden: 64, Batch: 32, Steps: 2000, LR: 1e-2, Attention: attn, Eval: 500}.run(b)
				b.Logf("exact match %.4f (target ≥ 0.95), last loss %.4f, wall %v", res.ExactMatch, res.Loss, time.Since(start).Round(time.Second))
				b.ReportMetric(res.ExactMatch, "exact_match")
				b.ReportMetric(time.Since(start).Seconds(), "wall_s")
			}
		})
	}
}
