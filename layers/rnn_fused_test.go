package layers

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// fusedCase is an RNN run both fused (ops.Recurrence) and unfused (cells
// unrolled step by step).
type fusedCase struct {
	cfg          RNNConfig
	batch, steps int
	input        string // "inputs" ([B,T,In]), "steps" ([B,In] each) or "tokens"
	mask         bool   // padding mask, as the Seq2Seq encoder's
	timeMajor    bool   // RunTimeMajor, as the language model's
	init         bool   // initial states given as parameters
}

func (c fusedCase) String() string {
	act := ""
	if c.cfg.Activation != nil {
		act = "/relu"
	}
	return fmt.Sprintf("%v%s/L%d/bidi=%v/B%d/T%d/H%d/%s/mask=%v/timeMajor=%v/init=%v", c.cfg.Cell, act, c.cfg.Layers,
		c.cfg.Bidirectional, c.batch, c.steps, c.cfg.Hidden, c.input, c.mask, c.timeMajor, c.init)
}

// fusedCases: every cell (Elman with tanh and ReLU), two bidirectional layers,
// T = 1 and T = 7, H = 5 (not a multiple of 8), the three input forms, masks,
// the time-major layout and given initial states.
func fusedCases() []fusedCase {
	var cs []fusedCase
	type cell struct {
		kind CellKind
		act  Activation
	}
	for _, k := range []cell{{LSTM, nil}, {GRU, nil}, {Elman, nil}, {Elman, ReLU}} {
		cfg := RNNConfig{Cell: k.kind, Activation: k.act, Input: 3, Hidden: 5, Layers: 2, Bidirectional: true}
		one := cfg
		one.Layers, one.Bidirectional = 1, false
		cs = append(cs,
			fusedCase{cfg: cfg, batch: 3, steps: 7, input: "inputs", init: true},
			fusedCase{cfg: cfg, batch: 2, steps: 1, input: "steps", init: true},
			fusedCase{cfg: cfg, batch: 3, steps: 7, input: "tokens", mask: true},
			fusedCase{cfg: one, batch: 3, steps: 7, input: "tokens", timeMajor: true, init: true},
			fusedCase{cfg: cfg, batch: 2, steps: 4, input: "steps", mask: true, timeMajor: true},
			fusedCase{cfg: cfg, batch: 2, steps: 3, input: "inputs", timeMajor: true, init: true},
		)
	}
	// Large enough for the fused op to split the batch between goroutines.
	cs = append(cs,
		fusedCase{cfg: RNNConfig{Cell: LSTM, Input: 3, Hidden: 60, Layers: 1}, batch: 4, steps: 8, input: "inputs", init: true},
		fusedCase{cfg: RNNConfig{Cell: GRU, Input: 3, Hidden: 60, Layers: 1, Bidirectional: true}, batch: 4, steps: 8, input: "tokens", mask: true},
		fusedCase{cfg: RNNConfig{Cell: Elman, Input: 3, Hidden: 130, Layers: 1}, batch: 4, steps: 5, input: "steps", timeMajor: true},
	)
	return cs
}

// fusedResult is what a run of a fusedCase computes.
type fusedResult struct {
	outs  [][]float64          // y, then H (and C) of every final state
	loss  float64              // Σ over the outputs of output ⊙ R
	scale float64              // Σ |output ⊙ R|: the loss's terms cancel, so it is compared relative to this
	grads map[string][]float64 // by parameter name
}

