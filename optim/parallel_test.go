package optim_test

import (
	"runtime"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
)

// TestParallelUpdateMatchesSerial: parameters large enough to be updated on
// several goroutines get bit-identical values to a run on one CPU, for every
// optimizer, with a frozen parameter among them left alone.
func TestParallelUpdateMatchesSerial(t *testing.T) {
	run := func(t *testing.T, newOpt func() optim.Optimizer, procs int) [][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		m := graph.NewModel(graph.Float32, 1)
		var params []*graph.Param
		for i, n := range []int{40000, 3, 30000, 25000} {
			p, err := m.NewParam(string(rune('a'+i)), []int{n}, graph.Normal(1))
			if err != nil {
				t.Fatal(err)
			}
			params = append(params, p)
		}
		params[1].SetFrozen(true)
		loss, err := newSumLoss(params[0], params[2], params[3])
		if err != nil {
			t.Fatal(err)
		}
		prog, err := m.Compile(loss)
		if err != nil {
			t.Fatal(err)
		}
		opt := newOpt()
		for s := 0; s < 3; s++ {
			if _, err := prog.Step(nil, opt); err != nil {
				t.Fatal(err)
			}
		}
		var out [][]float32
		for _, p := range params {
			out = append(out, append([]float32(nil), p.Value().Data().([]float32)...))
		}
		return out
	}
	for _, c := range optimizerCases {
		t.Run(c.name, func(t *testing.T) {
			serial, parallel := run(t, c.new, 1), run(t, c.new, 2)
			for i := range serial {
				for j := range serial[i] {
					if serial[i][j] != parallel[i][j] {
						t.Fatalf("parameter %d element %d: %v on 2 CPUs, %v on 1", i, j, parallel[i][j], serial[i][j])
					}
				}
			}
		})
	}
}
