package optim_test

import (
	"bytes"
	"encoding/gob"
	"math"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
)

// testSchedule gives the rates 0.1, 0.1, 0.05, 0.05, 0.025, ... (lrs below).
func testSchedule() optim.Schedule { return optim.StepDecay(0.1, 2, 0.5) }

var lrs = []float64{0.1, 0.1, 0.05}

// reference is a textbook update of one parameter, written out independently
// of the package: t is the update's number from 1, theta the parameter, g its
// gradient, s its state buffers (zero at first), decays whether weight decay
// applies.
type reference func(t int, lr float64, theta, g []float64, s [][]float64, decays bool)

// wd returns lambda when decays and 0 otherwise.
func wd(lambda float64, decays bool) float64 {
	if decays {
		return lambda
	}
	return 0
}

var optimizerCases = []struct {
	name  string
	slots int
	new   func() optim.Optimizer
	ref   reference
}{
	{"sgd", 0,
		func() optim.Optimizer { return optim.NewSGD(testSchedule()) },
		func(t int, lr float64, th, g []float64, s [][]float64, decays bool) {
			for i := range th {
				th[i] -= lr * g[i]
			}
		}},
	{"sgd weight decay", 0,
		func() optim.Optimizer { o := optim.NewSGD(testSchedule()); o.WeightDecay = 0.3; return o },
		func(t int, lr float64, th, g []float64, s [][]float64, decays bool) {
			for i := range th {
				th[i] -= lr * (g[i] + wd(0.3, decays)*th[i])
			}
		}},
	{"momentum", 1,
		func() optim.Optimizer { return optim.NewMomentum(testSchedule(), 0.9) },
		func(t int, lr float64, th, g []float64, s [][]float64, decays bool) {
			v := s[0]
			for i := range th {
				v[i] = 0.9*v[i] + g[i]
				th[i] -= lr * v[i]
			}
		}},
	{"momentum weight decay", 1,
		func() optim.Optimizer { o := optim.NewMomentum(testSchedule(), 0.8); o.WeightDecay = 0.2; return o },
		func(t int, lr float64, th, g []float64, s [][]float64, decays bool) {
			v := s[0]
			for i := range th {
				gi := g[i] + wd(0.2, decays)*th[i]
				v[i] = 0.8*v[i] + gi
				th[i] -= lr * v[i]
			}
		}},
	{"nesterov", 1,
		func() optim.Optimizer { return optim.NewNesterov(testSchedule(), 0.9) },
		func(t int, lr float64, th, g []float64, s [][]float64, decays bool) {
			v := s[0]
			for i := range th {
				v[i] = 0.9*v[i] + g[i]
				th[i] -= lr * (g[i] + 0.9*v[i])
			}
		}},
	{"adam", 2,
		func() optim.Optimizer { return optim.NewAdam(testSchedule()) },
		adamReference(0.9, 0.999, 1e-8, 0, 0)},
	{"adam custom", 2,
		func() optim.Optimizer {
			o := optim.NewAdam(testSchedule())
			o.Beta1, o.Beta2, o.Eps, o.WeightDecay = 0.8, 0.98, 1e-3, 0.1
			return o
		},
		adamReference(0.8, 0.98, 1e-3, 0.1, 0)},
	{"adamw", 2,
		func() optim.Optimizer { return optim.NewAdamW(testSchedule(), 0.5) },
		adamReference(0.9, 0.999, 1e-8, 0, 0.5)},
	{"rmsprop", 1,
		func() optim.Optimizer { return optim.NewRMSProp(testSchedule()) },
		func(t int, lr float64, th, g []float64, s [][]float64, decays bool) {
			v := s[0]
			for i := range th {
				v[i] = 0.99*v[i] + 0.01*g[i]*g[i]
				th[i] -= lr * g[i] / (math.Sqrt(v[i]) + 1e-8)
			}
		}},
	{"rmsprop custom", 1,
		func() optim.Optimizer {
			o := optim.NewRMSProp(testSchedule())
			o.Alpha, o.Eps, o.WeightDecay = 0.9, 1e-2, 0.05
			return o
		},
		func(t int, lr float64, th, g []float64, s [][]float64, decays bool) {
			v := s[0]
			for i := range th {
				gi := g[i] + wd(0.05, decays)*th[i]
				v[i] = 0.9*v[i] + 0.1*gi*gi
				th[i] -= lr * gi / (math.Sqrt(v[i]) + 1e-2)
			}
		}},
	{"adagrad", 1,
		func() optim.Optimizer { return optim.NewAdagrad(testSchedule()) },
		func(t int, lr float64, th, g []float64, s [][]float64, decays bool) {
			sum := s[0]
			for i := range th {
				sum[i] += g[i] * g[i]
				th[i] -= lr * g[i] / (math.Sqrt(sum[i]) + 1e-10)
			}
		}},
	{"adagrad weight decay", 1,
		func() optim.Optimizer { o := optim.NewAdagrad(testSchedule()); o.WeightDecay = 0.2; return o },
		func(t int, lr float64, th, g []float64, s [][]float64, decays bool) {
			sum := s[0]
			for i := range th {
				gi := g[i] + wd(0.2, decays)*th[i]
				sum[i] += gi * gi
				th[i] -= lr * gi / (math.Sqrt(sum[i]) + 1e-10)
			}
		}},
}

