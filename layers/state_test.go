package layers

import (
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestCarryHalfBatches checks truncated BPTT's carried state: a training
// program over T/2 steps, run on the two halves of a batch with the final
// state of the first run fed as the initial state of the second, gives the
// outputs of one forward pass over all T steps. After Reset the state is
// zero again.
func TestCarryHalfBatches(t *testing.T) {
	for _, kind := range []CellKind{Elman, LSTM, GRU} {
		t.Run(kind.String(), func(t *testing.T) {
			const batch, steps, in, hidden = 2, 6, 3, 4
			m := graph.NewModel(graph.Float64, 12)
			r, err := NewRNN(m, "rnn", RNNConfig{Cell: kind, Input: in, Hidden: hidden, Layers: 2})
			if err != nil {
				t.Fatal(err)
			}
			// One pass over all T steps.
			x, xv := rnnInput(t, m, "x", 8, batch, steps, in)
			yFull, _, err := r.Forward(x, nil)
			if err != nil {
				t.Fatal(err)
			}
			full := forward(t, m, yFull, graph.Feeds{"x": xv})
			// A training program over T/2 steps with a carried state.
			xh, err := m.Input("half", batch, steps/2, in)
			if err != nil {
				t.Fatal(err)
			}
			carry, init, err := r.NewCarry("state", batch)
			if err != nil {
				t.Fatal(err)
			}
			yHalf, final, err := r.Forward(xh, init)
			if err != nil {
				t.Fatal(err)
			}
			if err := carry.SetFinal(final); err != nil {
				t.Fatal(err)
			}
			prog, err := m.Compile(weightedSum(t, m, yHalf), append([]*gorgonia.Node{yHalf}, carry.Outputs()...)...)
			if err != nil {
				t.Fatal(err)
			}
			run := func(start int) []float64 {
				half := make([]float64, batch*steps/2*in)
				for b := 0; b < batch; b++ {
					copy(half[b*steps/2*in:(b+1)*steps/2*in], xv.Float64s()[(b*steps+start)*in:])
				}
				feeds := carry.Feed(graph.Feeds{"half": tensor.New(tensor.WithShape(batch, steps/2, in), tensor.WithBacking(half))})
				if _, err := prog.Forward(feeds); err != nil {
					t.Fatal(err)
				}
				prog.ZeroGrad()
				outs, err := prog.Outputs()
				if err != nil {
					t.Fatal(err)
				}
				if err := carry.Update(outs); err != nil {
					t.Fatal(err)
				}
				return float64s(outs[1])
			}
			first := run(0)
			second := run(steps / 2)
			for b := 0; b < batch; b++ {
				for i, half := range [][]float64{first, second} {
					got := half[b*steps/2*hidden:][:steps/2*hidden]
					want := full[(b*steps+i*steps/2)*hidden:][:steps/2*hidden]
					if d := refMaxDiff(got, want); d > 1e-12 {
						t.Fatalf("sample %d, half %d: carried outputs differ from the full pass by %g", b, i, d)
					}
				}
			}
			carry.Reset()
			if d := refMaxDiff(run(0), first); d != 0 {
				t.Fatalf("after Reset the first half differs by %g", d)
			}
		})
	}
}

func TestCarryErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	r, err := NewRNN(m, "rnn", RNNConfig{Cell: LSTM, Input: 2, Hidden: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = r.NewCarry("s", 0)
	wantError(t, err, "batch 0")
	carry, init, err := r.NewCarry("s", 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := carry.Names(); len(got) != 2 || got[0] != "s.0.h" || got[1] != "s.0.c" {
		t.Fatalf("names %v", got)
	}
	wantError(t, carry.Update(nil), "before SetFinal")
	wantError(t, carry.SetFinal([]State{{H: init[0].H}}), "final state", "s.0.c")
	wantError(t, carry.SetFinal(nil), "0 final state tensors for 2")
	if err := carry.SetFinal(init); err != nil {
		t.Fatal(err)
	}
	wantError(t, carry.Update([]*tensor.Dense{tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(make([]float64, 6)))}), "at least 2")
	bad := tensor.New(tensor.WithShape(3, 3), tensor.WithBacking(make([]float64, 9)))
	wantError(t, carry.Update([]*tensor.Dense{bad, bad}), `"s.0.h"`)
}
