package rnn

import (
	"fmt"
	"math"
	"testing"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/tensor"
)

// ints returns a tensor.Int of the given shape.
func ints(v []int, shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(append([]int(nil), v...)))
}

// TestLMGradients checks the gradient of the LM's loss, with every cell, two
// layers and dropout between them, the token path and the output head.
func TestLMGradients(t *testing.T) {
	for _, cell := range []layers.CellKind{layers.Elman, layers.LSTM, layers.GRU} {
		t.Run(cell.String(), func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 4)
			lm, err := NewLM(m, LMConfig{Vocab: 5, Embed: 3, Hidden: 2, Layers: 2, Cell: cell, Dropout: 0.2})
			if err != nil {
				t.Fatal(err)
			}
			w, err := lm.NewWindow(2, 3)
			if err != nil {
				t.Fatal(err)
			}
			feeds, err := w.Feeds(ints([]int{0, 1, 4, 3, 3, 2}, 2, 3), ints([]int{1, 4, -1, 3, 2, 0}, 2, 3))
			if err != nil {
				t.Fatal(err)
			}
			res, err := graph.GradCheck(m, w.Loss, graph.GradCheckOptions{Feeds: feeds})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxRelError > 1e-6 {
				t.Fatal(res)
			}
			t.Log(res)
		})
	}
}

// TestLMLossIsNextTokenCrossEntropy checks the loss against the logits: the
// mean of −log softmax(logits)[target] over the counted positions.
func TestLMLossIsNextTokenCrossEntropy(t *testing.T) {
	m := graph.NewModel(graph.Float64, 2)
	lm, err := NewLM(m, LMConfig{Vocab: 6, Embed: 4, Hidden: 3, Cell: layers.GRU})
	if err != nil {
		t.Fatal(err)
	}
	w, err := lm.NewWindow(2, 4)
	if err != nil {
		t.Fatal(err)
	}
	in, tg := []int{1, 2, 3, 4, 5, 0, 1, 2}, []int{2, 3, -1, 5, 0, 1, 2, 3}
	feeds, err := w.Feeds(ints(in, 2, 4), ints(tg, 2, 4))
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(w.Loss, w.Logits)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := prog.Forward(feeds)
	if err != nil {
		t.Fatal(err)
	}
	logits := outs[1].Float64s()
	var sum float64
	var n int
	for b := 0; b < 2; b++ {
		for s := 0; s < 4; s++ {
			target := tg[b*4+s]
			if target < 0 {
				continue
			}
			row := logits[(s*2+b)*6:][:6] // time-major rows
			var z float64
			for _, v := range row {
				z += math.Exp(v)
			}
			sum += math.Log(z) - row[target]
			n++
		}
	}
	if got := outs[0].Data().(float64); math.Abs(got-sum/float64(n)) > 1e-12 {
		t.Fatalf("loss %v, want %v", got, sum/float64(n))
	}
}

// TestLMCarriedWindows checks that evaluating a stream in two windows of
// T/2 with the state carried gives the loss of one window of T (the mean of
// the halves' losses, each over the same number of tokens).
func TestLMCarriedWindows(t *testing.T) {
	m := graph.NewModel(graph.Float64, 3)
	lm, err := NewLM(m, LMConfig{Vocab: 7, Embed: 4, Hidden: 5, Layers: 2, Cell: layers.LSTM})
	if err != nil {
		t.Fatal(err)
	}
	full, err := lm.NewWindow(2, 8)
	if err != nil {
		t.Fatal(err)
	}
	half, err := lm.NewWindow(2, 4)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := full.CompileEval()
	if err != nil {
		t.Fatal(err)
	}
	ph, err := half.CompileEval()
	if err != nil {
		t.Fatal(err)
	}
	stream := []int{1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1, 0}
	var in, tg []int
	for b := 0; b < 2; b++ {
		in = append(in, stream[b*9:b*9+8]...)
		tg = append(tg, stream[b*9+1:b*9+9]...)
	}
	whole, err := full.Evaluate(pf, ints(in, 2, 8), ints(tg, 2, 8))
	if err != nil {
		t.Fatal(err)
	}
	var halves float64
	for k := 0; k < 2; k++ {
		var hi, ht []int
		for b := 0; b < 2; b++ {
			hi = append(hi, in[b*8+4*k:b*8+4*k+4]...)
			ht = append(ht, tg[b*8+4*k:b*8+4*k+4]...)
		}
		l, err := half.Evaluate(ph, ints(hi, 2, 4), ints(ht, 2, 4))
		if err != nil {
			t.Fatal(err)
		}
		halves += l / 2
	}
	if math.Abs(whole-halves) > 1e-12 {
		t.Fatalf("two carried halves give loss %v, one window %v", halves, whole)
	}
}

