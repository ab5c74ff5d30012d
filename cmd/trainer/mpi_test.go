package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/internal/prereq"
	"github.com/gorgonet/gorgonet/internal/testbuild"
	"github.com/gorgonet/gorgonet/safetensors"
	"github.com/gorgonet/gorgonet/train"
	"github.com/gorgonet/gorgonet/train/recipe"
)

// The tests of data-parallel training build the trainer with `-tags mpi`
// and run it under `mpirun --allow-run-as-root --oversubscribe -np 2`; they
// are skipped when mpirun is absent (install openmpi-bin and
// libopenmpi-dev to run them; in CI their absence fails them).

var (
	mpiBuild    sync.Once
	mpiBin      string
	mpiBuildErr error
	// mpiCoverDir receives the coverage counters of the MPI trainer's
	// ranks when this test binary counts coverage. They cannot join this
	// binary's figure (the MPI build compiles other files of this package),
	// so TestMain prints their own.
	mpiCoverDir string
)

// mpiCoverage are the packages whose coverage the MPI trainer reports.
var mpiCoverage = []string{"github.com/gorgonet/gorgonet/cmd/trainer", "github.com/gorgonet/gorgonet/distributed/..."}

// mpiTrainer returns the path of the trainer built with MPI, building it
// once, or skips the test when mpirun is absent.
func mpiTrainer(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("mpirun"); err != nil {
		prereq.Missing(t, "mpirun not found: install openmpi-bin and libopenmpi-dev to test data-parallel training")
	}
	mpiBuild.Do(func() {
		dir, err := os.MkdirTemp("", "trainer-mpi")
		if err != nil {
			mpiBuildErr = err
			return
		}
		mpiBin = filepath.Join(dir, "trainer")
		if testbuild.CoverDir() != "" {
			mpiCoverDir = filepath.Join(dir, "cover")
			if mpiBuildErr = os.Mkdir(mpiCoverDir, 0o755); mpiBuildErr != nil {
				return
			}
		}
		mpiBuildErr = testbuild.Build(testbuild.Spec{Dir: ".", Output: mpiBin, Tags: "mpi", Cover: mpiCoverage})
	})
	if mpiBuildErr != nil {
		t.Fatal(mpiBuildErr)
	}
	return mpiBin
}

