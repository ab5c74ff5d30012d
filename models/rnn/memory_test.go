package rnn

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/optim"
)

// TestEstimateTrainingMatchesHeap compares the memory estimate of an LSTM
// LM's training program (built on a shape model) with the live heap the
// real program holds after two steps: an upper bound, not far above.
func TestEstimateTrainingMatchesHeap(t *testing.T) {
	cfg := LMConfig{Vocab: 96, Embed: 64, Hidden: 128, Cell: layers.LSTM}
	const batch, steps = 8, 32
	shape := graph.NewShapeModel(graph.Float32)
	slm, err := NewLM(shape, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sw, err := slm.NewWindow(batch, steps)
	if err != nil {
		t.Fatal(err)
	}
	est, err := shape.EstimateTraining(sw.Loss)
	if err != nil {
		t.Fatal(err)
	}
	estimate := est.Total() + 2*est.Params // Adam's two moments

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	m := graph.NewModel(graph.Float32, 1)
	lm, err := NewLM(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, err := lm.NewWindow(batch, steps)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := w.CompileTrain()
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.NewAdam(optim.Constant(1e-3))
	rng := rand.New(rand.NewPCG(1, 2))
	ids := func() *tensor.Dense {
		v := make([]int, batch*steps)
		for i := range v {
			v[i] = rng.IntN(cfg.Vocab)
		}
		return tensor.New(tensor.WithShape(batch, steps), tensor.WithBacking(v))
	}
	for i := 0; i < 2; i++ {
		if _, err := w.Step(prog, ids(), ids(), opt); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	live := int64(ms.HeapAlloc - before)
	runtime.KeepAlive(prog)
	ratio := float64(estimate) / float64(live)
	t.Logf("estimate %.2f MB (params %.2f, activations %.2f); live heap %.2f MB; ratio %.2f",
		float64(estimate)/(1<<20), float64(est.Params)/(1<<20), float64(est.Activations)/(1<<20), float64(live)/(1<<20), ratio)
	if ratio < 1 || ratio > 2.5 {
		t.Errorf("estimate is %.2f× the live heap; want within [1, 2.5]", ratio)
	}
}
