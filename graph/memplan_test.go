package graph_test

import (
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/tensor"
)

// TestMemoryPlanSharesBuffers checks that planning by lifetime puts the
// intermediates of a training program into an arena much smaller than their
// sum (each forward activation is freed once the backward pass has read it,
// each backward intermediate once consumed), and that steps after the first
// allocate next to nothing.
func TestMemoryPlanSharesBuffers(t *testing.T) {
	for _, tc := range equalityCases {
		t.Run(tc.name, func(t *testing.T) {
			_, prog, step := tc.build(t, graph.Float32)
			opt := optim.ClipByGlobalNorm(optim.NewAdam(optim.Constant(3e-3)), 1)
			for i := 0; i < 2; i++ {
				if _, err := step(i, opt); err != nil {
					t.Fatal(err)
				}
			}
			arena, planned := graph.PlanBytes(prog)
			t.Logf("arena %d bytes for %d bytes of planned registers (%.0f%%)", arena, planned, 100*float64(arena)/float64(planned))
			if planned == 0 {
				t.Fatal("no register was planned")
			}
			if float64(arena) > 0.7*float64(planned) {
				t.Fatalf("arena of %d bytes for %d bytes of registers: lifetimes shared almost nothing", arena, planned)
			}
		})
	}
}

// TestWrongLifetimeBreaksEquality plants a planning bug (registers taken to
// die when first written, before their readers run) and requires the
// kept-and-fresh equality check to catch it: the check guards the plan.
func TestWrongLifetimeBreaksEquality(t *testing.T) {
	for _, tc := range equalityCases {
		t.Run(tc.name, func(t *testing.T) {
			if err := compareKeptAndFresh(t, tc.build, tensor.Float64, graph.PlantShortLifetimes); err == nil {
				t.Fatal("the equality check passed with lifetimes that end before the registers are read")
			} else {
				t.Logf("caught: %v", err)
			}
		})
	}
}