// adamReference is Algorithm 1 of Kingma & Ba 2015 with a coupled L2 term l2
// and, first, Loshchilov & Hutter's decoupled decay θ ← θ − lr·λθ.
func adamReference(beta1, beta2, eps, l2, decoupled float64) reference {
	return func(t int, lr float64, th, g []float64, s [][]float64, decays bool) {
		m, v := s[0], s[1]
		for i := range th {
			gi := g[i] + wd(l2, decays)*th[i]
			th[i] -= lr * wd(decoupled, decays) * th[i]
			m[i] = beta1*m[i] + (1-beta1)*gi
			v[i] = beta2*v[i] + (1-beta2)*gi*gi
			mHat := m[i] / (1 - math.Pow(beta1, float64(t)))
			vHat := v[i] / (1 - math.Pow(beta2, float64(t)))
			th[i] -= lr * mHat / (math.Sqrt(vHat) + eps)
		}
	}
}

// TestFirstUpdatesMatchFormulas trains the test problem for three steps with
// each optimizer and compares every parameter after every step with the
// textbook update computed in float64 from the gradient 2(θ−τ).
func TestFirstUpdatesMatchFormulas(t *testing.T) {
	for _, c := range optimizerCases {
		for _, d := range dtypes {
			t.Run(c.name+"/"+d.name, func(t *testing.T) {
				pr := newProblem(t, d.dt, initW, initB)
				opt := c.new()
				theta := [][]float64{round(d.dt, initW), round(d.dt, initB)}
				targets := [][]float64{targetW, targetB}
				state := make([][][]float64, 2)
				for j := range state {
					for range c.slots {
						state[j] = append(state[j], make([]float64, len(theta[j])))
					}
				}
				moved := 0.0
				for step := 1; step <= 3; step++ {
					pr.step(t, opt)
					for j, p := range pr.params {
						g := make([]float64, len(theta[j]))
						for i := range g {
							g[i] = 2 * (theta[j][i] - targets[j][i])
						}
						before := append([]float64(nil), theta[j]...)
						c.ref(step, lrs[step-1], theta[j], g, state[j], p.Decays())
						moved = math.Max(moved, maxDiff(before, theta[j]))
						if diff := maxDiff(pr.values()[j], theta[j]); diff > d.tol {
							t.Errorf("step %d %s: got %v, want %v (max diff %.3g)", step, p.Name(), pr.values()[j], theta[j], diff)
						}
					}
				}
				if moved < 1e-3 {
					t.Fatalf("reference updates too small to test anything: %g", moved)
				}
				if opt.Steps() != 3 {
					t.Errorf("Steps() = %d, want 3", opt.Steps())
				}
			})
		}
	}
}

