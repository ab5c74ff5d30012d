package graph_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestRegistersReached fails if gorgonia's tape machine no longer has the
// register bank registers.go reaches by reflection (a gorgonia upgrade):
// programs would then silently fall back to re-allocating every buffer.
func TestRegistersReached(t *testing.T) {
	m, _, _ := buildLM(t, tensor.Float32)
	prog, err := m.CompileForward(m.Params()[0].Node())
	if err != nil {
		t.Fatal(err)
	}
	if !graph.KeepsRegisters(prog) {
		t.Fatal("the program does not keep its register buffers: gorgonia's tapeMachine.cpumem was not found")
	}
}

// TestKeptRegistersMatchFreshBuffers trains models for several steps with
// register buffers kept across runs (the default) and with gorgonia's plain
// Reset (every buffer fresh and zeroed), and requires bit-identical losses
// and parameters: an op that relied on a zeroed output buffer, or a buffer
// reused while still read, would make them differ from the second step on.
func TestKeptRegistersMatchFreshBuffers(t *testing.T) {
	for _, tc := range equalityCases {
		for _, dt := range []tensor.Dtype{graph.Float32, graph.Float64} {
			t.Run(tc.name+"/"+dt.String(), func(t *testing.T) {
				if err := compareKeptAndFresh(t, tc.build, dt, nil); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// equalityCases are the models TestKeptRegistersMatchFreshBuffers trains
// both ways.
var equalityCases = []struct {
	name  string
	build buildFunc
}{
	{"transformer LM with dropout", buildLM},
	{"transformer LM without dropout (flash attention)", buildFlashLM},
	{"transformer Seq2Seq with padding and dropout", buildSeq2Seq},
	{"2-layer LSTM LM with dropout, carried state", buildRNNLM(layers.LSTM)},
	{"GRU LM, carried state", buildRNNLM(layers.GRU)},
}

// buildFunc builds a model and its training program for element type dt.
type buildFunc func(t *testing.T, dt tensor.Dtype) (*graph.Model, *graph.Program, stepFunc)

// compareKeptAndFresh trains the model of build for 4 steps with fresh
// buffers and with kept, planned ones (plant, when not nil, is applied to
// the kept program before its first run) and returns an error naming the
// first loss or parameter that differs.
func compareKeptAndFresh(t *testing.T, build buildFunc, dt tensor.Dtype, plant func(*graph.Program)) error {
	run := func(keep bool) ([]float64, []*tensor.Dense) {
		defer graph.SetKeepRegisters(graph.SetKeepRegisters(keep))
		m, prog, step := build(t, dt)
		if keep && plant != nil {
			plant(prog)
		}
		opt := optim.ClipByGlobalNorm(optim.NewAdam(optim.Constant(3e-3)), 1)
		var losses []float64
		for i := 0; i < 4; i++ {
			l, err := step(i, opt)
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, l)
		}
		var params []*tensor.Dense
		for _, p := range m.Params() {
			params = append(params, p.Value().Clone().(*tensor.Dense))
		}
		return losses, params
	}
	freshLoss, freshParams := run(false)
	keptLoss, keptParams := run(true)
	for i := range freshLoss {
		if freshLoss[i] != keptLoss[i] {
			return fmt.Errorf("step %d: loss %v with kept buffers, %v with fresh ones", i+1, keptLoss[i], freshLoss[i])
		}
	}
	for i := range freshParams {
		if !equalData(freshParams[i], keptParams[i]) {
			return fmt.Errorf("parameter %d differs after 4 steps", i)
		}
	}
	return nil
}

func equalData(a, b *tensor.Dense) bool {
	switch x := a.Data().(type) {
	case []float32:
		y := b.Data().([]float32)
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
	case []float64:
		y := b.Data().([]float64)
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
	}
	return true
}

// randomIDs returns a [rows, cols] tensor of ids in [lo, hi) from rng, with
// the last pad columns of odd rows set to 0.
func randomIDs(rng *rand.Rand, rows, cols, lo, hi, pad int) *tensor.Dense {
	ids := make([]int, rows*cols)
	for i := range ids {
		ids[i] = lo + rng.Intn(hi-lo)
		if r, c := i/cols, i%cols; r%2 == 1 && c >= cols-pad {
			ids[i] = 0
		}
	}
	return tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(ids))
}

// stepFunc runs training step i.
type stepFunc func(i int, opt graph.Optimizer) (float64, error)

// compileLoss returns a function compiling the training program of a loss
// returned with an error by a model's Loss method.
func compileLoss(t *testing.T, m *graph.Model) func(*gorgonia.Node, error) *graph.Program {
	return func(loss *gorgonia.Node, err error) *graph.Program {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		prog, err := m.Compile(loss)
		if err != nil {
			t.Fatal(err)
		}
		return prog
	}
}

// feedSteps steps prog on feeds(i).
func feedSteps(prog *graph.Program, feeds func(i int) graph.Feeds) stepFunc {
	return func(i int, opt graph.Optimizer) (float64, error) { return prog.Step(feeds(i), opt) }
}

// buildLM is the Transformer LM of the register tests: context 8, batch 3,
// dropout 0.1 (the unfused attention).
func buildLM(t *testing.T, dt tensor.Dtype) (*graph.Model, *graph.Program, stepFunc) {
	return lmBuilder(transformer.LMConfig{Vocab: 20, Context: 8, Dim: 16, Heads: 2, Layers: 2, Dropout: 0.1}, 3)(t, dt)
}

// buildFlashLM is a Transformer LM without dropout (FlashAttention), with
// a context of 70 over two blocks of keys.
var buildFlashLM = lmBuilder(transformer.LMConfig{Vocab: 20, Context: 70, Dim: 16, Heads: 2, Layers: 2}, 2)

// lmBuilder builds a Transformer LM of cfg trained on random batches of
// full contexts.
func lmBuilder(cfg transformer.LMConfig, batch int) buildFunc {
	return func(t *testing.T, dt tensor.Dtype) (*graph.Model, *graph.Program, stepFunc) {
		m := graph.NewModel(dt, 3)
		lm, err := transformer.NewLM(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		prog := compileLoss(t, m)(lm.Loss(batch, cfg.Context))
		return m, prog, feedSteps(prog, func(step int) graph.Feeds {
			rng := rand.New(rand.NewSource(int64(step)))
			return graph.Feeds{
				transformer.LMInput:  randomIDs(rng, batch, cfg.Context, 0, cfg.Vocab, 0),
				transformer.LMTarget: randomIDs(rng, batch, cfg.Context, 0, cfg.Vocab, 0),
			}
		})
	}
}

func buildSeq2Seq(t *testing.T, dt tensor.Dtype) (*graph.Model, *graph.Program, stepFunc) {
	m := graph.NewModel(dt, 5)
	s, err := transformer.NewSeq2Seq(m, transformer.Seq2SeqConfig{
		SourceVocab: 12, TargetVocab: 12, MaxLen: 7, Dim: 16, Heads: 2, Layers: 2, Dropout: 0.1,
		PadID: 0, BOSID: 1, EOSID: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	prog := compileLoss(t, m)(s.Loss(4, 6, 7))
	return m, prog, feedSteps(prog, func(step int) graph.Feeds {
		rng := rand.New(rand.NewSource(int64(step)))
		return graph.Feeds{
			transformer.S2SSource:    randomIDs(rng, 4, 6, 3, 12, 2),
			transformer.S2STargetIn:  randomIDs(rng, 4, 7, 3, 12, 3),
			transformer.S2STargetOut: randomIDs(rng, 4, 7, 3, 12, 3),
		}
	})
}

func buildRNNLM(cell layers.CellKind) buildFunc {
	return func(t *testing.T, dt tensor.Dtype) (*graph.Model, *graph.Program, stepFunc) {
		m := graph.NewModel(dt, 7)
		cfg := rnn.LMConfig{Vocab: 15, Embed: 8, Hidden: 12, Cell: cell}
		if cell == layers.LSTM {
			cfg.Layers, cfg.Dropout = 2, 0.2
		}
		lm, err := rnn.NewLM(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		w, err := lm.NewWindow(3, 5)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := w.CompileTrain()
		if err != nil {
			t.Fatal(err)
		}
		return m, prog, func(i int, opt graph.Optimizer) (float64, error) {
			rng := rand.New(rand.NewSource(int64(i)))
			return w.Step(prog, randomIDs(rng, 3, 5, 0, 15, 0), randomIDs(rng, 3, 5, 0, 15, 0), opt)
		}
	}
}