// runFusedCase builds c in a model of dtype dt, fused or not, and runs one
// forward and backward pass.
func runFusedCase(t *testing.T, c fusedCase, dt tensor.Dtype, unfused bool) fusedResult {
	t.Helper()
	const vocab = 6
	m := graph.NewModel(dt, 11)
	cfg := c.cfg
	cfg.Unfused = unfused
	r, err := NewRNN(m, "rnn", cfg)
	if err != nil {
		t.Fatal(err)
	}
	feeds := graph.Feeds{}
	var seq Sequence
	switch c.input {
	case "tokens":
		if seq.Embedding, err = NewEmbedding(m, "emb", vocab, cfg.Input); err != nil {
			t.Fatal(err)
		}
		if seq.Tokens, err = m.IndexInput("ids", c.batch, c.steps); err != nil {
			t.Fatal(err)
		}
		ids := make([]int, c.batch*c.steps)
		for i := range ids {
			ids[i] = (i*7 + 3) % vocab
		}
		feeds["ids"] = tensor.New(tensor.WithShape(c.batch, c.steps), tensor.WithBacking(ids))
	default:
		p, err := m.NewParamFrom("x", tensor.Shape{c.batch, c.steps, cfg.Input}, randn(99, c.batch*c.steps*cfg.Input))
		if err != nil {
			t.Fatal(err)
		}
		seq.Inputs = p.Node()
		if c.input == "steps" {
			if seq.Steps, err = SplitSteps(p.Node()); err != nil {
				t.Fatal(err)
			}
			seq.Inputs = nil
		}
	}
	if c.mask {
		if seq.Mask, err = m.Input("mask", c.batch, c.steps); err != nil {
			t.Fatal(err)
		}
		mask := make([]float64, c.batch*c.steps)
		for b := 0; b < c.batch; b++ {
			for s := 0; s < c.steps; s++ {
				if s < c.steps-b || b == 0 { // right padding of b steps
					mask[b*c.steps+s] = 1
				}
			}
		}
		feeds["mask"] = denseOf(dt, tensor.Shape{c.batch, c.steps}, mask)
	}
	var init []State
	if c.init {
		for i := 0; i < r.NumStates(); i++ {
			var s State
			for k, part := range []**gorgonia.Node{&s.H, &s.C} {
				if k == 1 && cfg.Cell != LSTM {
					break
				}
				p, err := m.NewParamFrom(fmt.Sprintf("s%d.%d", i, k), tensor.Shape{c.batch, cfg.Hidden}, randn(uint64(40+2*i+k), c.batch*cfg.Hidden))
				if err != nil {
					t.Fatal(err)
				}
				*part = p.Node()
			}
			init = append(init, s)
		}
	}
	run := r.RunStacked
	if c.timeMajor {
		run = r.RunTimeMajor
	}
	y, final, err := run(seq, init)
	if err != nil {
		t.Fatal(err)
	}
	if n := recurrenceNodes(m); (n > 0) == unfused || (!unfused && n != 2*r.NumStates()) {
		t.Fatalf("unfused=%v: %d nodes of ops.Recurrence for %d layers × directions", unfused, n, r.NumStates())
	}
	outs := []*gorgonia.Node{y}
	for _, s := range final {
		outs = append(outs, s.nodes(cfg.Cell == LSTM)...)
	}
	var loss *gorgonia.Node
	for i, o := range outs {
		n := o.Shape().TotalSize()
		w := m.Const(fmt.Sprintf("test.W%d", i), denseOf(dt, o.Shape(), randn(uint64(100+i), n)))
		l := gorgonia.Must(gorgonia.Sum(gorgonia.Must(gorgonia.HadamardProd(o, w))))
		if loss == nil {
			loss = l
		} else {
			loss = gorgonia.Must(gorgonia.Add(loss, l))
		}
	}
	prog, err := m.Compile(loss, outs...)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := prog.Forward(feeds)
	if err != nil {
		t.Fatal(err)
	}
	res := fusedResult{grads: map[string][]float64{}}
	if res.loss, err = graph.Scalar(vals[0]); err != nil {
		t.Fatal(err)
	}
	for i, v := range vals[1:] {
		out := float64s(v)
		res.outs = append(res.outs, out)
		for j, r := range randn(uint64(100+i), len(out)) {
			res.scale += math.Abs(out[j] * r)
		}
	}
	for _, p := range m.Params() {
		res.grads[p.Name()] = float64s(p.Grad())
	}
	return res
}

// recurrenceNodes counts the nodes of ops.Recurrence's operations in m's
// graph before differentiation: two per recurrence (forward and outputs).
func recurrenceNodes(m *graph.Model) int {
	n := 0
	for _, node := range m.Graph().AllNodes() {
		if op := node.Op(); op != nil && strings.HasPrefix(op.String(), "Recurrence") {
			n++
		}
	}
	return n
}

// relDiff returns max |a − b| / max |b|: the difference relative to the
// tensor's scale (+Inf for different lengths, NaN in a).
func relDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d, s float64
	for i := range a {
		if math.IsNaN(a[i]) {
			return math.Inf(1)
		}
		d = math.Max(d, math.Abs(a[i]-b[i]))
		s = math.Max(s, math.Abs(b[i]))
	}
	if s == 0 {
		return d
	}
	return d / s
}

// compareFused returns the largest relative difference (relDiff) between
// two results over the outputs, the loss and every gradient, and where.
func compareFused(t *testing.T, got, want fusedResult) (float64, string) {
	t.Helper()
	worst, where := math.Abs(got.loss-want.loss)/want.scale, "loss"
	if len(got.outs) != len(want.outs) || len(got.grads) != len(want.grads) {
		t.Fatalf("%d outputs and %d gradients, want %d and %d", len(got.outs), len(got.grads), len(want.outs), len(want.grads))
	}
	for i := range want.outs {
		if d := relDiff(got.outs[i], want.outs[i]); d > worst {
			worst, where = d, fmt.Sprintf("output %d", i)
		}
	}
	for name, g := range want.grads {
		if d := relDiff(got.grads[name], g); d > worst {
			worst, where = d, "gradient of "+name
		}
	}
	return worst, where
}

