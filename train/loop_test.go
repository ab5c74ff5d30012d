package train

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
)

// trainLosses runs l and returns the loss of every step.
func trainLosses(t *testing.T, ctx context.Context, l *Loop) ([]float64, error) {
	t.Helper()
	var out []float64
	l.Hooks.Step = func(s StepInfo) error {
		out = append(out, s.Loss)
		return nil
	}
	return out, l.Run(ctx)
}

// TestInterruptAndResumeIsExact: a run cancelled after 7 steps saves a
// checkpoint and returns ErrInterrupted; a new loop restored from that
// checkpoint file continues with exactly (bit for bit) the losses of a run
// never interrupted, for a Transformer LM and an LSTM LM
// carrying its state in 2 micro-batches.
func TestInterruptAndResumeIsExact(t *testing.T) {
	for _, kind := range []string{"transformer_lm", "rnn_lm"} {
		t.Run(kind, func(t *testing.T) {
			const steps = 14
			whole := NewLoop(newTestTask(t, kind, graph.Float32, 2, 2), newAdamW(), steps)
			whole.Accumulate = 2
			want, err := trainLosses(t, context.Background(), whole)
			if err != nil {
				t.Fatal(err)
			}

			dir, err := OpenRunDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer dir.Close()
			ctx, cancel := context.WithCancel(context.Background())
			first := NewLoop(newTestTask(t, kind, graph.Float32, 2, 2), newAdamW(), steps)
			first.Accumulate, first.Dir, first.SaveEvery = 2, dir, 5
			first.Hooks.Step = func(s StepInfo) error {
				if s.Step == 7 {
					cancel()
				}
				return nil
			}
			if err := first.Run(ctx); !errors.Is(err, ErrInterrupted) {
				t.Fatalf("cancelled run: %v, want ErrInterrupted", err)
			}
			ck, err := ReadCheckpoint(filepath.Join(dir.Path, StepFile(7)))
			if err != nil {
				t.Fatalf("no checkpoint of the interrupted step: %v", err)
			}
			second := NewLoop(newTestTask(t, kind, graph.Float32, 2, 2), newAdamW(), steps)
			second.Accumulate = 2
			if err := second.Restore(ck); err != nil {
				t.Fatal(err)
			}
			got, err := trainLosses(t, context.Background(), second)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != steps-7 {
				t.Fatalf("the resumed run trained %d steps, want %d", len(got), steps-7)
			}
			for i, g := range got {
				if g != want[7+i] {
					t.Fatalf("step %d: loss %v after resuming, %v without interruption", 8+i, g, want[7+i])
				}
			}
		})
	}
}

// TestPatienceStopsEarly: with a validation loss that cannot improve (the
// learning rate is 0), Patience 2 and an evaluation every 2 steps, the run
// stops at step 6 (evaluations at 2, 4, 6: the first is the best, two
// without improvement follow), saving its checkpoint.
func TestPatienceStopsEarly(t *testing.T) {
	dir, err := OpenRunDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	l := NewLoop(newTestTask(t, "transformer_lm", graph.Float32, 2, 1), zeroLR(), 100)
	l.EvalEvery, l.EvalBatches, l.Patience, l.Dir = 2, 1, 2, dir
	if err := l.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !l.EarlyStopped || l.Step != 6 || l.BadEvals != 2 {
		t.Fatalf("stopped at step %d (early %v, %d evaluations without improvement)", l.Step, l.EarlyStopped, l.BadEvals)
	}
	for _, name := range []string{StepFile(6), BestFile} {
		if _, err := ReadCheckpoint(filepath.Join(dir.Path, name)); err != nil {
			t.Error(err)
		}
	}
}

// TestNonFiniteLossIsTyped: a parameter poisoned with +Inf makes the first
// step's loss non-finite; Run returns a *NonFiniteError naming the step and
// the parameter, and the parameters are left as they were.
func TestNonFiniteLossIsTyped(t *testing.T) {
	task := newTestTask(t, "transformer_lm", graph.Float32, 2, 1)
	p, ok := task.Model().Param("blocks.0.ff.fc1.weight")
	if !ok {
		t.Fatal("no blocks.0.ff.fc1.weight")
	}
	p.Value().Float32s()[3] = float32(math.Inf(1))
	l := NewLoop(task, newAdamW(), 10)
	err := l.Run(context.Background())
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("Run: %v, want a *NonFiniteError", err)
	}
	if nf.Step != 1 || nf.Param != "blocks.0.ff.fc1.weight" || isFinite(nf.Loss) || nf.LastSaved != -1 || l.Step != 0 {
		t.Errorf("%+v after %d steps", nf, l.Step)
	}
	if v := p.Value().Float32s(); !math.IsInf(float64(v[3]), 1) || !isFinite(float64(v[4])) {
		t.Errorf("the parameter changed: %v", v[:5])
	}
}
