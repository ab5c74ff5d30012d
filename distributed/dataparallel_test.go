package distributed_test

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/distributed"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
)

// replica is one rank's copy of a small float32 regression network,
// y = tanh(x·W1 + b1)·W2, trained on the mean squared error of a local batch
// of rows.
type replica struct {
	m    *graph.Model
	prog *graph.Program
	opt  optim.Optimizer
}

func newReplica(t *testing.T, dtype tensor.Dtype, comm distributed.Comm, rows int, seed uint64) *replica {
	t.Helper()
	m := graph.NewModel(dtype, seed)
	w1, err := m.NewParam("hidden.weight", tensor.Shape{3, 8}, graph.XavierUniform())
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := m.NewParam("hidden.bias", tensor.Shape{8}, graph.Zeros())
	w2, _ := m.NewParam("out.weight", tensor.Shape{8, 1}, graph.XavierUniform())
	x, _ := m.Input("x", rows, 3)
	y, _ := m.Input("y", rows, 1)
	h := gorgonia.Must(gorgonia.Tanh(gorgonia.Must(gorgonia.BroadcastAdd(gorgonia.Must(gorgonia.Mul(x, w1.Node())), b1.Node(), nil, []byte{0}))))
	pred := gorgonia.Must(gorgonia.Mul(h, w2.Node()))
	loss := gorgonia.Must(gorgonia.Mean(gorgonia.Must(gorgonia.Square(gorgonia.Must(gorgonia.Sub(pred, y))))))
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	opt := distributed.NewDataParallel(comm, optim.ClipByGlobalNorm(optim.NewAdam(optim.Constant(0.01)), 1))
	return &replica{m: m, prog: prog, opt: opt}
}

// globalBatch returns batch number step of rows rows: the same on every
// rank, as from an identically seeded batcher.
func globalBatch(dtype tensor.Dtype, step, rows int) (x, y *tensor.Dense) {
	rng := rand.New(rand.NewPCG(7, uint64(step)))
	xs, ys := make([]float64, rows*3), make([]float64, rows)
	for r := 0; r < rows; r++ {
		for c := 0; c < 3; c++ {
			xs[r*3+c] = rng.NormFloat64()
		}
		ys[r] = math.Sin(xs[r*3]) + 0.5*xs[r*3+1]*xs[r*3+2]
	}
	return dense(dtype, xs, rows, 3), dense(dtype, ys, rows, 1)
}

func dense(dtype tensor.Dtype, v []float64, shape ...int) *tensor.Dense {
	if dtype == tensor.Float32 {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// trainRanks trains size replicas, each on its shard of a global batch of
// globalRows rows, for steps steps, in one goroutine per rank. It returns
// the loss sequence (mean across ranks) and the final parameters of every
// rank, and fails when the ranks' parameters differ in any bit after any
// step.
func trainRanks(t *testing.T, dtype tensor.Dtype, size, globalRows, steps int) ([]float64, [][]float64) {
	t.Helper()
	comms, err := distributed.NewGroup(size)
	if err != nil {
		t.Fatal(err)
	}
	reps := make([]*replica, size)
	for r := range reps {
		// Different seeds: Broadcast must make the replicas equal.
		reps[r] = newReplica(t, dtype, comms[r], globalRows/size, uint64(1+r))
	}
	losses := make([][]float64, size)
	errs := make([]error, size)
	var wg sync.WaitGroup
	for r := range reps {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			errs[r] = func() error {
				rep, comm := reps[r], comms[r]
				if err := distributed.Broadcast(comm, rep.m.Params()); err != nil {
					return err
				}
				for s := 0; s < steps; s++ {
					gx, gy := globalBatch(dtype, s, globalRows)
					x, err := distributed.ShardRows(gx, r, size)
					if err != nil {
						return err
					}
					y, err := distributed.ShardRows(gy, r, size)
					if err != nil {
						return err
					}
					l, err := rep.prog.Step(graph.Feeds{"x": x, "y": y}, rep.opt)
					if err != nil {
						return err
					}
					mean, stop, err := distributed.MeanAcross(comm, l, false)
					if err != nil {
						return err
					}
					if stop {
						t.Errorf("rank %d: stop requested though no rank asked", r)
					}
					losses[r] = append(losses[r], mean)
					if err := distributed.Identical(comm, rep.m.Params()); err != nil {
						return err
					}
				}
				return nil
			}()
		}(r)
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %+v", r, err)
		}
	}
	params := make([][]float64, size)
	for r, rep := range reps {
		for _, p := range rep.m.Params() {
			params[r] = append(params[r], floats(p.Value())...)
		}
	}
	return losses[0], params
}

func floats(t *tensor.Dense) []float64 {
	var out []float64
	switch v := t.Data().(type) {
	case []float32:
		for _, x := range v {
			out = append(out, float64(x))
		}
	case []float64:
		out = append(out, v...)
	}
	return out
}

func relErr(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(math.Max(math.Abs(a), math.Abs(b)), 1e-12)
}

// TestDataParallelMatchesOneProcess trains 2 and 4 ranks and one process on
// the same global batches for 50 steps: the loss sequences and the final
// parameters agree (float32: 1e-5 relative on the losses; float64: 1e-12),
// and every rank's parameters are bitwise identical after every step.
func TestDataParallelMatchesOneProcess(t *testing.T) {
	const steps, rows = 50, 8
	for _, tc := range []struct {
		name  string
		dtype tensor.Dtype
		size  int
		tol   float64
	}{
		{"float32/2 ranks", tensor.Float32, 2, 1e-5},
		{"float32/4 ranks", tensor.Float32, 4, 1e-5},
		{"float64/2 ranks", tensor.Float64, 2, 1e-12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oneLoss, oneParams := trainRanks(t, tc.dtype, 1, rows, steps)
			loss, params := trainRanks(t, tc.dtype, tc.size, rows, steps)
			worst := 0.0
			for s := range loss {
				worst = math.Max(worst, relErr(loss[s], oneLoss[s]))
			}
			if worst > tc.tol {
				t.Errorf("largest relative difference of the losses %.3g > %g", worst, tc.tol)
			}
			if !(loss[steps-1] < 0.5*loss[0]) {
				t.Errorf("loss did not fall: %v → %v", loss[0], loss[steps-1])
			}
			worstP := 0.0
			for i, v := range params[0] {
				worstP = math.Max(worstP, math.Abs(v-oneParams[0][i]))
			}
			if worstP > 100*tc.tol {
				t.Errorf("largest difference of the final parameters %.3g > %g", worstP, 100*tc.tol)
			}
			for r := 1; r < tc.size; r++ {
				for i, v := range params[r] {
					if math.Float64bits(v) != math.Float64bits(params[0][i]) {
						t.Fatalf("rank %d parameter value %d = %v, rank 0 has %v", r, i, v, params[0][i])
					}
				}
			}
			t.Logf("losses %.6f → %.6f; largest relative loss difference %.3g, largest parameter difference %.3g",
				loss[0], loss[steps-1], worst, worstP)
		})
	}
}