// mpiCoverReport prints the coverage of what the MPI trainer's ranks ran,
// when there is any, and removes the MPI trainer.
func mpiCoverReport() {
	if mpiBin == "" {
		return
	}
	defer os.RemoveAll(filepath.Dir(mpiBin))
	if mpiCoverDir == "" {
		return
	}
	report, err := testbuild.CoverPercent(mpiCoverDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Printf("coverage of the MPI trainer's ranks:\n%s\n", report)
}

// mpiCommand returns the command running the MPI trainer with args on np
// ranks under mpirun (np 0: directly, without mpirun), in dir.
func mpiCommand(t *testing.T, dir string, np int, env []string, args ...string) *exec.Cmd {
	bin := mpiTrainer(t)
	var cmd *exec.Cmd
	if np == 0 {
		cmd = exec.Command(bin, args...)
	} else {
		cmd = exec.Command("mpirun", append([]string{"--allow-run-as-root", "--oversubscribe", "-np", strconv.Itoa(np), bin}, args...)...)
	}
	cmd.Dir = dir
	// Shared-memory transport without ptrace-based single copy, which
	// containers often forbid.
	cmd.Env = append(append(append(os.Environ(), "OMPI_MCA_btl_vader_single_copy_mechanism=none"), testbuild.Env(mpiCoverDir)...), env...)
	return cmd
}

// mpiRun runs the MPI trainer and fails the test unless it succeeds.
func mpiRun(t *testing.T, dir string, np int, env []string, args ...string) string {
	t.Helper()
	out, err := mpiCommand(t, dir, np, env, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("trainer %v on %d ranks: %v\n%s", args, np, err, out)
	}
	if testbuild.RaceReport(string(out)) {
		t.Fatalf("trainer %v on %d ranks: the race detector found a data race:\n%s", args, np, out)
	}
	return string(out)
}

// mpiTiny returns the arguments training a tiny Transformer LM without
// dropout, with a batch of batch rows per rank, logging every step.
func mpiTiny(out string, steps, batch int, extra ...string) []string {
	args := []string{"train", "--out", out}
	for _, s := range append([]string{"model.d_model=32", "model.heads=2", "model.layers=1", "model.context=16",
		"model.dropout=0", "train.log_every=1", "train.eval_every=0", "train.eval_batches=1", "sample.length=0",
		"train.steps=" + strconv.Itoa(steps), "train.batch_size=" + strconv.Itoa(batch)}, extra...) {
		args = append(args, "--set", s)
	}
	return args
}

// mpiLosses returns the training losses of a run directory by step.
func mpiLosses(t *testing.T, dir string) map[int]float64 {
	t.Helper()
	records, err := train.ReadMetricsFile(filepath.Join(dir, metricsFile))
	if err != nil {
		t.Fatal(err)
	}
	losses := map[int]float64{}
	for _, r := range records {
		if r.Split == train.Train {
			losses[r.Step] = r.Loss
		}
	}
	return losses
}

// TestMPITwoRanksMatchOneProcess: 2 ranks × 4 rows give, over 50 steps,
// the losses (1e-5 relative) and final parameters of 1 process × 8 rows,
// and the ranks' parameters are bitwise identical after every step
// (GORGONET_CHECK_REPLICAS makes every step verify it).
func TestMPITwoRanksMatchOneProcess(t *testing.T) {
	dir := t.TempDir()
	const steps = 50
	mpiRun(t, dir, 0, nil, mpiTiny("one", steps, 8)...)
	mpiRun(t, dir, 2, []string{"GORGONET_CHECK_REPLICAS=1"}, mpiTiny("two", steps, 4)...)
	one, two := mpiLosses(t, filepath.Join(dir, "one")), mpiLosses(t, filepath.Join(dir, "two"))
	worst := 0.0
	for s := 1; s <= steps; s++ {
		a, okA := one[s]
		b, okB := two[s]
		if !okA || !okB {
			t.Fatalf("step %d: loss missing (1 process: %v, 2 ranks: %v)", s, okA, okB)
		}
		worst = math.Max(worst, math.Abs(a-b)/math.Abs(a))
	}
	if worst > 1e-5 {
		t.Errorf("loss sequences differ: largest relative difference %.3g > 1e-5", worst)
	}
	name := stepCheckpointName(steps)
	p1, _, err := safetensors.ReadFile(filepath.Join(dir, "one", name))
	if err != nil {
		t.Fatal(err)
	}
	p2, _, err := safetensors.ReadFile(filepath.Join(dir, "two", name))
	if err != nil {
		t.Fatal(err)
	}
	worstP, worstName, count := 0.0, "", 0
	for key, a := range p1 {
		b, ok := p2[key]
		if !ok {
			t.Fatalf("tensor %q missing from the 2-rank checkpoint", key)
		}
		av, bv := float64s(a), float64s(b)
		// Adam divides by √v: where a gradient is nearly 0 (rows of rare
		// tokens) a rounding difference of the gradient becomes a visible
		// difference of the step. The key bias adds the same q·b to every
		// score of a query, which the softmax cancels: its exact gradient is
		// 0, and Adam turns the rounding noise it gets into steps of ~lr.
		tol := 1e-4
		if strings.HasSuffix(key, ".attn.k.bias") {
			tol = 1e-3
		}
		for i := range av {
			d := math.Abs(av[i]-bv[i]) / math.Max(1, math.Abs(av[i]))
			if d > tol {
				t.Errorf("%s[%d]: %v after 1 process, %v after 2 ranks", key, i, av[i], bv[i])
				break
			}
			if d > worstP && tol == 1e-4 {
				worstP, worstName = d, key
			}
		}
		count += len(av)
	}
	if len(p1) != len(p2) {
		t.Errorf("the checkpoints hold %d and %d tensors", len(p1), len(p2))
	}
	t.Logf("50 steps: losses %.5f → %.5f; largest relative loss difference %.3g; %d checkpoint values, largest difference %.3g (%s) outside attn.k.bias",
		one[1], one[steps], worst, count, worstP, worstName)
}

// TestMPIResumeExact: 2 ranks trained 10 steps then resumed to 20 give the
// losses of 2 ranks trained 20 steps at once, bit for bit (every rank's
// data position and the parameters come back).
func TestMPIResumeExact(t *testing.T) {
	dir := t.TempDir()
	constant := []string{"optim.schedule=constant", "optim.lr=0.003"}
	mpiRun(t, dir, 2, nil, mpiTiny("straight", 20, 4, constant...)...)
	mpiRun(t, dir, 2, nil, mpiTiny("split", 10, 4, constant...)...)
	mpiRun(t, dir, 2, nil, "resume", "split", "--set", "train.steps=20")
	want, got := mpiLosses(t, filepath.Join(dir, "straight")), mpiLosses(t, filepath.Join(dir, "split"))
	for s := 1; s <= 20; s++ {
		if got[s] != want[s] || math.IsNaN(got[s]) {
			t.Errorf("step %d: resumed run has loss %v, uninterrupted run %v", s, got[s], want[s])
		}
	}
}

// longMPIRun starts a 2-rank run of many steps in dir/run, checkpointing
// every 5 steps, and returns once it has a checkpoint of step 10 or later
// (the trainer keeps only the last train.keep of them, so ckpt-000010 itself
// may already be gone when the test looks), with
// its combined output and a channel that receives the job's end.
func longMPIRun(t *testing.T, dir string, env ...string) (*exec.Cmd, *syncBuffer, chan error) {
	t.Helper()
	cmd := mpiCommand(t, dir, 2, env, mpiTiny("run", 100000, 4, "train.save_every=5", "optim.schedule=constant")...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(mpiPatience)
	for !reachedCheckpoint(filepath.Join(dir, "run"), 10) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no checkpoint of step 10 or later after %v:\n%s", mpiPatience, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cmd, out, done
}

// reachedCheckpoint reports whether run holds a step checkpoint of step or
// later (their names are zero-padded, so they sort by step).
func reachedCheckpoint(run string, step int) bool {
	files, err := stepCheckpoints(run)
	return err == nil && len(files) > 0 && filepath.Base(files[len(files)-1]) >= stepCheckpointName(step)
}

// syncBuffer is a bytes.Buffer safe for the writes of a running command
// and the reads of a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitEnd waits up to 30 s for the job to end and returns its error.
// mpiPatience bounds the waits for an MPI job's progress: generous, since
// the 2 cores may be shared with other test packages; a healthy job takes a
// few seconds.
const mpiPatience = 2 * time.Minute

func waitEnd(t *testing.T, cmd *exec.Cmd, out *syncBuffer, done chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(mpiPatience):
		cmd.Process.Kill()
		t.Fatalf("the job did not stop within %v:\n%s", mpiPatience, out.String())
	}
	return nil
}

// resumeLast checks that the run's last checkpoint reads back and that 2
// ranks resume it for 5 more steps.
func resumeLast(t *testing.T, dir string) {
	t.Helper()
	steps, err := stepCheckpoints(filepath.Join(dir, "run"))
	if err != nil || len(steps) == 0 {
		t.Fatalf("no checkpoint left: %v", err)
	}
	ck, err := recipe.ReadCheckpoint(steps[len(steps)-1])
	if err != nil {
		t.Fatalf("the last checkpoint is damaged: %v", err)
	}
	mpiRun(t, dir, 2, nil, "resume", "run", "--set", fmt.Sprintf("train.steps=%d", ck.Step+5))
	if _, err := recipe.ReadCheckpoint(filepath.Join(dir, "run", stepCheckpointName(ck.Step+5))); err != nil {
		t.Errorf("resuming step %d: %v", ck.Step, err)
	}
}

// TestMPIKilledRank: killing rank 1 mid-run stops the job with an error
// naming the killed rank; the last checkpoint is intact and resumable.
func TestMPIKilledRank(t *testing.T) {
	dir := t.TempDir()
	cmd, out, done := longMPIRun(t, dir)
	rank1 := rankPID(cmd.Process.Pid, 1)
	if rank1 == 0 {
		cmd.Process.Kill()
		<-done
		t.Skip("cannot find rank 1 among mpirun's children in /proc")
	}
	if err := syscall.Kill(rank1, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := waitEnd(t, cmd, out, done); err == nil {
		t.Fatalf("the job succeeded although rank 1 was killed:\n%s", out.String())
	}
	if msg := out.String(); !strings.Contains(msg, "rank 1") || !strings.Contains(msg, "signal 9") {
		t.Errorf("the job's error does not say that rank 1 was killed:\n%s", msg)
	}
	resumeLast(t, dir)
}

// sigkillGrace is how long, in seconds, mpirun waits after passing a
// Ctrl-C on to the ranks as SIGTERM before it kills them (Open MPI's
// odls_base_sigkill_timeout, 1 s by default, added once more when the ranks
// exit with an error status). Finishing a step and saving a checkpoint takes
// far less on an idle machine, but not always on 2 loaded cores, nor with
// the race detector (ranks several times slower; a CI run under load took
// more than 5 s): TestMPIInterrupt gives the ranks this long, so that it
// checks what they do with the signal and not how fast the machine is.
func sigkillGrace() string {
	if testbuild.Race() {
		return "30"
	}
	return "5"
}

// TestMPIInterrupt: Ctrl-C to mpirun (which sends SIGTERM to every rank)
// stops every rank after the same step, rank 0 saving a checkpoint of it
// and saying so, and the metrics stop at that step.
func TestMPIInterrupt(t *testing.T) {
	dir := t.TempDir()
	cmd, out, done := longMPIRun(t, dir, "OMPI_MCA_odls_base_sigkill_timeout="+sigkillGrace())
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := waitEnd(t, cmd, out, done); err == nil {
		t.Errorf("the interrupted job exited with status 0:\n%s", out.String())
	}
	msg := out.String()
	i := strings.Index(msg, "interrupted at step ")
	if i < 0 {
		t.Fatalf("no interruption message:\n%s", msg)
	}
	var step int
	if _, err := fmt.Sscanf(msg[i:], "interrupted at step %d", &step); err != nil {
		t.Fatalf("interruption message %q: %v", msg[i:], err)
	}
	ck, err := recipe.ReadCheckpoint(filepath.Join(dir, "run", stepCheckpointName(step)))
	if err != nil {
		t.Fatalf("interrupted at step %d: %v", step, err)
	}
	if ck.Step != step {
		t.Errorf("the checkpoint of step %d holds step %d", step, ck.Step)
	}
	last := 0
	for s := range mpiLosses(t, filepath.Join(dir, "run")) {
		last = max(last, s)
	}
	if last != step {
		t.Errorf("interrupted at step %d, but the metrics end at step %d", step, last)
	}
	resumeLast(t, dir)
}

// float64s returns the values of a float32 or float64 tensor.
func float64s(t *tensor.Dense) []float64 {
	if t.Dtype() == tensor.Float64 {
		return t.Float64s()
	}
	out := make([]float64, 0, t.DataSize())
	for _, v := range t.Float32s() {
		out = append(out, float64(v))
	}
	return out
}

// TestMPIEveryKind: for the recurrent LM (its carried state sharded with
// the rows) and both seq2seq models (the loss averaged by target tokens
// across ranks, not by rows), 2 ranks × 4 rows give the losses (1e-5
// relative) of 1 process × 8 rows, with the ranks' parameters bitwise
// identical after every step; the 2-rank checkpoint of the recurrent LM
// holds the carried state of all 8 rows, as the 1-process one does.
func TestMPIEveryKind(t *testing.T) {
	dir := t.TempDir()
	const steps = 10
	for _, kind := range []string{"rnn_lm", "transformer_seq2seq", "rnn_seq2seq"} {
		t.Run(kind, func(t *testing.T) {
			sets := []string{"model.kind=" + kind}
			if kind != "rnn_lm" {
				sets = append(sets, "data.task=reverse", "data.task_pairs=200", "model.context=8")
			}
			one, two := filepath.Join(kind, "one"), filepath.Join(kind, "two")
			mpiRun(t, dir, 0, nil, mpiTiny(one, steps, 8, sets...)...)
			mpiRun(t, dir, 2, []string{"GORGONET_CHECK_REPLICAS=1"}, mpiTiny(two, steps, 4, sets...)...)
			a, b := mpiLosses(t, filepath.Join(dir, one)), mpiLosses(t, filepath.Join(dir, two))
			for s := 1; s <= steps; s++ {
				if d := math.Abs(a[s]-b[s]) / math.Abs(a[s]); !(d <= 1e-5) {
					t.Errorf("step %d: loss %v on 1 process, %v on 2 ranks", s, a[s], b[s])
				}
			}
			c1, _, err := safetensors.ReadFile(filepath.Join(dir, one, stepCheckpointName(steps)))
			if err != nil {
				t.Fatal(err)
			}
			c2, _, err := safetensors.ReadFile(filepath.Join(dir, two, stepCheckpointName(steps)))
			if err != nil {
				t.Fatal(err)
			}
			carried := 0
			for name, x := range c1 {
				if !strings.HasPrefix(name, "carried/") {
					continue
				}
				carried++
				y, ok := c2[name]
				if !ok || !x.Shape().Eq(y.Shape()) {
					t.Fatalf("%s: %v on 1 process, missing or of another shape on 2 ranks", name, x.Shape())
				}
				xv, yv := float64s(x), float64s(y)
				for i := range xv {
					if math.Abs(xv[i]-yv[i]) > 1e-3 {
						t.Fatalf("%s[%d]: %v on 1 process, %v on 2 ranks", name, i, xv[i], yv[i])
					}
				}
			}
			if (kind == "rnn_lm") != (carried > 0) {
				t.Errorf("%d carried tensors in the checkpoint of %s", carried, kind)
			}
			t.Logf("%d steps: losses %.5f → %.5f on both; %d carried tensors agree", steps, a[1], a[steps], carried)
		})
	}
}

// rankPID returns the process id of rank among the children of mpirun (0
// when not found), from OMPI_COMM_WORLD_RANK in their environment.
func rankPID(mpirun, rank int) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name in parentheses: state, ppid, …
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(mpirun) {
			continue
		}
		env, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		for _, kv := range bytes.Split(env, []byte{0}) {
			if string(kv) == fmt.Sprintf("OMPI_COMM_WORLD_RANK=%d", rank) {
				return pid
			}
		}
	}
	return 0
}
