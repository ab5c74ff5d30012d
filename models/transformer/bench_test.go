package transformer

import (
	"flag"
	"github.com/gorgonet/gorgonet/internal/shareddata"
	"os"
	"testing"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/layers"
)

var babyGPTSteps = flag.Int("babygpt.steps", 2000, "training steps of BenchmarkBabyGPT (the reference is 2000)")

// BenchmarkBabyGPT trains nanoGPT's CPU baby GPT on tiny shakespeare, one
// complete run per iteration, and reports the validation loss (mean of 50
// validation batches; the target is ≤ 1.90 at step 2000), the median
// seconds per training step and the wall time; the log holds the loss curve
// and a sample. Run it with
//
//	go test ./models/transformer -run '^$' -bench 'BabyGPT$' -benchtime 1x -timeout 3h -v
//
// and add -args -babygpt.steps=200 for a short run.
func BenchmarkBabyGPT(b *testing.B) {
	data, err := os.ReadFile(shareddata.Path(b, "tinyshakespeare.txt"))
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		reportLMRun(b, runCharLM(b, string(data), babyGPT(*babyGPTSteps)))
	}
}

var reverseSteps = flag.Int("reverse.steps", 1000, "training steps of BenchmarkReverse")

// fullReverse is the full-size reverse task: random sequences of length
// 5–10 over 20 symbols, learnt by the paper's post-LN encoder–decoder.
func fullReverse(steps int) reverseRunConfig {
	return reverseRunConfig{
		Task:  datasets.TaskConfig{MinLen: 5, MaxLen: 10, Symbols: 20},
		Model: Seq2SeqConfig{Dim: 64, Heads: 4, Layers: 2, Hidden: 256, Norm: layers.PostLN},
		Batch: 64, Steps: steps, Warmup: 200, LR: 1e-3, TrainPairs: 200000, TestPairs: 1000, Beam: 4, BeamPairs: 100, Seed: 1,
	}
}

// BenchmarkReverse trains a Seq2Seq on the reverse task, one complete run
// per iteration, and reports the exact-match accuracy of greedy decoding on
// 1000 held-out sequences (the target is ≥ 0.99), that of beam search
// (width 4, length penalty 0.6) on 100 of them, the median seconds per
// training step and the wall time:
//
//	go test ./models/transformer -run '^$' -bench Reverse -benchtime 1x -timeout 1h
func BenchmarkReverse(b *testing.B) {
	for i := 0; i < b.N; i++ {
		res := runReverse(b, fullReverse(*reverseSteps))
		b.ReportMetric(res.Accuracy, "accuracy")
		b.ReportMetric(res.BeamAccuracy, "beam_accuracy")
		b.ReportMetric(res.LastLoss, "train_loss")
		b.ReportMetric(res.StepSeconds, "s/step")
		b.ReportMetric(res.Wall, "wall_s")
	}
}
