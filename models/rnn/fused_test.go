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

// The models' RNNs run fused (ops.Recurrence) by default; these tests run
// the same model with its RNNs unrolled (layers.RNNConfig.Unfused) and
// compare losses and gradients over a few training steps.

// fusedTrace is the losses of a few training steps and the gradients of
// every parameter after the first.
type fusedTrace struct {
	losses []float64
	grads  map[string][]float64
}

// traceSteps runs steps training steps of prog, feeding feed(step), and
// records the losses and the first step's gradients.
func traceSteps(t *testing.T, prog *graph.Program, steps int, feed func(int) graph.Feeds) fusedTrace {
	t.Helper()
	tr := fusedTrace{grads: map[string][]float64{}}
	opt := optim.ClipByGlobalNorm(optim.NewAdam(optim.Constant(1e-2)), 1)
	for s := 0; s < steps; s++ {
		loss, err := prog.Step(feed(s), gradRecorder{opt: opt, tr: &tr, first: s == 0})
		if err != nil {
			t.Fatal(err)
		}
		tr.losses = append(tr.losses, loss)
	}
	return tr
}

// gradRecorder records the gradients of the first step before opt applies
// them.
type gradRecorder struct {
	opt   graph.Optimizer
	tr    *fusedTrace
	first bool
}

func (g gradRecorder) Step(ps []*graph.Param) error {
	if g.first {
		for _, p := range ps {
			g.tr.grads[p.Name()] = floatsOf(p.Grad())
		}
	}
	return g.opt.Step(ps)
}

// floatsOf returns a float64 copy of a Float32 or Float64 tensor.
func floatsOf(d *tensor.Dense) []float64 {
	out := make([]float64, d.Shape().TotalSize())
	for i := range out {
		out[i] = valueAt(d, i)
	}
	return out
}

// compareTraces fails if the traces differ by more than tol, relative to
// the largest element of each tensor.
func compareTraces(t *testing.T, got, want fusedTrace, tol float64) {
	t.Helper()
	worst, where := 0.0, ""
	check := func(name string, a, b []float64) {
		if len(a) != len(b) {
			t.Fatalf("%s: %d elements, want %d", name, len(a), len(b))
		}
		var d, s float64
		for i := range a {
			d = math.Max(d, math.Abs(a[i]-b[i]))
			s = math.Max(s, math.Abs(b[i]))
			if math.IsNaN(a[i]) {
				d = math.Inf(1)
			}
		}
		if s > 0 {
			d /= s
		}
		if d > worst {
			worst, where = d, name
		}
	}
	check("losses", got.losses, want.losses)
	if len(got.grads) != len(want.grads) || len(want.grads) == 0 {
		t.Fatalf("%d gradients, want %d", len(got.grads), len(want.grads))
	}
	for name, g := range want.grads {
		check("gradient of "+name, got.grads[name], g)
	}
	if worst > tol {
		t.Fatalf("fused and unfused differ by %.3g (relative) at %s", worst, where)
	}
	t.Logf("largest relative difference %.3g (%s); losses %v", worst, where, got.losses)
}

// TestLMFusedMatchesUnfused trains a 2-layer LSTM and GRU language model for
// three steps with the state carried between windows, fused and unfused.
func TestLMFusedMatchesUnfused(t *testing.T) {
	const vocab, batch, steps = 7, 3, 5
	for _, cell := range []layers.CellKind{layers.LSTM, layers.GRU, layers.Elman} {
		for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
			t.Run(fmt.Sprintf("%v/%v", cell, dt), func(t *testing.T) {
				run := func(unfused bool) fusedTrace {
					m := graph.NewModel(dt, 4)
					lm, err := NewLM(m, LMConfig{Vocab: vocab, Embed: 4, Hidden: 5, Layers: 2, Cell: cell})
					if err != nil {
						t.Fatal(err)
					}
					lm.RNN.Config.Unfused = unfused
					w, err := lm.NewWindow(batch, steps)
					if err != nil {
						t.Fatal(err)
					}
					prog, err := w.CompileTrain()
					if err != nil {
						t.Fatal(err)
					}
					return traceSteps(t, prog, 3, func(s int) graph.Feeds {
						in, tg := make([]int, batch*steps), make([]int, batch*steps)
						for i := range in {
							in[i] = (i*3 + s*5) % vocab
							tg[i] = (i*5 + s + 1) % vocab
						}
						feeds, err := w.Feeds(tensor.New(tensor.WithShape(batch, steps), tensor.WithBacking(in)),
							tensor.New(tensor.WithShape(batch, steps), tensor.WithBacking(tg)))
						if err != nil {
							t.Fatal(err)
						}
						if s > 0 { // carry the state of the previous window
							outs, err := prog.Outputs()
							if err != nil {
								t.Fatal(err)
							}
							if err := w.State.Update(outs); err != nil {
								t.Fatal(err)
							}
							feeds = w.State.Feed(feeds)
						}
						return feeds
					})
				}
				tol := 1e-10
				if dt == graph.Float32 {
					tol = 1e-5
				}
				compareTraces(t, run(false), run(true), tol)
			})
		}
	}
}

// TestSeq2SeqFusedMatchesUnfused trains the bidirectional LSTM encoder–decoder
// with Luong attention (padded sources, so masked encoder steps) for three
// steps, fused and unfused.
func TestSeq2SeqFusedMatchesUnfused(t *testing.T) {
	const batch, maxLen = 4, 5
	task := datasets.TaskConfig{Task: datasets.TaskReverse, MinLen: 2, MaxLen: maxLen, Symbols: 6}
	tok := datasets.NewCharTokenizer(task.Alphabet())
	pairs, err := task.Generate(batch*3, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
		t.Run(dt.String(), func(t *testing.T) {
			run := func(unfused bool) fusedTrace {
				batcher, err := datasets.NewSeq2SeqBatcher(pairs, tok, tok, datasets.Seq2SeqConfig{
					BatchSize: batch, MaxSourceLen: maxLen, MaxTargetLen: maxLen, FixedShape: true, Seed: 1})
				if err != nil {
					t.Fatal(err)
				}
				m := graph.NewModel(dt, 1)
				s, err := NewSeq2Seq(m, Seq2SeqConfig{SourceVocab: tok.VocabSize(), TargetVocab: tok.VocabSize(), Dim: 4, Hidden: 5,
					Cell: layers.LSTM, Bidirectional: true, Attention: Luong,
					PadID: datasets.PadID, BOSID: datasets.BOSID, EOSID: datasets.EOSID})
				if err != nil {
					t.Fatal(err)
				}
				s.Encoder.Config.Unfused, s.Decoder.Config.Unfused = unfused, unfused
				loss, err := s.Loss(batch, maxLen, maxLen+1)
				if err != nil {
					t.Fatal(err)
				}
				prog, err := m.Compile(loss)
				if err != nil {
					t.Fatal(err)
				}
				return traceSteps(t, prog, 3, func(int) graph.Feeds {
					b := batcher.Next()
					return graph.Feeds{S2SSource: b.Source, S2STargetIn: b.DecoderInput, S2STargetOut: b.Target}
				})
			}
			tol := 1e-10
			if dt == graph.Float32 {
				tol = 1e-5
			}
			compareTraces(t, run(false), run(true), tol)
		})
	}
}