// TestStateRoundTrip trains 3 steps, saves the state (through gob), trains 3
// more; a fresh optimizer restored from the saved state, on parameters equal
// to the saved ones, must reach the same parameters and state bit for bit.
func TestStateRoundTrip(t *testing.T) {
	for _, c := range optimizerCases {
		for _, d := range dtypes {
			t.Run(c.name+"/"+d.name, func(t *testing.T) {
				a := newProblem(t, d.dt, initW, initB)
				optA := c.new()
				for range 3 {
					a.step(t, optA)
				}
				saved, err := optA.State()
				if err != nil {
					t.Fatal(err)
				}
				if got := len(saved.Slots); got != 2*c.slots {
					t.Fatalf("saved %d slots, want %d: %v", got, 2*c.slots, saved.Slots)
				}
				var buf bytes.Buffer
				if err := gob.NewEncoder(&buf).Encode(saved); err != nil {
					t.Fatal(err)
				}
				mid := a.values()
				for range 3 {
					a.step(t, optA)
				}

				var loaded optim.State
				if err := gob.NewDecoder(&buf).Decode(&loaded); err != nil {
					t.Fatal(err)
				}
				b := newProblem(t, d.dt, mid[0], mid[1])
				optB := c.new()
				if err := optB.SetState(&loaded); err != nil {
					t.Fatal(err)
				}
				if optB.Steps() != 3 {
					t.Fatalf("restored Steps() = %d, want 3", optB.Steps())
				}
				for range 3 {
					b.step(t, optB)
				}
				for j := range a.params {
					if va, vb := a.values()[j], b.values()[j]; !sameBits(va, vb) {
						t.Errorf("%s: continued %v, restored %v", a.params[j].Name(), va, vb)
					}
				}
				sa, _ := optA.State()
				sb, _ := optB.State()
				if sa.Steps != 6 || sb.Steps != 6 || sa.Kind != sb.Kind || len(sa.Slots) != len(sb.Slots) {
					t.Fatalf("states differ: %+v vs %+v", sa, sb)
				}
				for k, v := range sa.Slots {
					if !sameBits(v, sb.Slots[k]) {
						t.Errorf("slot %s: continued %v, restored %v", k, v, sb.Slots[k])
					}
				}
			})
		}
	}
}

// TestRestoredStateSurvivesSaving: State right after SetState returns the
// restored values.
func TestRestoredStateSurvivesSaving(t *testing.T) {
	opt := optim.NewAdam(optim.Constant(0.1))
	in := &optim.State{Kind: "adam", Steps: 4, Slots: map[string][]float64{
		"exp_avg/w": {1, 2}, "exp_avg_sq/w": {3, 4},
	}}
	if err := opt.SetState(in); err != nil {
		t.Fatal(err)
	}
	in.Slots["exp_avg/w"][0] = 99 // SetState must have copied
	out, err := opt.State()
	if err != nil {
		t.Fatal(err)
	}
	if out.Steps != 4 || !sameBits(out.Slots["exp_avg/w"], []float64{1, 2}) || !sameBits(out.Slots["exp_avg_sq/w"], []float64{3, 4}) {
		t.Fatalf("got %+v", out)
	}
}

// TestAdamWDoesNotDecayBiases compares AdamW with a large weight decay to
// AdamW without: the bias must follow the same path bit for bit, the weight
// must not, and a bias switched to SetDecays(true) must decay.
func TestAdamWDoesNotDecayBiases(t *testing.T) {
	run := func(decay float64, biasDecays bool) [][]float64 {
		pr := newProblem(t, graph.Float64, initW, initB)
		pr.params[1].SetDecays(biasDecays)
		opt := optim.NewAdamW(optim.Constant(0.1), decay)
		for range 3 {
			pr.step(t, opt)
		}
		return pr.values()
	}
	plain, decayed, biasDecayed := run(0, false), run(0.5, false), run(0.5, true)
	if !sameBits(plain[1], decayed[1]) {
		t.Errorf("bias decayed: %v vs %v", decayed[1], plain[1])
	}
	if maxDiff(plain[0], decayed[0]) < 1e-3 {
		t.Errorf("weight not decayed: %v vs %v", decayed[0], plain[0])
	}
	if maxDiff(plain[1], biasDecayed[1]) < 1e-3 {
		t.Errorf("bias with SetDecays(true) not decayed: %v vs %v", biasDecayed[1], plain[1])
	}
}

// TestStepAllocationFree: after the first update, Step allocates nothing.
func TestStepAllocationFree(t *testing.T) {
	for _, c := range optimizerCases {
		for _, d := range dtypes {
			pr := newProblem(t, d.dt, initW, initB)
			pr.setGrads(t, []float64{1, 2, 3, 4, 5, 6}, []float64{-1, -2, -3})
			for name, opt := range map[string]optim.Optimizer{
				"plain":     c.new(),
				"clip norm": optim.ClipByGlobalNorm(c.new(), 1),
				"clip val":  optim.ClipByValue(c.new(), 1),
			} {
				if err := opt.Step(pr.params); err != nil {
					t.Fatal(err)
				}
				allocs := testing.AllocsPerRun(5, func() {
					if err := opt.Step(pr.params); err != nil {
						t.Fatal(err)
					}
				})
				if allocs != 0 {
					t.Errorf("%s %s %s: %v allocations per Step", c.name, d.name, name, allocs)
				}
			}
		}
	}
}

