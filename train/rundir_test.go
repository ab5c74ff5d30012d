package train

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorgonia.org/tensor"
)

// holdLockEnv makes the test binary a process that opens the run directory
// it names, says so, and waits to be killed (TestRunDirLockFreedBySIGKILL).
const holdLockEnv = "GORGONET_TEST_HOLD_RUNDIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdLockEnv); dir != "" {
		if _, err := OpenRunDir(dir); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestRunDirLockRefusesSecondWriter: while a run directory is open, a
// second OpenRunDir of it (another open file, as another process has) is
// refused with a *LockedError naming this process; Close frees it.
func TestRunDirLockRefusesSecondWriter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	d, err := OpenRunDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = OpenRunDir(dir)
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second open: %v, want a *LockedError", err)
	}
	if want := strconv.Itoa(os.Getpid()); !strings.HasPrefix(locked.Holder, want+" ") || !strings.Contains(err.Error(), "process "+want) {
		t.Errorf("the message does not name process %s: %v", want, err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err = OpenRunDir(dir)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	d.Close()
}

// TestRunDirLockFreedBySIGKILL: a process holding a run directory refuses
// this one; once it is killed with SIGKILL (no chance to clean up), the
// directory opens.
func TestRunDirLockFreedBySIGKILL(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdLockEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("the holder said %q (%v)", line, err)
	}
	_, err = OpenRunDir(dir)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("process %d ", cmd.Process.Pid)) {
		t.Fatalf("open while held by process %d: %v", cmd.Process.Pid, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	d, err := OpenRunDir(dir)
	if err != nil {
		t.Fatalf("after SIGKILL of the holder: %v", err)
	}
	d.Close()
}

// TestRunDirCleansOnlyItsUnfinishedWrites: opening removes the temporary
// files of interrupted atomic writes of the run's own files, and nothing
// else.
func TestRunDirCleansOnlyItsUnfinishedWrites(t *testing.T) {
	dir := t.TempDir()
	files := map[string]bool{ // name → kept
		".ckpt-000010.safetensors.tmp-123": false,
		".best.safetensors.tmp-9":          false,
		".metrics.jsonl.tmp-4":             false,
		".notes.txt.tmp-5":                 true,
		"ckpt-000010.safetensors":          true,
		"notes.txt":                        true,
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := OpenRunDir(dir, "metrics.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for name, kept := range files {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != kept {
			t.Errorf("%s: kept %v, want %v", name, err == nil, kept)
		}
	}
}

// TestRunDirKeepsTheLastCheckpoints: with Keep 2, saving steps 1…5 leaves
// steps 4 and 5, which read back with their state and metadata.
func TestRunDirKeepsTheLastCheckpoints(t *testing.T) {
	d, err := OpenRunDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Keep = 2
	w := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 2}))
	for step := 1; step <= 5; step++ {
		ck := &Checkpoint{Params: map[string]*tensor.Dense{"w": w}, DropoutRNG: []byte{1},
			State: State{Step: step, TrainLoss: 1 / float64(step), ValLoss: math.NaN(), BestVal: 0.5}, Meta: map[string]string{"mine": "yes"}}
		if _, err := d.SaveStep(ck); err != nil {
			t.Fatal(err)
		}
	}
	steps, err := StepCheckpoints(d.Path)
	if err != nil || len(steps) != 2 || filepath.Base(steps[0]) != StepFile(4) || filepath.Base(steps[1]) != StepFile(5) {
		t.Fatalf("checkpoints left: %v (%v)", steps, err)
	}
	ck, err := ReadCheckpoint(steps[1])
	if err != nil {
		t.Fatal(err)
	}
	if ck.Step != 5 || ck.TrainLoss != 0.2 || !math.IsNaN(ck.ValLoss) || ck.BestVal != 0.5 || ck.Meta["mine"] != "yes" || len(ck.Meta) != 1 {
		t.Errorf("read back %+v, meta %v", ck.State, ck.Meta)
	}
	if err := WriteCheckpoint(filepath.Join(d.Path, "x.safetensors"), &Checkpoint{Meta: map[string]string{MetaStep: "1"}}); err == nil {
		t.Errorf("caller metadata may overwrite the checkpoint's own key %q", MetaStep)
	}
}
