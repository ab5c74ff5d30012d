package layers

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// refRun runs an RNN by hand over x (row-major [B,T,In]) from zero states with
// the cells' equations (refCell.step) and returns the outputs [B,T,D·H] and
// the final hidden states, indexed l·D+d, each [B,H]. mask (nil, or [B,T] of
// 0/1) holds the state over padding.
func refRun(t *testing.T, r *RNN, x []float64, batch, steps int, mask []float64) ([]float64, [][]float64) {
	t.Helper()
	kind, hidden, dirs := r.Config.Cell, r.Config.Hidden, r.Directions()
	in := r.Config.Input
	cur := x
	finals := make([][]float64, r.NumStates())
	for l, layer := range r.Cells {
		out := make([]float64, batch*steps*dirs*hidden)
		for d, cell := range layer {
			ref := refOf(t, cell)
			final := make([]float64, batch*hidden)
			for b := 0; b < batch; b++ {
				h, c := make([]float64, hidden), make([]float64, hidden)
				for i := 0; i < steps; i++ {
					ts := i
					if d == 1 {
						ts = steps - 1 - i
					}
					if mask == nil || mask[b*steps+ts] == 1 {
						h, c = ref.step(kind, cur[(b*steps+ts)*in:][:in], h, c)
					}
					copy(out[((b*steps+ts)*dirs+d)*hidden:][:hidden], h)
				}
				copy(final[b*hidden:], h)
			}
			finals[l*dirs+d] = final
		}
		cur, in = out, dirs*hidden
	}
	return cur, finals
}

func TestRNNForwardMatchesCells(t *testing.T) {
	for _, kind := range []CellKind{Elman, LSTM, GRU} {
		for _, bidir := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/bidirectional=%v", kind, bidir), func(t *testing.T) {
				const batch, steps, in, hidden, layers = 2, 4, 3, 5, 2
				m := graph.NewModel(graph.Float64, 4)
				r, err := NewRNN(m, "rnn", RNNConfig{Cell: kind, Input: in, Hidden: hidden, Layers: layers, Bidirectional: bidir, Dropout: 0.5})
				if err != nil {
					t.Fatal(err)
				}
				m.SetTraining(false) // dropout off
				x, xv := rnnInput(t, m, "x", 5, batch, steps, in)
				y, final, err := r.Forward(x, nil)
				if err != nil {
					t.Fatal(err)
				}
				if want := (tensor.Shape{batch, steps, r.OutputSize()}); !y.Shape().Eq(want) {
					t.Fatalf("output shape %v, want %v", y.Shape(), want)
				}
				outs := []*gorgonia.Node{y}
				for _, s := range final {
					outs = append(outs, s.H)
				}
				prog, err := m.CompileForward(outs...)
				if err != nil {
					t.Fatal(err)
				}
				got, err := prog.Forward(graph.Feeds{"x": xv})
				if err != nil {
					t.Fatal(err)
				}
				want, finals := refRun(t, r, xv.Float64s(), batch, steps, nil)
				if d := refMaxDiff(got[0].Float64s(), want); d > 1e-12 {
					t.Fatalf("outputs differ from the cells' equations by %g", d)
				}
				for i, f := range finals {
					if d := refMaxDiff(got[1+i].Float64s(), f); d > 1e-12 {
						t.Fatalf("final state %d differs by %g", i, d)
					}
				}
			})
		}
	}
}

