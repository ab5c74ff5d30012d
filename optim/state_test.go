package optim_test

import (
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
)

func TestSetStateRejects(t *testing.T) {
	slots := func(kv ...interface{}) map[string][]float64 {
		m := map[string][]float64{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].([]float64)
		}
		return m
	}
	cases := []struct {
		name  string
		state *optim.State
		want  string
	}{
		{"nil", nil, "nil state"},
		{"other kind", &optim.State{Kind: "adamw"}, `adam: SetState: the state is of a "adamw" optimizer`},
		{"negative steps", &optim.State{Kind: "adam", Steps: -1}, "negative step count"},
		{"unknown slot", &optim.State{Kind: "adam", Slots: slots("momentum_buffer/w", []float64{1})}, `unknown slot "momentum_buffer/w"`},
		{"no parameter", &optim.State{Kind: "adam", Slots: slots("exp_avg", []float64{1})}, `unknown slot "exp_avg"`},
		{"missing slot", &optim.State{Kind: "adam", Slots: slots("exp_avg/w", []float64{1})}, `slot "exp_avg_sq/w" missing`},
		{"inconsistent", &optim.State{Kind: "adam", Slots: slots("exp_avg/w", []float64{1}, "exp_avg_sq/w", []float64{1, 2})},
			"has 2 values but"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := optim.NewAdam(optim.Constant(0.1)).SetState(c.state)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestSetStateWrongLength: a slot whose length differs from its parameter
// is rejected by SetState when the optimizer already holds the parameter's
// state, and by the next Step otherwise, which then changes nothing.
func TestSetStateWrongLength(t *testing.T) {
	short := &optim.State{Kind: "momentum", Slots: map[string][]float64{"momentum_buffer/w": {1, 2}}}
	pr := newProblem(t, graph.Float32, initW, initB)

	used := optim.NewMomentum(optim.Constant(0.1), 0.9)
	pr.step(t, used)
	err := used.SetState(short)
	if err == nil || !strings.Contains(err.Error(), `slot "momentum_buffer/w" has 2 values but parameter "w" has 6`) {
		t.Fatalf("SetState on a used optimizer: error %v", err)
	}

	fresh := optim.NewMomentum(optim.Constant(0.1), 0.9)
	if err := fresh.SetState(short); err != nil {
		t.Fatal(err)
	}
	pr.setGrads(t, []float64{1, 2, 3, 4, 5, 6}, []float64{1, 2, 3})
	before := pr.values()
	err = fresh.Step(pr.params)
	if err == nil || !strings.Contains(err.Error(), `restored state "momentum_buffer/w" has 2 values but parameter "w" has 6`) {
		t.Fatalf("Step after a bad SetState: error %v", err)
	}
	for j, v := range pr.values() {
		if !sameBits(v, before[j]) {
			t.Errorf("%s changed by a failed step", pr.params[j].Name())
		}
	}
}

// TestStateDtypeMismatch: state built on a float32 model refuses a float64
// parameter of the same name.
func TestStateDtypeMismatch(t *testing.T) {
	opt := optim.NewAdagrad(optim.Constant(0.1))
	newProblemStep := func(dt tensor.Dtype) error {
		pr := newProblem(t, dt, initW, initB)
		pr.setGrads(t, []float64{1, 2, 3, 4, 5, 6}, []float64{1, 2, 3})
		return opt.Step(pr.params)
	}
	if err := newProblemStep(graph.Float32); err != nil {
		t.Fatal(err)
	}
	err := newProblemStep(graph.Float64)
	if err == nil || !strings.Contains(err.Error(), `parameter "w" is float64 with 6 values but its optimizer state is float32 with 6`) {
		t.Fatalf("error %v", err)
	}
}
