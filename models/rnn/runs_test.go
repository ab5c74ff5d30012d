package rnn

import (
	"github.com/gorgonet/gorgonet/internal/shareddata"
	"os"
	"testing"
	"time"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/tensor"
)

// This file holds the character-level LM run on tiny shakespeare, shared by
// its short test and its full benchmark; bench_test.go holds the benchmarks.

// shakespeareRun is a char-rnn style training (Karpathy 2015): the first 90%
// of tiny shakespeare's characters train a stateful LM over B contiguous
// streams cut in windows of BPTT steps, the hidden state carried from window
// to window (truncated BPTT); the last 10% validate, read the same way.
type shakespeareRun struct {
	Cell               layers.CellKind
	Embed, Hidden      int
	Layers             int
	Batch, BPTT, Steps int
	MaxLR, MinLR       float64 // cosine from MaxLR to MinLR over Steps
	Clip               float64
	ValWindows         int // validation windows read (0: the whole split)
	SampleLen          int // characters sampled at the end
	DType              tensor.Dtype
}

// shakespeareResult reports a shakespeareRun.
type shakespeareResult struct {
	FirstLoss, LastLoss float64 // training loss of the first and last step
	ValLoss             float64 // mean validation cross-entropy (nats per character)
	StepSeconds         float64 // mean wall time of a training step
	Wall                time.Duration
	Sample              string
}

func (c shakespeareRun) run(tb testing.TB, log func(step int, loss float64)) shakespeareResult {
	start := time.Now()
	raw, err := os.ReadFile(shareddata.Path(tb, "tinyshakespeare.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	text := string(raw)
	tok := datasets.NewCharTokenizer(text)
	train, val, err := datasets.SplitIDs(tok.Encode(text), 0.1)
	if err != nil {
		tb.Fatal(err)
	}
	m := graph.NewModel(c.DType, 1337)
	lm, err := NewLM(m, LMConfig{Vocab: tok.VocabSize(), Embed: c.Embed, Hidden: c.Hidden, Layers: c.Layers, Cell: c.Cell})
	if err != nil {
		tb.Fatal(err)
	}
	w, err := lm.NewWindow(c.Batch, c.BPTT)
	if err != nil {
		tb.Fatal(err)
	}
	prog, err := w.CompileTrain()
	if err != nil {
		tb.Fatal(err)
	}
	m.SetTraining(false)
	ew, err := lm.NewWindow(c.Batch, c.BPTT)
	if err != nil {
		tb.Fatal(err)
	}
	eval, err := ew.CompileEval()
	if err != nil {
		tb.Fatal(err)
	}
	batches, err := datasets.NewLMBatcher(train, datasets.LMConfig{BatchSize: c.Batch, SeqLen: c.BPTT, Mode: datasets.Streams})
	if err != nil {
		tb.Fatal(err)
	}
	opt := optim.ClipByGlobalNorm(optim.NewAdam(optim.WarmupCosine(c.MaxLR, 0, c.Steps, c.MinLR)), c.Clip)
	var res shakespeareResult
	trainStart := time.Now()
	for step := 1; step <= c.Steps; step++ {
		b := batches.Next()
		if b.Step == 0 {
			w.State.Reset() // a new epoch starts the streams again
		}
		loss, err := w.Step(prog, b.Inputs, b.Targets, opt)
		if err != nil {
			tb.Fatal(err)
		}
		if step == 1 {
			res.FirstLoss = loss
		}
		res.LastLoss = loss
		if log != nil {
			log(step, loss)
		}
	}
	res.StepSeconds = time.Since(trainStart).Seconds() / float64(c.Steps)
	// Validation: the whole split (or ValWindows windows) as contiguous
	// streams, the state carried.
	vb, err := datasets.NewLMBatcher(val, datasets.LMConfig{BatchSize: c.Batch, SeqLen: c.BPTT, Mode: datasets.Streams})
	if err != nil {
		tb.Fatal(err)
	}
	n := vb.BatchesPerEpoch()
	if c.ValWindows > 0 && c.ValWindows < n {
		n = c.ValWindows
	}
	ew.State.Reset()
	for i := 0; i < n; i++ {
		b := vb.Next()
		l, err := ew.Evaluate(eval, b.Inputs, b.Targets)
		if err != nil {
			tb.Fatal(err)
		}
		res.ValLoss += l / float64(n)
	}
	if c.SampleLen > 0 {
		ids, err := lm.Generate(tok.Encode("ROMEO:"), c.SampleLen, Sampling{Temperature: 0.8, TopK: 20, Seed: 1})
		if err != nil {
			tb.Fatal(err)
		}
		if res.Sample, err = tok.Decode(ids); err != nil {
			tb.Fatal(err)
		}
		res.Sample = "ROMEO:" + res.Sample
	}
	res.Wall = time.Since(start)
	return res
}

// TestLSTMShakespeareShort runs the tiny-shakespeare LM briefly at a small
// size: the training loss falls from about ln(vocab) and the validation loss
// is well below it (the full run is BenchmarkLSTMShakespeare).
func TestLSTMShakespeareShort(t *testing.T) {
	res := shakespeareRun{Cell: layers.LSTM, Embed: 32, Hidden: 64, Batch: 16, BPTT: 32, Steps: 80,
		MaxLR: 1e-2, MinLR: 1e-3, Clip: 1, ValWindows: 10, SampleLen: 40, DType: graph.Float32}.run(t, nil)
	t.Logf("loss %.3f → %.3f, validation %.3f, %.1f ms/step, %v in all; sample %q",
		res.FirstLoss, res.LastLoss, res.ValLoss, res.StepSeconds*1e3, res.Wall.Round(time.Millisecond), res.Sample)
	if !(res.FirstLoss > 3.8 && res.LastLoss < 3 && res.ValLoss < 3) {
		t.Fatalf("loss %.3f → %.3f, validation %.3f: want from above 3.8 to below 3", res.FirstLoss, res.LastLoss, res.ValLoss)
	}
}