// trainPattern trains a small LM on a periodic stream with stateful windows
// and returns it with the losses of the first and the last step.
func trainPattern(t *testing.T, cell layers.CellKind, stream []int, vocab, steps int) (*LM, float64, float64) {
	t.Helper()
	m := graph.NewModel(graph.Float32, 1)
	lm, err := NewLM(m, LMConfig{Vocab: vocab, Embed: 16, Hidden: 32, Cell: cell})
	if err != nil {
		t.Fatal(err)
	}
	batcher, err := datasets.NewLMBatcher(stream, datasets.LMConfig{BatchSize: 4, SeqLen: 8, Mode: datasets.Streams})
	if err != nil {
		t.Fatal(err)
	}
	w, err := lm.NewWindow(4, 8)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := w.CompileTrain()
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.ClipByGlobalNorm(optim.NewAdam(optim.Constant(1e-2)), 1)
	var first, last float64
	for i := 0; i < steps; i++ {
		b := batcher.Next()
		if b.Step == 0 {
			w.State.Reset()
		}
		loss, err := w.Step(prog, b.Inputs, b.Targets, opt)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = loss
		}
		last = loss
	}
	return lm, first, last
}

// TestLMLearnsAndGenerates trains on a periodic stream whose next token
// depends on the last two (so the state must carry the past): the loss
// falls, and greedy generation continues the pattern.
func TestLMLearnsAndGenerates(t *testing.T) {
	pattern := []int{1, 2, 1, 3, 2, 2, 3}
	var stream []int
	for len(stream) < 2000 {
		stream = append(stream, pattern...)
	}
	for _, cell := range []layers.CellKind{layers.LSTM, layers.GRU, layers.Elman} {
		t.Run(cell.String(), func(t *testing.T) {
			lm, first, last := trainPattern(t, cell, stream, 4, 150)
			t.Logf("loss %.3f → %.3f", first, last)
			if !(last < 0.05 && first > 1) {
				t.Fatalf("loss %.3f → %.3f, want from above 1 to below 0.05", first, last)
			}
			got, err := lm.Generate(stream[:9], 14, Sampling{})
			if err != nil {
				t.Fatal(err)
			}
			if want := stream[9:23]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("generated %v, want %v", got, want)
			}
		})
	}
}

func TestGenerateSampling(t *testing.T) {
	m := graph.NewModel(graph.Float32, 5)
	lm, err := NewLM(m, LMConfig{Vocab: 12, Embed: 8, Hidden: 8, Cell: layers.LSTM, Layers: 2, Dropout: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	prompt := []int{3, 1, 4}
	gen := func(s Sampling) string {
		out, err := lm.Generate(prompt, 20, s)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(out)
	}
	hot := Sampling{Temperature: 1.5, Seed: 7}
	if a, b := gen(hot), gen(hot); a != b {
		t.Fatalf("same seed, different samples: %s and %s", a, b)
	}
	if a, b := gen(hot), gen(Sampling{Temperature: 1.5, Seed: 8}); a == b {
		t.Fatalf("different seeds, same 20 samples %s", a)
	}
	if a, b := gen(Sampling{Temperature: 1, TopK: 1, Seed: 3}), gen(Sampling{}); a != b {
		t.Fatalf("top-1 sampling %s differs from greedy %s", a, b)
	}
	for _, bad := range []Sampling{{Temperature: -1}, {Temperature: math.Inf(1)}, {TopK: -2}} {
		if _, err := lm.Generate(prompt, 3, bad); err == nil {
			t.Errorf("Generate with %+v: no error", bad)
		}
	}
	if _, err := lm.Generate(nil, 3, Sampling{}); err == nil {
		t.Error("Generate with an empty prompt: no error")
	}
	if _, err := lm.Generate([]int{12}, 3, Sampling{}); err == nil {
		t.Error("Generate with a token outside the vocabulary: no error")
	}
}

func TestLMErrors(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	for _, cfg := range []LMConfig{
		{Vocab: 0, Embed: 2, Hidden: 2},
		{Vocab: 2, Embed: 2, Hidden: 2, Dropout: 1},
		{Vocab: 2, Embed: 2, Hidden: 2, Cell: layers.CellKind(5)},
	} {
		if _, err := NewLM(m, cfg); err == nil {
			t.Errorf("NewLM(%+v): no error", cfg)
		}
	}
	lm, err := NewLM(m, LMConfig{Vocab: 3, Embed: 2, Hidden: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lm.NewWindow(0, 3); err == nil {
		t.Error("NewWindow(0, 3): no error")
	}
	w, err := lm.NewWindow(2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Feeds(ints(make([]int, 6), 3, 2), ints(make([]int, 6), 2, 3)); err == nil {
		t.Error("Feeds of the wrong shape: no error")
	}
}
