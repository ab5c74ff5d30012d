package transformer

import (
	"runtime"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
)

// TestEstimateTrainingMatchesHeap builds a Transformer LM on a shape model,
// estimates its training program's memory, then builds, compiles and trains
// the same model for real and compares the estimate (plus Adam's two moments)
// with the live heap the model holds after two steps: an upper bound, not
// far above.
func TestEstimateTrainingMatchesHeap(t *testing.T) {
	cfg := LMConfig{Vocab: 96, Context: 64, Dim: 64, Heads: 4, Layers: 2}
	const batch = 8
	shape := graph.NewShapeModel(graph.Float32)
	slm, err := NewLM(shape, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sloss, err := slm.Loss(batch, cfg.Context)
	if err != nil {
		t.Fatal(err)
	}
	est, err := shape.EstimateTraining(sloss)
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
	loss, err := lm.Loss(batch, cfg.Context)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.NewAdam(optim.Constant(1e-3))
	ids := make([]int, batch*cfg.Context)
	for i := range ids {
		ids[i] = (7 * i) % cfg.Vocab
	}
	feeds := graph.Feeds{LMInput: ints(ids, batch, cfg.Context), LMTarget: ints(ids, batch, cfg.Context)}
	for step := 0; step < 2; step++ {
		if _, err := prog.Step(feeds, opt); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	live := int64(ms.HeapAlloc - before)
	runtime.KeepAlive(prog)
	ratio := float64(estimate) / float64(live)
	t.Logf("estimate %.1f MB (params %.1f, grads %.1f, activations %.1f, inputs %.2f, Adam %.1f); live heap %.1f MB; ratio %.2f",
		mb(estimate), mb(est.Params), mb(est.Grads), mb(est.Activations), mb(est.Inputs), mb(2*est.Params), mb(live), ratio)
	// The estimate counts every register at full size; the program's memory
	// plan lets registers whose lifetimes do not meet share memory, so the
	// live heap is smaller. The estimate must never be below it.
	if ratio < 1 || ratio > 2.5 {
		t.Errorf("estimate %.1f MB is %.2f× the live heap %.1f MB; want within [1, 2.5]", mb(estimate), ratio, mb(live))
	}
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
