package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorgonet/gorgonet/safetensors"
	"gorgonia.org/tensor"
)

// crashKillsEnv raises the number of kills of TestCrashSafety (default
// defaultCrashKills), for a longer run: GORGONET_CRASH_KILLS=200 go test
// ./cmd/trainer -run CrashSafety -timeout 30m.
const (
	crashKillsEnv     = "GORGONET_CRASH_KILLS"
	defaultCrashKills = 24
)

// crashSets is the tiny configuration of the crash tests: a checkpoint after
// every step (kept: the last 3) and a validation every 5 steps, so that a
// kill at a random moment often lands inside a checkpoint write; dropout
// on, so that the dropout RNG state must survive too.
func crashSets(data string, steps int) []string {
	sets := []string{"model.d_model=8", "model.heads=1", "model.layers=1", "model.context=8", "model.dropout=0.1",
		"train.batch_size=2", fmt.Sprintf("train.steps=%d", steps), "train.log_every=1", "train.eval_every=5",
		"train.eval_batches=1", "train.save_every=1", "train.keep=3", "sample.length=5", "data.path=" + data}
	var args []string
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	return args
}

// crashStats counts what the kill loop did.
type crashStats struct {
	kills, duringWrite, restarts, lost int
}

// TestCrashSafety starts `trainer train`, then `trainer resume` again and
// again, and kills each process with SIGKILL at a random moment: every other
// kill after a random number (0 to 7) of new checkpoints and a random delay
// (so also during start-up, steps and validations), the others just after a
// checkpoint write has begun (its temporary file appeared). Each process
// thus gets at most about ten steps further, whatever the machine's speed,
// and the run's train.steps always outlast the kills. After every kill the
// newest step checkpoint and best.safetensors must load, no checkpoint that
// existed at the previous kill may have changed, and the newest step may
// not go back. At the end the run is resumed to completion: its losses and its
// final checkpoint must equal an uninterrupted run's, bit for bit.
func TestCrashSafety(t *testing.T) {
	kills := defaultCrashKills
	if s := os.Getenv(crashKillsEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q is not a positive number", crashKillsEnv, s)
		}
		kills = n
	}
	steps := 60 + 12*kills
	dir := t.TempDir()
	data := writeFile(t, dir, "text.txt", corpus())
	whole := filepath.Join(dir, "whole")
	mustSucceed(t, dir, append([]string{"train", "--out", whole}, crashSets(data, steps)...)...)

	run := filepath.Join(dir, "crashed")
	rng := rand.New(rand.NewSource(int64(kills)))
	var st crashStats
	known := map[string][32]byte{} // checkpoint hashes seen at the previous kill
	newest := -1
	for st.kills < kills {
		args := []string{"resume", run}
		if newest < 0 {
			args = append([]string{"train", "--force", "--out", run}, crashSets(data, steps)...)
			st.restarts++
		}
		moment := killMoment{inWrite: st.kills%2 == 1, checkpoints: rng.Intn(8), delay: time.Duration(rng.Intn(20)) * time.Millisecond}
		if moment.checkpoints == 0 {
			moment.delay = time.Duration(rng.Intn(300)) * time.Millisecond
		}
		killed, inWrite := startAndKill(t, dir, run, args, moment)
		if !killed {
			t.Fatalf("the run finished before kill %d; train.steps %d should outlast the kills", st.kills+1, steps)
		}
		st.kills++
		if inWrite {
			st.duringWrite++
		}
		newest = checkAfterKill(t, run, known, newest, &st)
	}
	t.Logf("kills %d (%d left a checkpoint write unfinished), fresh starts %d (killed before the first checkpoint), checkpoints lost %d",
		st.kills, st.duringWrite, st.restarts-1, st.lost)
	if st.duringWrite == 0 {
		t.Errorf("no kill landed inside a checkpoint write")
	}

	mustSucceed(t, dir, "resume", run)
	got, want := trainLosses(t, run), trainLosses(t, whole)
	if len(got) != len(want) {
		t.Fatalf("%d metrics records after the crashes, %d uninterrupted", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("record %d differs after the crashes: %+v, uninterrupted %+v", i, got[i], want[i])
		}
	}
	last := stepCheckpointName(steps)
	sameTensors(t, filepath.Join(run, last), filepath.Join(whole, last))
	if tmp := tempFiles(t, run); len(tmp) > 0 {
		t.Errorf("temporary files of interrupted writes left behind after a resume: %v", tmp)
	}
}

// killMoment is when startAndKill kills: as soon as a checkpoint write has
// begun (inWrite), or once the given number of new step checkpoints is
// complete and then delay has passed.
type killMoment struct {
	inWrite     bool
	checkpoints int
	delay       time.Duration
}

