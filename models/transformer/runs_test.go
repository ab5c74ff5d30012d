package transformer

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the training runs shared by the short tests and the full
// benchmarks: the character-level LM on tiny shakespeare and the reverse task.

// lmRunConfig is a character-level language-model run in the manner of
// nanoGPT's train.py: AdamW with warm-up and cosine decay, gradient clipping
// at 1, random windows.
type lmRunConfig struct {
	Model      LMConfig // Vocab is set from the text
	Batch      int
	Steps      int     // training steps run
	Warmup     int     // warm-up steps of the schedule
	DecaySteps int     // step at which the cosine reaches MinLR (nanoGPT's lr_decay_iters)
	MaxLR      float64 // peak learning rate
	MinLR      float64
	Beta2      float64
	Decay      float64 // AdamW weight decay
	EvalEvery  int     // steps between validation estimates (and at the end)
	EvalIters  int     // validation batches per estimate
	Seed       uint64
	Dtype      tensor.Dtype
}

// lmRunResult is what an LM run measured.
type lmRunResult struct {
	FirstLoss, LastLoss float64   // training loss of the first and last step
	ValLoss             float64   // last validation estimate
	Curve               []string  // "step N: train L, val V" lines
	StepSeconds         float64   // median seconds per training step (forward, backward, clip, AdamW)
	Wall                float64   // seconds of the whole run, evaluation included
	Sample              string    // text generated after training
	losses              []float64 // training loss of every step
}