// TestRNNGradients checks a 2-layer bidirectional RNN of each cell over T = 3
// steps, with dropout between the layers, from initial states that are
// parameters: every weight, the input and the initial states.
func TestRNNGradients(t *testing.T) {
	for _, kind := range []CellKind{Elman, LSTM, GRU} {
		t.Run(kind.String(), func(t *testing.T) {
			const batch, steps, in, hidden = 2, 3, 2, 2
			m := graph.NewModel(graph.Float64, 7)
			r, err := NewRNN(m, "rnn", RNNConfig{Cell: kind, Input: in, Hidden: hidden, Layers: 2, Bidirectional: true, Dropout: 0.3})
			if err != nil {
				t.Fatal(err)
			}
			x := inputParam(t, m, batch, steps, in)
			init := make([]State, r.NumStates())
			for i := range init {
				h, err := m.NewParamFrom(fmt.Sprintf("h0.%d", i), tensor.Shape{batch, hidden}, randn(uint64(20+i), batch*hidden))
				if err != nil {
					t.Fatal(err)
				}
				init[i].H = h.Node()
				if kind == LSTM {
					c, err := m.NewParamFrom(fmt.Sprintf("c0.%d", i), tensor.Shape{batch, hidden}, randn(uint64(30+i), batch*hidden))
					if err != nil {
						t.Fatal(err)
					}
					init[i].C = c.Node()
				}
			}
			y, final, err := r.Forward(x, init)
			if err != nil {
				t.Fatal(err)
			}
			flat, err := gorgonia.Reshape(y, tensor.Shape{batch, steps * r.OutputSize()})
			if err != nil {
				t.Fatal(err)
			}
			parts := []*gorgonia.Node{flat}
			for _, s := range final {
				parts = append(parts, s.H)
				if s.C != nil {
					parts = append(parts, s.C)
				}
			}
			all, err := ops.Concat(1, parts...)
			if err != nil {
				t.Fatal(err)
			}
			// Central differences with h = 1e-5 rather than 1e-6: their
			// rounding noise on this loss of ~50 terms (~1e-9 with 1e-6)
			// came near the bound of 1e-6 × the floor of 1e-3 for small
			// gradients; the truncation error at 1e-5 is far below it.
			res, err := graph.GradCheck(m, weightedSum(t, m, all), graph.GradCheckOptions{Eps: 1e-5})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxRelError > maxGradError || res.Checked == 0 {
				t.Fatalf("gradient check: %v", res)
			}
			t.Log(res)
		})
	}
}

