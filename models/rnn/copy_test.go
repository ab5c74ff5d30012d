package rnn

import (
	"github.com/gorgonet/gorgonet/models/sampling"
	"testing"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/tensor"
)

// copyRun is one delayed-copy training: an LSTM reads a sequence and emits,
// at every step t ≥ Delay, the symbol it read at t − Delay (Hochreiter &
// Schmidhuber 1997, §5; datasets.TaskDelayedCopy).
type copyRun struct {
	Delay, Length, Symbols int // task
	Hidden, Batch, Steps   int // model and training
	LR                     float64
}

// copyResult reports a copyRun: the accuracy on held-out sequences over the
// delayed symbols (the positions t ≥ Delay), and the last training loss.
type copyResult struct {
	Accuracy, Loss float64
}

// tagBatch tokenises pairs into inputs and targets [B,T].
func tagBatch(tok *datasets.CharTokenizer, pairs []datasets.Pair) (in, tg *tensor.Dense) {
	var ins, tgs []int
	for _, p := range pairs {
		ins = append(ins, tok.Encode(p.Source)...)
		tgs = append(tgs, tok.Encode(p.Target)...)
	}
	n := len(ins) / len(pairs)
	return ints(ins, len(pairs), n), ints(tgs, len(pairs), n)
}

func (c copyRun) run(t testing.TB) copyResult {
	task := datasets.TaskConfig{Task: datasets.TaskDelayedCopy, MinLen: c.Length, MaxLen: c.Length, Symbols: c.Symbols, Delay: c.Delay}
	tok := datasets.NewCharTokenizer(task.Alphabet())
	m := graph.NewModel(graph.Float32, 1)
	// The LM's embedding → LSTM → projection tags every step.
	lm, err := NewLM(m, LMConfig{Vocab: tok.VocabSize(), Embed: 16, Hidden: c.Hidden, Cell: layers.LSTM})
	if err != nil {
		t.Fatal(err)
	}
	T := c.Length + c.Delay
	w, err := lm.NewWindow(c.Batch, T)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := w.CompileTrain()
	if err != nil {
		t.Fatal(err)
	}
	m.SetTraining(false)
	const evalBatch = 256
	ew, err := lm.NewWindow(evalBatch, T)
	if err != nil {
		t.Fatal(err)
	}
	eval, err := m.CompileForward(ew.Logits)
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.ClipByGlobalNorm(optim.NewAdam(optim.Constant(c.LR)), 1)
	train, err := task.Generate(c.Batch*c.Steps, 1)
	if err != nil {
		t.Fatal(err)
	}
	var res copyResult
	for s := 0; s < c.Steps; s++ {
		in, tg := tagBatch(tok, train[s*c.Batch:(s+1)*c.Batch])
		w.State.Reset() // independent sequences
		if res.Loss, err = w.Step(prog, in, tg, opt); err != nil {
			t.Fatal(err)
		}
	}
	test, err := task.Generate(evalBatch, 2)
	if err != nil {
		t.Fatal(err)
	}
	in, tg := tagBatch(tok, test)
	feeds, err := ew.Feeds(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := eval.Forward(feeds)
	if err != nil {
		t.Fatal(err)
	}
	V := tok.VocabSize()
	logits := make([]float64, V)
	var right, total int
	for b := 0; b < evalBatch; b++ {
		for s := c.Delay; s < T; s++ {
			for v := range logits {
				logits[v] = valueAt(outs[0], (s*evalBatch+b)*V+v)
			}
			if sampling.Argmax(logits) == tg.Ints()[b*T+s] {
				right++
			}
			total++
		}
	}
	res.Accuracy = float64(right) / float64(total)
	return res
}

// TestLSTMDelayedCopy trains an LSTM to output the input from 3 steps
// earlier and asks for ≥ 99% of the delayed symbols right on held-out
// sequences.
func TestLSTMDelayedCopy(t *testing.T) {
	res := copyRun{Delay: 3, Length: 10, Symbols: 4, Hidden: 32, Batch: 32, Steps: 250, LR: 3e-2}.run(t)
	t.Logf("accuracy %.4f, last loss %.4f", res.Accuracy, res.Loss)
	if res.Accuracy < 0.99 {
		t.Fatalf("accuracy %.4f, want ≥ 0.99", res.Accuracy)
	}
}