// runCharLM trains an LM on the characters of text, the first 90% training
// and the last 10% validating.
func runCharLM(tb testing.TB, text string, rc lmRunConfig) lmRunResult {
	tb.Helper()
	start := time.Now()
	tok := datasets.NewCharTokenizer(text)
	train, val, err := datasets.SplitIDs(tok.Encode(text), 0.1)
	if err != nil {
		tb.Fatal(err)
	}
	rc.Model.Vocab = tok.VocabSize()
	m := graph.NewModel(rc.Dtype, rc.Seed)
	lm, err := NewLM(m, rc.Model)
	if err != nil {
		tb.Fatal(err)
	}
	T := rc.Model.Context
	loss, err := lm.Loss(rc.Batch, T)
	if err != nil {
		tb.Fatal(err)
	}
	prog, err := m.Compile(loss)
	if err != nil {
		tb.Fatal(err)
	}
	evalProg, err := lmEvalProgram(lm, rc.Batch, T)
	if err != nil {
		tb.Fatal(err)
	}
	adamw := optim.NewAdamW(optim.WarmupCosine(rc.MaxLR, rc.Warmup, rc.DecaySteps, rc.MinLR), rc.Decay)
	adamw.Beta2 = rc.Beta2
	opt := optim.ClipByGlobalNorm(adamw, 1.0)
	batches, err := datasets.NewLMBatcher(train, datasets.LMConfig{BatchSize: rc.Batch, SeqLen: T, Seed: rc.Seed})
	if err != nil {
		tb.Fatal(err)
	}
	var res lmRunResult
	var times []float64
	for step := 1; step <= rc.Steps; step++ {
		b := batches.Next()
		t0 := time.Now()
		l, err := prog.Step(graph.Feeds{LMInput: b.Inputs, LMTarget: b.Targets}, opt)
		times = append(times, time.Since(t0).Seconds())
		if err != nil {
			tb.Fatalf("step %d: %v", step, err)
		}
		res.losses = append(res.losses, l)
		if step == rc.Steps || (rc.EvalEvery > 0 && step%rc.EvalEvery == 0) {
			res.ValLoss = evalLM(tb, evalProg, val, rc.Batch, T, rc.EvalIters)
			res.Curve = append(res.Curve, fmt.Sprintf("step %4d: train %.4f (mean of last %d), val %.4f", step, meanLast(res.losses, 50), min(50, step), res.ValLoss))
		}
	}
	res.FirstLoss, res.LastLoss = res.losses[0], res.losses[len(res.losses)-1]
	slices.Sort(times)
	res.StepSeconds = times[len(times)/2]
	newline := tok.Encode("\n")
	gen, err := lm.Generate(newline, T-len(newline), Sampling{Temperature: 0.8, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	if res.Sample, err = tok.Decode(gen); err != nil {
		tb.Fatal(err)
	}
	res.Wall = time.Since(start).Seconds()
	return res
}

// lmEvalProgram compiles a forward-only validation loss of lm, without
// dropout, on inputs "val.idx" and "val.targets".
func lmEvalProgram(lm *LM, batch, T int) (*graph.Program, error) {
	m := lm.Model()
	var loss *gorgonia.Node
	err := m.InEvalMode(func() error {
		ids, err := m.IndexInput("val.idx", batch, T)
		if err != nil {
			return err
		}
		targets, err := m.IndexInput("val.targets", batch, T)
		if err != nil {
			return err
		}
		loss, err = lm.LossOf(ids, targets)
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.CompileForward(loss)
}

// evalLM returns the mean loss of iters random validation batches, always the
// same ones (a fixed seed), as nanoGPT's estimate_loss.
func evalLM(tb testing.TB, prog *graph.Program, val []int, batch, T, iters int) float64 {
	tb.Helper()
	batches, err := datasets.NewLMBatcher(val, datasets.LMConfig{BatchSize: batch, SeqLen: T, Seed: 12345})
	if err != nil {
		tb.Fatal(err)
	}
	var sum float64
	for i := 0; i < iters; i++ {
		b := batches.Next()
		out, err := prog.Forward(graph.Feeds{"val.idx": b.Inputs, "val.targets": b.Targets})
		if err != nil {
			tb.Fatal(err)
		}
		l, err := graph.Scalar(out[0])
		if err != nil {
			tb.Fatal(err)
		}
		sum += l
	}
	return sum / float64(iters)
}

func meanLast(v []float64, n int) float64 {
	n = min(n, len(v))
	var s float64
	for _, x := range v[len(v)-n:] {
		s += x
	}
	return s / float64(n)
}

// babyGPT is nanoGPT's CPU "baby GPT" on tiny shakespeare
// (config/train_shakespeare_char.py with the README's CPU overrides).
func babyGPT(steps int) lmRunConfig {
	return lmRunConfig{
		Model: LMConfig{Context: 64, Dim: 128, Heads: 4, Layers: 4, Dropout: 0,
			NoBias: true, TiedHead: true, Positions: LearnedPositions, InitStd: 0.02},
		Batch: 12, Steps: steps, Warmup: 100, DecaySteps: 2000, MaxLR: 1e-3, MinLR: 1e-4,
		Beta2: 0.99, Decay: 0.1, EvalEvery: 250, EvalIters: 50, Seed: 1337, Dtype: graph.Float32,
	}
}

// reportLMRun logs a run and reports its numbers as benchmark metrics.
func reportLMRun(b *testing.B, res lmRunResult) {
	b.ReportMetric(res.ValLoss, "val_loss")
	b.ReportMetric(meanLast(res.losses, 50), "train_loss")
	b.ReportMetric(res.StepSeconds, "s/step")
	b.ReportMetric(res.Wall, "wall_s")
	b.Logf("loss curve:\n%s", strings.Join(res.Curve, "\n"))
	b.Logf("sample (temperature 0.8, seed 1):\n%s", res.Sample)
}

// reverseRunConfig is a run of the reverse task: random symbol sequences, the
// target being the source reversed, learnt by a Seq2Seq with teacher forcing
// and measured by exact-match accuracy of greedy decoding on held-out
// sequences (none of which occurs in the training pairs).
type reverseRunConfig struct {
	Task       datasets.TaskConfig // Task is set to TaskReverse
	Model      Seq2SeqConfig       // vocabularies, special ids and MaxLen are set from the task
	Batch      int
	Steps      int
	Warmup     int     // warm-up steps of the learning rate
	LR         float64 // peak learning rate, decayed by a cosine to LR/10 at the last step
	TrainPairs int     // pairs drawn for training (cycled in shuffled epochs)
	TestPairs  int     // held-out pairs for the accuracy
	Beam       int     // beam width also measured, on BeamPairs held-out pairs, when > 0
	BeamPairs  int
	Seed       uint64
}

// reverseRunResult is what a reverse-task run measured.
type reverseRunResult struct {
	FirstLoss, LastLoss float64
	Accuracy            float64 // greedy exact match on the held-out pairs
	BeamAccuracy        float64 // beam-search exact match on the first BeamPairs held-out pairs
	StepSeconds         float64 // median seconds per training step
	Wall                float64
}

// runReverse trains and evaluates a Seq2Seq on the reverse task.
func runReverse(tb testing.TB, rc reverseRunConfig) reverseRunResult {
	tb.Helper()
	start := time.Now()
	rc.Task.Task = datasets.TaskReverse
	tok := datasets.NewCharTokenizer(rc.Task.Alphabet())
	train, err := rc.Task.Generate(rc.TrainPairs, rc.Seed)
	if err != nil {
		tb.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range train {
		seen[p.Source] = true
	}
	candidates, err := rc.Task.Generate(2*rc.TestPairs, rc.Seed+1)
	if err != nil {
		tb.Fatal(err)
	}
	var test []datasets.Pair
	for _, p := range candidates {
		if !seen[p.Source] && len(test) < rc.TestPairs {
			test = append(test, p)
		}
	}
	c := &rc.Model
	c.SourceVocab, c.TargetVocab = tok.VocabSize(), tok.VocabSize()
	c.PadID, c.BOSID, c.EOSID = datasets.PadID, datasets.BOSID, datasets.EOSID
	c.MaxLen = rc.Task.MaxLen + 1 // the target with its EOS or BOS
	m := graph.NewModel(graph.Float32, rc.Seed)
	s, err := NewSeq2Seq(m, *c)
	if err != nil {
		tb.Fatal(err)
	}
	loss, err := s.Loss(rc.Batch, rc.Task.MaxLen, rc.Task.MaxLen+1)
	if err != nil {
		tb.Fatal(err)
	}
	prog, err := m.Compile(loss)
	if err != nil {
		tb.Fatal(err)
	}
	batches, err := datasets.NewSeq2SeqBatcher(train, tok, tok, datasets.Seq2SeqConfig{BatchSize: rc.Batch,
		MaxSourceLen: rc.Task.MaxLen, MaxTargetLen: rc.Task.MaxLen, FixedShape: true, Shuffle: true, Seed: rc.Seed})
	if err != nil {
		tb.Fatal(err)
	}
	opt := optim.ClipByGlobalNorm(optim.NewAdam(optim.WarmupCosine(rc.LR, rc.Warmup, rc.Steps, rc.LR/10)), 1)
	var res reverseRunResult
	var times []float64
	for step := 0; step < rc.Steps; step++ {
		b := batches.Next()
		t0 := time.Now()
		l, err := prog.Step(graph.Feeds{S2SSource: b.Source, S2STargetIn: b.DecoderInput, S2STargetOut: b.Target}, opt)
		times = append(times, time.Since(t0).Seconds())
		if err != nil {
			tb.Fatalf("step %d: %v", step, err)
		}
		if step == 0 {
			res.FirstLoss = l
		}
		res.LastLoss = l
	}
	slices.Sort(times)
	res.StepSeconds = times[len(times)/2]
	src := make([][]int, len(test))
	for i, p := range test {
		src[i] = tok.Encode(p.Source)
	}
	const chunk = 250
	correct := 0
	for lo := 0; lo < len(src); lo += chunk {
		hi := min(lo+chunk, len(src))
		out, err := s.Greedy(src[lo:hi], c.MaxLen)
		if err != nil {
			tb.Fatal(err)
		}
		for i, ids := range out {
			if got, _ := tok.Decode(ids); got == test[lo+i].Target {
				correct++
			}
		}
	}
	res.Accuracy = float64(correct) / float64(len(test))
	if rc.Beam > 0 {
		n := min(rc.BeamPairs, len(test))
		correct = 0
		for i := 0; i < n; i++ {
			ids, err := s.Beam(src[i], rc.Beam, 0.6, c.MaxLen)
			if err != nil {
				tb.Fatal(err)
			}
			if got, _ := tok.Decode(ids); got == test[i].Target {
				correct++
			}
		}
		res.BeamAccuracy = float64(correct) / float64(n)
	}
	res.Wall = time.Since(start).Seconds()
	return res
}