// startAndKill starts the trainer with args and kills it with SIGKILL at
// moment. killed is false when the process ended by itself first;
// unfinished reports a new temporary file of a checkpoint left behind by
// the kill (a write cut short).
func startAndKill(t *testing.T, dir, run string, args []string, moment killMoment) (killed, unfinished bool) {
	t.Helper()
	old := map[string]bool{}
	entries, _ := os.ReadDir(run)
	for _, e := range entries {
		old[e.Name()] = true
	}
	// progress returns whether a checkpoint write has begun and the
	// number of step checkpoints completed since the start (some may have
	// been pruned since).
	completed := map[string]bool{}
	progress := func() (writing bool, done int) {
		entries, err := os.ReadDir(run)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := e.Name()
			switch {
			case old[name]:
			case strings.Contains(name, ".tmp-") && (strings.HasPrefix(name, ".ckpt-") || strings.HasPrefix(name, "."+bestFile)):
				writing = true
			case stepFile.MatchString(name):
				completed[name] = true
			}
		}
		return writing, len(completed)
	}
	cmd := trainerCommand(t, dir, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var deadline <-chan time.Time
	if !moment.inWrite && moment.checkpoints == 0 {
		deadline = time.After(moment.delay)
	}
	poll := time.NewTicker(500 * time.Microsecond)
	defer poll.Stop()
wait:
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("trainer %v failed before the kill: %v\n%s", args, err, out.String())
			}
			return false, false
		case <-deadline:
			break wait
		case <-poll.C:
			if deadline != nil {
				continue
			}
			writing, n := progress()
			if moment.inWrite && writing {
				break wait
			}
			if !moment.inWrite && n >= moment.checkpoints {
				deadline = time.After(moment.delay)
			}
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	err := <-done
	if err == nil {
		return false, false // it finished just before the kill
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
		t.Fatalf("trainer %v: %v\n%s", args, err, out.String())
	}
	writing, _ := progress()
	return true, writing
}

// checkAfterKill checks the run directory after a kill (see TestCrashSafety),
// records the checkpoints' hashes in known and returns the newest step
// (-1: no checkpoint yet). Each damaged, unloadable or vanished-too-early
// checkpoint counts as lost.
func checkAfterKill(t *testing.T, run string, known map[string][32]byte, prevNewest int, st *crashStats) int {
	t.Helper()
	lose := func(format string, args ...interface{}) {
		st.lost++
		t.Errorf("kill %d: "+format, append([]interface{}{st.kills}, args...)...)
	}
	if _, err := os.Stat(run); os.IsNotExist(err) {
		return -1 // killed before it created the run directory
	}
	ckpts, err := stepCheckpoints(run)
	if err != nil {
		t.Fatal(err)
	}
	now := map[string][32]byte{}
	for _, p := range append(ckpts, filepath.Join(run, bestFile)) {
		data, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		now[filepath.Base(p)] = sha256.Sum256(data)
	}
	for name, h := range known {
		if name == bestFile {
			continue // replaced (atomically) whenever validation improves
		}
		if got, ok := now[name]; ok && got != h {
			lose("%s changed after it was complete", name)
		}
	}
	newest := -1
	if len(ckpts) > 0 {
		p := ckpts[len(ckpts)-1]
		newest, _ = strconv.Atoi(stepFile.FindStringSubmatch(filepath.Base(p))[1])
		if newest < prevNewest {
			lose("the newest checkpoint went back from step %d to %d", prevNewest, newest)
		}
		if err := loads(p); err != nil {
			lose("the newest checkpoint does not load: %v", err)
		}
	} else if prevNewest >= 0 {
		lose("every checkpoint vanished (the newest was step %d)", prevNewest)
	}
	if _, ok := now[bestFile]; ok {
		if err := loads(filepath.Join(run, bestFile)); err != nil {
			lose("%s does not load: %v", bestFile, err)
		}
	}
	for name := range known {
		delete(known, name)
	}
	for name, h := range now {
		known[name] = h
	}
	return newest
}

// loads reads the checkpoint at path and loads it into its model.
func loads(path string) error {
	ck, err := readCheckpoint(path)
	if err != nil {
		return err
	}
	_, err = ck.loadNetwork()
	return err
}

// tempFiles lists the temporary files of unfinished atomic writes in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") && strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// sameTensors fails unless the safetensors files a and b hold the same
// tensors (parameters, optimizer moments, carried state), bit for bit, and
// the same dropout RNG and data position.
func sameTensors(t *testing.T, a, b string) {
	t.Helper()
	ta, ma, err := safetensors.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	tb, mb, err := safetensors.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ta) != len(tb) {
		t.Fatalf("%s holds %d tensors, %s %d", a, len(ta), b, len(tb))
	}
	for name, x := range ta {
		y, ok := tb[name]
		if !ok {
			t.Fatalf("%s lacks tensor %s", b, name)
		}
		if !x.Shape().Eq(y.Shape()) || !bytes.Equal(rawBytes(t, x), rawBytes(t, y)) {
			t.Errorf("tensor %s differs between %s and %s", name, a, b)
		}
	}
	for _, k := range []string{metaStep, metaDropoutRNG, metaBatcher, metaOptimizer, metaTrainLoss} {
		if ma[k] != mb[k] {
			t.Errorf("metadata %s differs: %q in %s, %q in %s", k, ma[k], a, mb[k], b)
		}
	}
}

// rawBytes returns the little-endian bytes of t's elements.
func rawBytes(t *testing.T, x *tensor.Dense) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := binary.Write(&buf, binary.LittleEndian, x.Data()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