// TestFrozenParamsSkipped: a frozen parameter has no gradient and must be
// left alone without error.
func TestFrozenParamsSkipped(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	w, err := m.NewParamFrom("w", []int{2}, []float64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	f, err := m.NewParamFrom("frozen", []int{2}, []float64{3, 4})
	if err != nil {
		t.Fatal(err)
	}
	f.SetFrozen(true)
	loss, err := newSumLoss(w, f)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prog.Forward(nil); err != nil {
		t.Fatal(err)
	}
	opt := optim.NewAdam(optim.Constant(0.1))
	if err := opt.Step(m.Params()); err != nil {
		t.Fatal(err)
	}
	if got := toFloat64s(f.Value()); !sameBits(got, []float64{3, 4}) {
		t.Errorf("frozen parameter changed to %v", got)
	}
	if got := toFloat64s(w.Value()); got[0] == 1 || got[1] == 2 {
		t.Errorf("trainable parameter unchanged: %v", got)
	}
	st, _ := opt.State()
	if _, ok := st.Slots["exp_avg/frozen"]; ok {
		t.Errorf("state kept for a frozen parameter: %v", st.Slots)
	}
}

// TestStepErrors: a failed Step names the problem and changes nothing.
func TestStepErrors(t *testing.T) {
	lonelyModel := graph.NewModel(graph.Float64, 1)
	lonely, err := lonelyModel.NewParamFrom("blocks.0.lonely.weight", []int{2}, []float64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		opt    optim.Optimizer
		params func(pr *problem) []*graph.Param
		want   string
	}{
		{"no gradient", optim.NewAdam(optim.Constant(0.1)),
			func(pr *problem) []*graph.Param { return append(pr.params, lonely) }, `"blocks.0.lonely.weight" has no gradient`},
		{"no gradient clip norm", optim.ClipByGlobalNorm(optim.NewSGD(optim.Constant(0.1)), 1),
			func(pr *problem) []*graph.Param { return append(pr.params, lonely) }, `"blocks.0.lonely.weight" has no gradient`},
		{"no gradient clip value", optim.ClipByValue(optim.NewSGD(optim.Constant(0.1)), 1),
			func(pr *problem) []*graph.Param { return append(pr.params, lonely) }, `"blocks.0.lonely.weight" has no gradient`},
		{"NaN schedule", optim.NewSGD(optim.WarmupCosine(1, 10, 5, 0)),
			func(pr *problem) []*graph.Param { return pr.params }, "learning rate NaN at step 1"},
		{"negative rate", optim.NewMomentum(optim.Constant(-1), 0.9),
			func(pr *problem) []*graph.Param { return pr.params }, "learning rate -1 at step 1"},
		{"nil schedule", optim.NewRMSProp(nil),
			func(pr *problem) []*graph.Param { return pr.params }, "nil learning-rate schedule"},
		{"beta1", func() optim.Optimizer { o := optim.NewAdam(optim.Constant(0.1)); o.Beta1 = 1; return o }(),
			func(pr *problem) []*graph.Param { return pr.params }, "adam: Beta1 must be in [0, 1)"},
		{"negative decay", optim.NewAdamW(optim.Constant(0.1), -0.1),
			func(pr *problem) []*graph.Param { return pr.params }, "adamw: WeightDecay must be finite and non-negative"},
		{"nesterov without momentum", optim.NewNesterov(optim.Constant(0.1), 0),
			func(pr *problem) []*graph.Param { return pr.params }, "Nesterov momentum must be positive"},
		{"max norm", optim.ClipByGlobalNorm(optim.NewSGD(optim.Constant(0.1)), 0),
			func(pr *problem) []*graph.Param { return pr.params }, "maxNorm must be positive"},
		{"nil wrapped", optim.ClipByValue(nil, 1),
			func(pr *problem) []*graph.Param { return pr.params }, "ClipByValue: nil optimizer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pr := newProblem(t, graph.Float64, initW, initB)
			pr.setGrads(t, []float64{1, 2, 3, 4, 5, 6}, []float64{-1, -2, -3})
			before := pr.values()
			err := c.opt.Step(c.params(pr))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			for j, v := range pr.values() {
				if !sameBits(v, before[j]) {
					t.Errorf("%s changed by a failed step", pr.params[j].Name())
				}
			}
			if c.opt.Steps() != 0 {
				t.Errorf("Steps() = %d after a failed step", c.opt.Steps())
			}
		})
	}
}