// TestRNNFusedMatchesUnfused checks that the fused recurrence computes the
// outputs, final states, loss and every parameter gradient of the unrolled
// cells: within 1e-10 in float64 and 1e-5 in float32 (relative to each
// tensor's largest element).
func TestRNNFusedMatchesUnfused(t *testing.T) {
	for _, c := range fusedCases() {
		t.Run(c.String(), func(t *testing.T) {
			for _, tc := range []struct {
				dt  tensor.Dtype
				tol float64
			}{{graph.Float64, 1e-10}, {graph.Float32, 1e-5}} {
				want := runFusedCase(t, c, tc.dt, true)
				got := runFusedCase(t, c, tc.dt, false)
				d, where := compareFused(t, got, want)
				if d > tc.tol {
					t.Fatalf("%v: fused differs from unfused by %.3g (relative) at %s", tc.dt, d, where)
				}
				t.Logf("%v: largest relative difference %.3g (%s)", tc.dt, d, where)
			}
		})
	}
}

// TestRNNFusedGradCheck checks the gradients of the fused path by central
// differences with dropout between the layers (whose masks are drawn
// differently from the unfused path's, so TestRNNFusedMatchesUnfused runs
// without), a padding mask and the time-major layout.
func TestRNNFusedGradCheck(t *testing.T) {
	for _, kind := range []CellKind{LSTM, GRU, Elman} {
		t.Run(kind.String(), func(t *testing.T) {
			const batch, steps, in, hidden = 2, 3, 2, 3
			m := graph.NewModel(graph.Float64, 8)
			r, err := NewRNN(m, "rnn", RNNConfig{Cell: kind, Input: in, Hidden: hidden, Layers: 2, Bidirectional: true, Dropout: 0.4})
			if err != nil {
				t.Fatal(err)
			}
			x := inputParam(t, m, batch, steps, in)
			xs, err := SplitSteps(x)
			if err != nil {
				t.Fatal(err)
			}
			mk, err := m.Input("mask", batch, steps)
			if err != nil {
				t.Fatal(err)
			}
			y, final, err := r.RunTimeMajor(Sequence{Steps: xs, Mask: mk}, nil)
			if err != nil {
				t.Fatal(err)
			}
			flat, err := gorgonia.Reshape(y, tensor.Shape{steps * batch * r.OutputSize()})
			if err != nil {
				t.Fatal(err)
			}
			last := final[len(final)-1].H
			if kind == LSTM {
				last = final[len(final)-1].C
			}
			if last, err = gorgonia.Reshape(last, tensor.Shape{batch * hidden}); err != nil {
				t.Fatal(err)
			}
			all, err := ops.Concat(0, flat, last)
			if err != nil {
				t.Fatal(err)
			}
			mask := tensor.New(tensor.WithShape(batch, steps), tensor.WithBacking([]float64{1, 1, 1, 1, 1, 0}))
			checkGrad(t, m, all, graph.Feeds{"mask": mask})
		})
	}
}

// TestRNNFusedCustomActivation checks that an Elman RNN with an activation
// the fused op does not have falls back to the unrolled cells.
func TestRNNFusedCustomActivation(t *testing.T) {
	m := graph.NewModel(graph.Float64, 3)
	r, err := NewRNN(m, "rnn", RNNConfig{Cell: Elman, Activation: Sigmoid, Input: 2, Hidden: 3})
	if err != nil {
		t.Fatal(err)
	}
	if r.fused() {
		t.Fatal("an Elman RNN with Sigmoid claims to be fused")
	}
	x, xv := rnnInput(t, m, "x", 4, 2, 3, 2)
	y, _, err := r.Forward(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := forward(t, m, y, graph.Feeds{"x": xv})
	w := r.Cells[0][0].base()
	want := make([]float64, len(got))
	for b := 0; b < 2; b++ {
		h := make([]float64, 3)
		for s := 0; s < 3; s++ {
			a := refAdd(refAffine(xv.Float64s()[(b*3+s)*2:][:2], w.WeightIH.Value().Float64s(), w.BiasIH.Value().Float64s()),
				refAffine(h, w.WeightHH.Value().Float64s(), w.BiasHH.Value().Float64s()))
			for j := range h {
				h[j] = refSigmoid(a[j])
			}
			copy(want[(b*3+s)*3:], h)
		}
	}
	if d := refMaxDiff(got, want); d > 1e-12 {
		t.Fatalf("differs from the sigmoid cell's equations by %g", d)
	}
}
