package optim_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
)

// recorder is an Optimizer that records the gradients it is stepped with.
type recorder struct {
	optim.Optimizer
	seen [][]float64
}

func (r *recorder) Step(params []*graph.Param) error {
	r.seen = r.seen[:0]
	for _, p := range params {
		r.seen = append(r.seen, toFloat64s(p.Grad()))
	}
	return r.Optimizer.Step(params)
}

// The test gradients have global norm √(3²+4²+12²) = 13.
var (
	clipGradW = []float64{3, 0, 0, 0, 0, 0}
	clipGradB = []float64{0, -4, 12}
)

func TestGlobalNorm(t *testing.T) {
	for _, d := range dtypes {
		pr := newProblem(t, d.dt, initW, initB)
		pr.setGrads(t, clipGradW, clipGradB)
		if got := optim.GlobalNorm(pr.params); got != 13 {
			t.Errorf("%s: GlobalNorm = %v, want 13", d.name, got)
		}
	}
}

func TestClipByGlobalNorm(t *testing.T) {
	cases := []struct {
		name    string
		maxNorm float64
		scale   float64 // expected factor applied to the gradients
	}{
		{"rescaled", 2, 2.0 / 13},
		{"rescaled barely", 12.5, 12.5 / 13},
		{"untouched", 20, 1},
		{"untouched at the limit", 13, 1},
	}
	for _, c := range cases {
		for _, d := range dtypes {
			t.Run(c.name+"/"+d.name, func(t *testing.T) {
				pr := newProblem(t, d.dt, initW, initB)
				pr.setGrads(t, clipGradW, clipGradB)
				rec := &recorder{Optimizer: optim.NewSGD(optim.Constant(0.1))}
				opt := optim.ClipByGlobalNorm(rec, c.maxNorm)
				if err := opt.Step(pr.params); err != nil {
					t.Fatal(err)
				}
				if got := opt.(*optim.GlobalNormClip).LastNorm(); got != 13 {
					t.Errorf("LastNorm = %v, want 13", got)
				}
				for j, g := range [][]float64{clipGradW, clipGradB} {
					want := make([]float64, len(g))
					for i := range g {
						want[i] = g[i] * c.scale
					}
					if c.scale == 1 {
						if !sameBits(rec.seen[j], round(d.dt, g)) {
							t.Errorf("small gradient changed: %v, want %v", rec.seen[j], g)
						}
					} else if diff := maxDiff(rec.seen[j], want); diff > d.tol {
						t.Errorf("clipped gradient %v, want %v", rec.seen[j], want)
					}
				}
				wantNorm := math.Min(c.maxNorm, 13)
				if got := optim.GlobalNorm(pr.params); math.Abs(got-wantNorm) > d.tol*wantNorm {
					t.Errorf("norm after clipping %v, want %v", got, wantNorm)
				}
				if opt.Steps() != 1 {
					t.Errorf("Steps() = %d, want the wrapped optimizer's 1", opt.Steps())
				}
			})
		}
	}
}

func TestClipByValue(t *testing.T) {
	for _, d := range dtypes {
		pr := newProblem(t, d.dt, initW, initB)
		pr.setGrads(t, clipGradW, clipGradB)
		rec := &recorder{Optimizer: optim.NewSGD(optim.Constant(0.1))}
		if err := optim.ClipByValue(rec, 3.5).Step(pr.params); err != nil {
			t.Fatal(err)
		}
		for j, want := range [][]float64{{3, 0, 0, 0, 0, 0}, {0, -3.5, 3.5}} {
			if !sameBits(rec.seen[j], want) {
				t.Errorf("%s: clipped %v, want %v", d.name, rec.seen[j], want)
			}
		}
	}
}

func TestClipNonFiniteGradient(t *testing.T) {
	pr := newProblem(t, graph.Float64, initW, initB)
	pr.setGrads(t, clipGradW, []float64{0, math.NaN(), 1})
	before := pr.values()
	err := optim.ClipByGlobalNorm(optim.NewSGD(optim.Constant(0.1)), 1).Step(pr.params)
	if err == nil || !strings.Contains(err.Error(), `["b"]`) {
		t.Fatalf("error %v, want one naming \"b\"", err)
	}
	for j, v := range pr.values() {
		if !sameBits(v, before[j]) {
			t.Errorf("%s changed by a failed step", pr.params[j].Name())
		}
	}
}

// TestClipDelegatesState: the wrappers save and restore the wrapped
// optimizer's state.
func TestClipDelegatesState(t *testing.T) {
	pr := newProblem(t, graph.Float64, initW, initB)
	opt := optim.ClipByValue(optim.ClipByGlobalNorm(optim.NewAdam(optim.Constant(0.01)), 1), 5)
	for range 2 {
		pr.step(t, opt)
	}
	s, err := opt.State()
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != "adam" || s.Steps != 2 || len(s.Slots) != 4 {
		t.Fatalf("state %+v", s)
	}
	fresh := optim.ClipByValue(optim.ClipByGlobalNorm(optim.NewAdam(optim.Constant(0.01)), 1), 5)
	if err := fresh.SetState(s); err != nil {
		t.Fatal(err)
	}
	if fresh.Steps() != 2 {
		t.Errorf("restored Steps() = %d", fresh.Steps())
	}
	if _, err := optim.ClipByGlobalNorm(nil, 1).State(); err == nil {
		t.Error("State of a nil wrapped optimizer: no error")
	}
}