// TestRNNLongSequence runs an RNN over T = 300 steps, past the 256 at which
// gorgonia's Slice and Concat merge nodes: the outputs must match the
// equations and every gradient must check.
func TestRNNLongSequence(t *testing.T) {
	const batch, steps, in, hidden = 1, 300, 1, 2
	m := graph.NewModel(graph.Float64, 9)
	r, err := NewRNN(m, "rnn", RNNConfig{Cell: Elman, Input: in, Hidden: hidden}, WeightInit(graph.Uniform(-1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	x, xv := rnnInput(t, m, "x", 3, batch, steps, in)
	y, _, err := r.Forward(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	feeds := graph.Feeds{"x": xv}
	want, _ := refRun(t, r, xv.Float64s(), batch, steps, nil)
	if d := refMaxDiff(forward(t, m, y, feeds), want); d > 1e-12 {
		t.Fatalf("outputs differ from the equations by %g", d)
	}
	checkGrad(t, m, y, feeds)
}

// TestRNNBidirectional256 checks the gradients of a 2-layer bidirectional
// LSTM with 256 hidden units, whose two directions are joined at offsets 0
// and 256 of every output, along random directions.
func TestRNNBidirectional256(t *testing.T) {
	const batch, steps, in, hidden = 1, 3, 2, 256
	m := graph.NewModel(graph.Float64, 10)
	r, err := NewRNN(m, "rnn", RNNConfig{Cell: LSTM, Input: in, Hidden: hidden, Layers: 2, Bidirectional: true})
	if err != nil {
		t.Fatal(err)
	}
	x, xv := rnnInput(t, m, "x", 3, batch, steps, in)
	y, _, err := r.Forward(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	directionalCheck(t, m, weightedSum(t, m, y), graph.Feeds{"x": xv}, 2)
}

// TestRNNTokens checks that running over token ids (the first layer's input
// projection folded into the embedding table) equals running over the looked
// up vectors, and its gradients, embedding table included.
func TestRNNTokens(t *testing.T) {
	const batch, steps, vocab, dim, hidden = 2, 3, 5, 3, 2
	ids := tensor.New(tensor.WithShape(batch, steps), tensor.WithBacking([]int{0, 4, 4, 2, 1, 0}))
	build := func(tokens bool) (*graph.Model, *gorgonia.Node) {
		m := graph.NewModel(graph.Float64, 3)
		emb, err := NewEmbedding(m, "emb", vocab, dim)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewRNN(m, "rnn", RNNConfig{Cell: LSTM, Input: dim, Hidden: hidden, Layers: 2, Bidirectional: true})
		if err != nil {
			t.Fatal(err)
		}
		idn, err := m.IndexInput("ids", batch, steps)
		if err != nil {
			t.Fatal(err)
		}
		var ys []*gorgonia.Node
		if tokens {
			ys, _, err = r.Run(Sequence{Tokens: idn, Embedding: emb}, nil)
		} else {
			var e *gorgonia.Node
			if e, err = emb.Forward(idn); err != nil {
				t.Fatal(err)
			}
			var xs []*gorgonia.Node
			if xs, err = SplitSteps(e); err != nil {
				t.Fatal(err)
			}
			ys, _, err = r.Run(Sequence{Steps: xs}, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		y, err := StackSteps(ys)
		if err != nil {
			t.Fatal(err)
		}
		return m, y
	}
	feeds := graph.Feeds{"ids": ids}
	m1, y1 := build(true)
	m2, y2 := build(false)
	if d := refMaxDiff(forward(t, m1, y1, feeds), forward(t, m2, y2, feeds)); d > 1e-12 {
		t.Fatalf("token path differs from embedding + steps by %g", d)
	}
	checkGrad(t, m1, y1, feeds)
}

// TestRNNMask checks that padding at the end of a sequence leaves the final
// state of both directions as if the sequence ended at its last real token.
func TestRNNMask(t *testing.T) {
	const steps, in, hidden = 5, 2, 3
	lengths := []int{5, 3}
	batch := len(lengths)
	mask := make([]float64, batch*steps)
	for b, n := range lengths {
		for ts := 0; ts < n; ts++ {
			mask[b*steps+ts] = 1
		}
	}
	for _, kind := range []CellKind{LSTM, GRU} {
		m := graph.NewModel(graph.Float64, 2)
		r, err := NewRNN(m, "rnn", RNNConfig{Cell: kind, Input: in, Hidden: hidden, Bidirectional: true})
		if err != nil {
			t.Fatal(err)
		}
		x, xv := rnnInput(t, m, "x", 6, batch, steps, in)
		mk, err := m.Input("mask", batch, steps)
		if err != nil {
			t.Fatal(err)
		}
		xs, err := SplitSteps(x)
		if err != nil {
			t.Fatal(err)
		}
		_, final, err := r.Run(Sequence{Steps: xs, Mask: mk}, nil)
		if err != nil {
			t.Fatal(err)
		}
		prog, err := m.CompileForward(final[0].H, final[1].H)
		if err != nil {
			t.Fatal(err)
		}
		got, err := prog.Forward(graph.Feeds{"x": xv, "mask": tensor.New(tensor.WithShape(batch, steps), tensor.WithBacking(mask))})
		if err != nil {
			t.Fatal(err)
		}
		for b, n := range lengths {
			// Run sample b alone over its n real steps.
			_, finals := refRun(t, r, xv.Float64s()[b*steps*in:][:n*in], 1, n, nil)
			for d := 0; d < 2; d++ {
				if diff := refMaxDiff(refRow(got[d].Float64s(), b, hidden), finals[d]); diff > 1e-12 {
					t.Fatalf("%v sample %b direction %d: final state differs from the unpadded run by %g", kind, b, d, diff)
				}
			}
		}
		// and the reference with the mask agrees with the unpadded runs
		if _, finals := refRun(t, r, xv.Float64s(), batch, steps, mask); refMaxDiff(got[1].Float64s(), finals[1]) > 1e-12 {
			t.Fatalf("%v: masked reference differs", kind)
		}
	}
}

// TestRNNDropoutOnlyInTraining checks that dropout between layers changes
// the outputs of a training graph and is absent from an evaluation graph.
func TestRNNDropoutOnlyInTraining(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	r, err := NewRNN(m, "rnn", RNNConfig{Cell: GRU, Input: 2, Hidden: 8, Layers: 2, Dropout: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	x, xv := rnnInput(t, m, "x", 1, 2, 3, 2)
	yTrain, _, err := r.Forward(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	m.SetTraining(false)
	yEval, _, err := r.Forward(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	feeds := graph.Feeds{"x": xv}
	want, _ := refRun(t, r, xv.Float64s(), 2, 3, nil)
	if d := refMaxDiff(forward(t, m, yEval, feeds), want); d > 1e-12 {
		t.Fatalf("evaluation output differs from the equations by %g", d)
	}
	if d := refMaxDiff(forward(t, m, yTrain, feeds), want); d < 1e-3 {
		t.Fatalf("training output equals the evaluation output (difference %g): no dropout", d)
	}
}

func TestTorchStateDict(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	r, err := NewRNN(m, "rnn", RNNConfig{Cell: LSTM, Input: 3, Hidden: 4, Layers: 2, Bidirectional: true})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := r.TorchStateDict()
	if err != nil {
		t.Fatal(err)
	}
	// The keys and shapes of torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).
	want := map[string]tensor.Shape{}
	for l, in := range []int{3, 8} {
		for _, suffix := range []string{"", "_reverse"} {
			s := fmt.Sprintf("_l%d%s", l, suffix)
			want["rnn.weight_ih"+s] = tensor.Shape{16, in}
			want["rnn.weight_hh"+s] = tensor.Shape{16, 4}
			want["rnn.bias_ih"+s] = tensor.Shape{16}
			want["rnn.bias_hh"+s] = tensor.Shape{16}
		}
	}
	var keys []string
	for k, v := range sd {
		keys = append(keys, k)
		if !v.Shape().Eq(want[k]) {
			t.Errorf("%s: shape %v, want %v", k, v.Shape(), want[k])
		}
	}
	sort.Strings(keys)
	if len(sd) != len(want) {
		t.Fatalf("keys %v, want %d of them", keys, len(want))
	}
	// Layout: PyTorch's weight_ih_l0[k·H+j, i] is our weight_x_l0[i, k·H+j].
	ours := float64s(r.Cells[0][0].base().WeightIH.Value())
	theirs := sd["rnn.weight_ih_l0"].Float64s()
	for i := 0; i < 3; i++ {
		for g := 0; g < 16; g++ {
			if ours[i*16+g] != theirs[g*3+i] {
				t.Fatalf("weight_ih_l0: ours[%d,%d] = %v, PyTorch's [%d,%d] = %v", i, g, ours[i*16+g], g, i, theirs[g*3+i])
			}
		}
	}
	// Round trip into a model with other values.
	m2 := graph.NewModel(graph.Float32, 2)
	r2, err := NewRNN(m2, "rnn", RNNConfig{Cell: LSTM, Input: 3, Hidden: 4, Layers: 2, Bidirectional: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.LoadTorchStateDict(sd); err != nil {
		t.Fatal(err)
	}
	for i, p := range r.Params() {
		if d := refMaxDiff(float64s(p.Value()), float64s(r2.Params()[i].Value())); d != 0 {
			t.Fatalf("%s differs by %g after the round trip", p.Name(), d)
		}
	}
	delete(sd, "rnn.bias_hh_l1_reverse")
	wantError(t, r2.LoadTorchStateDict(sd), "rnn.bias_hh_l1_reverse", "missing")
	sd["rnn.bias_hh_l1_reverse"] = tensor.New(tensor.WithShape(4, 4), tensor.WithBacking(make([]float64, 16)))
	wantError(t, r2.LoadTorchStateDict(sd), "rnn.bias_hh_l1_reverse", "(4, 4)")
}

// TestTorchCellNames checks the names of single cells, those of PyTorch's
// nn.GRUCell named "cell".
func TestTorchCellNames(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	c, err := NewGRUCell(m, "cell", 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := TorchStateDict(c)
	if err != nil {
		t.Fatal(err)
	}
	for name, shape := range map[string]tensor.Shape{"cell.weight_ih": {9, 2}, "cell.weight_hh": {9, 3}, "cell.bias_ih": {9}, "cell.bias_hh": {9}} {
		if v, ok := sd[name]; !ok || !v.Shape().Eq(shape) {
			t.Errorf("%s: %v, want shape %v", name, v, shape)
		}
	}
}

func TestRNNErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	_, err := NewRNN(m, "r", RNNConfig{Cell: LSTM, Input: 2, Hidden: 0})
	wantError(t, err, `LSTM "r"`, "positive")
	_, err = NewRNN(m, "r", RNNConfig{Cell: GRU, Input: 2, Hidden: 2, Dropout: 1})
	wantError(t, err, `GRU "r"`, "dropout")
	_, err = NewRNN(m, "r", RNNConfig{Cell: CellKind(7), Input: 2, Hidden: 2})
	wantError(t, err, "unknown cell kind")
	_, err = NewRNN(m, "r", RNNConfig{Cell: LSTM, Input: 2, Hidden: 2, Activation: ReLU})
	wantError(t, err, "Elman")
	r, err := NewRNN(m, "rnn", RNNConfig{Cell: LSTM, Input: 2, Hidden: 3, Layers: 2})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := m.Input("x", 4, 5, 3)
	_, _, err = r.Forward(x, nil)
	wantError(t, err, `LSTM "rnn"`, "(4, 5, 3)", "[B,T,2]")
	x2, _ := m.Input("x2", 4, 5, 2)
	_, _, err = r.Forward(x2, make([]State, 3))
	wantError(t, err, "3 initial states, want 2")
	h, _ := m.Input("h", 4, 2)
	_, _, err = r.Forward(x2, []State{{}, {H: h, C: h}})
	wantError(t, err, "layer l1", "state H", "(4, 2)")
	_, _, err = r.Run(Sequence{}, nil)
	wantError(t, err, "exactly one of Steps, Inputs and Tokens")
	_, _, err = r.RunStacked(Sequence{Inputs: x2, Tokens: x2}, nil)
	wantError(t, err, "exactly one of Steps, Inputs and Tokens")
	ids, _ := m.IndexInput("ids", 4, 5)
	_, _, err = r.Run(Sequence{Tokens: ids}, nil)
	wantError(t, err, "Embedding")
	mk, _ := m.Input("mask", 4, 6)
	_, _, err = r.Forward(x2, nil)
	if err != nil {
		t.Fatal(err)
	}
	xs, _ := SplitSteps(x2)
	_, _, err = r.Run(Sequence{Steps: xs, Mask: mk}, nil)
	wantError(t, err, "mask", "[4,5]")
	_, _, err = r.RunStacked(Sequence{Inputs: x2, Mask: mk}, nil)
	wantError(t, err, "mask", "[4,5]")
	x3, _ := m.Input("x3", 3, 2)
	_, _, err = r.Run(Sequence{Steps: []*gorgonia.Node{xs[0], x3}}, nil)
	wantError(t, err, "step 1 has batch 3")
}

// The seed's recurrent network over a batch of sequences: the state carries
// the past into each step.
func ExampleRNN() {
	m := graph.NewModel(graph.Float32, 1)
	r, err := NewRNN(m, "rnn", RNNConfig{Cell: LSTM, Input: 8, Hidden: 16, Layers: 2, Bidirectional: true, Dropout: 0.1})
	if err != nil {
		panic(err)
	}
	x, _ := m.Input("x", 4, 10, 8) // [B,T,D]
	y, final, err := r.Forward(x, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("outputs", y.Shape(), "final states", len(final), final[0].H.Shape())
	for _, p := range r.Cells[1][1].Params() {
		fmt.Println(p.Name(), p.Shape())
	}
	// Output:
	// outputs (4, 10, 32) final states 4 (4, 16)
	// rnn.weight_x_l1_reverse (32, 64)
	// rnn.weight_h_l1_reverse (16, 64)
	// rnn.bias_x_l1_reverse (64)
	// rnn.bias_h_l1_reverse (64)
}

func TestUpgradeRecurrentNames(t *testing.T) {
	x := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float32{1}))
	ts := map[string]*tensor.Dense{
		"rnn.weight_ih_l0": x, "rnn.weight_hh_l1_reverse": x, "encoder.rnn.bias_ih_l0": x, "optim/exp_avg/rnn.bias_hh_l0": x,
		"cell.weight_ih": x, "head.weight": x, "rnn.weight_x_l2": x, "rnn.weight_ih_l2": x,
	}
	if n := UpgradeRecurrentNames(ts); n != 5 {
		t.Errorf("renamed %d, want 5", n)
	}
	want := []string{"cell.weight_x", "encoder.rnn.bias_x_l0", "head.weight", "optim/exp_avg/rnn.bias_h_l0",
		"rnn.weight_h_l1_reverse", "rnn.weight_ih_l2", "rnn.weight_x_l0", "rnn.weight_x_l2"}
	var got []string
	for n := range ts {
		got = append(got, n)
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("names %v, want %v", got, want)
	}
}
