package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/gorgonet/gorgonet/internal/testbuild"
	"github.com/gorgonet/gorgonet/train"
)

// The trainer binary for the end-to-end tests is built once, on first use,
// so that fuzz workers of this package (which never run it) start fast.
var (
	buildOnce  sync.Once
	binDir     string
	builtBin   string
	buildError error
)

// trainerBin returns the path of the trainer binary, building it on the
// first call.
func trainerBin(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		if binDir, buildError = os.MkdirTemp("", "trainer-e2e"); buildError != nil {
			return
		}
		builtBin = filepath.Join(binDir, "trainer")
		buildError = testbuild.Build(testbuild.Spec{Dir: ".", Output: builtBin})
	})
	if buildError != nil {
		tb.Fatal(buildError)
	}
	return builtBin
}

// trainerCommand returns the command running the trainer binary with args
// in dir; built for coverage, it adds its counters to this test's.
func trainerCommand(tb testing.TB, dir string, args ...string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(trainerBin(tb), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), testbuild.Env(testbuild.CoverDir())...)
	return cmd
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	mpiCoverReport()
	os.Exit(code)
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

// trainer runs the binary in dir with args (and stdin, when not empty).
func trainer(t *testing.T, dir string, stdin string, args ...string) result {
	t.Helper()
	cmd := trainerCommand(t, dir, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running trainer %v: %v", args, err)
	}
	res := result{out.String(), errb.String(), code}
	if strings.Contains(res.stderr, "panic") || strings.Contains(res.stdout, "goroutine ") {
		t.Fatalf("trainer %v panicked:\n%s\n%s", args, res.stdout, res.stderr)
	}
	if testbuild.RaceReport(res.stderr) {
		t.Fatalf("trainer %v: the race detector found a data race:\n%s", args, res.stderr)
	}
	return res
}

// mustSucceed runs the binary and fails the test unless it exits with 0.
func mustSucceed(t *testing.T, dir string, args ...string) result {
	t.Helper()
	res := trainer(t, dir, "", args...)
	if res.code != 0 {
		t.Fatalf("trainer %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, res.code, res.stdout, res.stderr)
	}
	return res
}

// corpus is a small text with enough structure to learn from quickly.
func corpus() string {
	var b strings.Builder
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "the ray of light %d is refracted by the prism and the colours part.\n", i%7)
	}
	return b.String()
}

// writeFile writes content to dir/name and returns the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tinyLM returns --set flags for a tiny character-level Transformer LM on
// the file at data.
func tinyLM(data string, steps int, extra ...string) []string {
	sets := []string{"model.d_model=16", "model.heads=2", "model.layers=1", "model.context=16",
		"train.batch_size=4", fmt.Sprintf("train.steps=%d", steps), "train.eval_every=10", "train.eval_batches=2",
		"train.save_every=10", "sample.length=20", "data.path=" + data}
	sets = append(sets, extra...)
	var args []string
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	return args
}

// trainLosses reads the training-loss records of a run's metrics.
func trainLosses(t *testing.T, dir string) []train.Record {
	t.Helper()
	records, err := train.ReadMetricsFile(filepath.Join(dir, metricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []train.Record
	for _, r := range records {
		out = append(out, train.Record{Step: r.Step, Split: r.Split, Loss: r.Loss, LR: r.LR})
	}
	return out
}

func TestTrainCheckpointSampleInspectEval(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "text.txt", corpus())
	run := filepath.Join(dir, "run")
	res := mustSucceed(t, dir, append([]string{"train", "--out", run}, tinyLM(data, 20)...)...)
	for _, want := range []string{`"d_model": 16`, "step 20/20", "validation loss", "sample (temperature"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("train output lacks %q:\n%s", want, res.stdout)
		}
	}
	for _, f := range []string{"ckpt-000010.safetensors", "ckpt-000020.safetensors", bestFile, metricsFile, plotFile, configFile, tokenizerFile} {
		if !fileExists(filepath.Join(run, f)) {
			t.Errorf("run directory lacks %s", f)
		}
	}
	if losses := trainLosses(t, run); len(losses) < 3 || losses[len(losses)-1].Step != 20 {
		t.Errorf("metrics: %+v", losses)
	}

	res = mustSucceed(t, dir, "sample", run, "--prompt", "the ray", "--length", "30", "--seed", "3")
	if !strings.HasPrefix(res.stdout, "the ray") || len([]rune(strings.TrimSpace(res.stdout))) < 20 {
		t.Errorf("sample output %q", res.stdout)
	}
	again := mustSucceed(t, dir, "sample", run, "--prompt", "the ray", "--length", "30", "--seed", "3")
	if again.stdout != res.stdout {
		t.Errorf("same seed, different samples:\n%q\n%q", res.stdout, again.stdout)
	}
	long := mustSucceed(t, dir, "sample", filepath.Join(run, "ckpt-000020.safetensors"), "--length", "40", "--temperature", "0")
	if n := len([]rune(long.stdout)); n < 40 {
		t.Errorf("sample past the context of 16 gave %d runes: %q", n, long.stdout)
	}

	res = mustSucceed(t, dir, "inspect", run)
	for _, want := range []string{"step       20 of 20", "tok_emb.weight", "blocks.0.attn.q.weight", "adamw", "validation loss"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, res.stdout)
		}
	}

	res = mustSucceed(t, dir, "eval", run)
	if !strings.Contains(res.stdout, "validation split") || !strings.Contains(res.stdout, "perplexity") {
		t.Errorf("eval output %q", res.stdout)
	}
	other := writeFile(t, dir, "other.txt", "the prism parts the light.\n")
	res = mustSucceed(t, dir, "eval", filepath.Join(run, "ckpt-000020.safetensors"), "--data", other)
	if !strings.Contains(res.stdout, "other.txt") || !strings.Contains(res.stdout, "26 tokens") {
		t.Errorf("eval --data output %q", res.stdout)
	}

	res = mustSucceed(t, dir, "resume", run)
	if !strings.Contains(res.stdout, "nothing to do") {
		t.Errorf("resuming a finished run: %q", res.stdout)
	}
	res = mustSucceed(t, dir, "train", "--resume", "--out", run, "--set", "train.steps=25")
	if !strings.Contains(res.stdout, "resuming") || !fileExists(filepath.Join(run, "ckpt-000025.safetensors")) {
		t.Errorf("train --resume to 25 steps:\n%s", res.stdout)
	}

	heat := filepath.Join(dir, "attn.png")
	mustSucceed(t, dir, "inspect", run, "--attention", heat, "--input", "the ray", "--head", "-1")
	f, err := os.Open(heat)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("attention heat map: %v", err)
	}
}

// interruptAfter starts the binary and sends sig once it has logged step
// `after`, then waits for it to exit and returns the exit code.
func interruptAfter(t *testing.T, dir string, sig syscall.Signal, after int, args ...string) int {
	t.Helper()
	cmd := trainerCommand(t, dir, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	sent := false
	var log strings.Builder
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if !sent && strings.HasPrefix(sc.Text(), fmt.Sprintf("step %d/", after)) {
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			sent = true
		}
	}
	err = cmd.Wait()
	if !sent {
		t.Fatalf("the run ended before step %d:\n%s\n%s", after, log.String(), errb.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ee.ExitCode() == -1 {
			return -1 // killed
		}
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// TestResumeIsExact interrupts runs of each model kind (with dropout, so the
// dropout RNG matters) by SIGINT, which saves a checkpoint, and by SIGKILL,
// which loses the steps after the last periodic checkpoint, resumes them,
// and checks that the losses equal those of an uninterrupted run, bit for bit.
func TestResumeIsExact(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "text.txt", corpus())
	const steps = 60
	kinds := []struct {
		name string
		sets []string
	}{
		{"transformer_lm", []string{"model.dropout=0.1"}},
		{"rnn_lm", []string{"model.kind=rnn_lm", "model.cell=lstm", "model.dropout=0.1", "model.layers=2"}},
		{"transformer_seq2seq", []string{"model.kind=transformer_seq2seq", "data.path=", "data.task=reverse",
			"data.task_pairs=200", "model.context=8", "model.dropout=0.1"}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			sets := tinyLM(data, steps, append(k.sets, "train.log_every=1", "train.save_every=7", "train.keep=3")...)
			whole := filepath.Join(dir, k.name+"-whole")
			mustSucceed(t, dir, append([]string{"train", "--out", whole}, sets...)...)
			want := trainLosses(t, whole)
			if len(want) < steps {
				t.Fatalf("uninterrupted run logged %d records", len(want))
			}
			for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
				cut := filepath.Join(dir, fmt.Sprintf("%s-%v", k.name, sig))
				code := interruptAfter(t, dir, sig, 10, append([]string{"train", "--out", cut}, sets...)...)
				if sig == syscall.SIGINT && code != exitInterrupted {
					t.Fatalf("SIGINT: exit code %d, want %d", code, exitInterrupted)
				}
				ckpts, err := stepCheckpoints(cut)
				if err != nil || len(ckpts) == 0 {
					t.Fatalf("%v: no checkpoint after the interruption (%v)", sig, err)
				}
				if before := trainLosses(t, cut); len(before) >= len(want) {
					t.Fatalf("%v: the interrupted run logged %d records, as many as the whole run", sig, len(before))
				}
				mustSucceed(t, dir, "resume", cut)
				got := trainLosses(t, cut)
				if len(got) != len(want) {
					t.Fatalf("%v: %d records after resuming, %d uninterrupted", sig, len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%v: record %d differs: resumed %+v, uninterrupted %+v", sig, i, got[i], want[i])
					}
				}
			}
		})
	}
}

func TestDefaultCommandPicksAFreshRunDir(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "text.txt", corpus())
	args := tinyLM(data, 3)
	mustSucceed(t, dir, args...) // no command: train
	res := mustSucceed(t, dir, args...)
	if !strings.Contains(res.stdout, "run directory: runs/default-2") {
		t.Errorf("second default run did not go to runs/default-2:\n%s", res.stdout)
	}
	for _, d := range []string{"runs/default", "runs/default-2"} {
		if !fileExists(filepath.Join(dir, d, "ckpt-000003.safetensors")) {
			t.Errorf("%s has no checkpoint", d)
		}
	}
	// --force reuses runs/default, replacing the trainer's files only.
	keep := writeFile(t, filepath.Join(dir, "runs/default"), "notes.txt", "mine")
	mustSucceed(t, dir, append([]string{"train", "--force"}, tinyLM(data, 2)...)...)
	steps, err := stepCheckpoints(filepath.Join(dir, "runs/default"))
	if err != nil || len(steps) != 1 || filepath.Base(steps[0]) != "ckpt-000002.safetensors" || !fileExists(keep) {
		t.Errorf("after --force: checkpoints %v (%v), notes kept %v", steps, err, fileExists(keep))
	}
}

func TestSeq2SeqTrainTranslate(t *testing.T) {
	dir := t.TempDir()
	pairs := writeFile(t, dir, "pairs.tsv", strings.Repeat("abc\tcba\nabd\tdba\nbcd\tdcb\ncab\tbac\n", 10))
	for _, kind := range []string{"transformer_seq2seq", "rnn_seq2seq"} {
		t.Run(kind, func(t *testing.T) {
			run := filepath.Join(dir, kind)
			mustSucceed(t, dir, append([]string{"train", "--out", run},
				tinyLM(pairs, 20, "model.kind="+kind, "model.context=6", "data.val_fraction=0.25")...)...)
			res := trainer(t, dir, "abc\nbcd\n", "translate", run)
			if res.code != 0 || len(strings.Split(strings.TrimSpace(res.stdout), "\n")) != 2 {
				t.Errorf("translate: exit %d, output %q, errors %q", res.code, res.stdout, res.stderr)
			}
			res = mustSucceed(t, dir, "eval", run)
			if !strings.Contains(res.stdout, "perplexity") {
				t.Errorf("eval: %q", res.stdout)
			}
		})
	}
	res := trainer(t, dir, "abc\n", "translate", filepath.Join(dir, "transformer_seq2seq"), "--beam", "3")
	if res.code != 0 || strings.Count(res.stdout, "\n") != 1 {
		t.Errorf("beam translate: exit %d, %q %q", res.code, res.stdout, res.stderr)
	}
}

func TestRNNLanguageModel(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "text.txt", corpus())
	run := filepath.Join(dir, "gru")
	res := mustSucceed(t, dir, append([]string{"train", "--out", run}, tinyLM(data, 15, "model.kind=rnn_lm", "model.cell=gru")...)...)
	if !strings.Contains(res.stdout, "sample (") {
		t.Errorf("no sample:\n%s", res.stdout)
	}
	res = mustSucceed(t, dir, "sample", run, "--prompt", "the", "--length", "25", "--top-k", "5")
	if !strings.HasPrefix(res.stdout, "the") {
		t.Errorf("sample %q", res.stdout)
	}
}

func TestHelp(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"--help"}, {"help"}, {"help", "train"}, {"sample", "-h"}, {"resume", "--help"},
		{"eval", "-h"}, {"translate", "-h"}, {"inspect", "-h"}} {
		res := trainer(t, dir, "", args...)
		if res.code != 0 || strings.Count(res.stdout, "Usage") != 1 || !strings.Contains(res.stdout, "trainer") {
			t.Errorf("%v: exit %d, output %q", args, res.code, res.stdout)
		}
		if len(args) > 1 || args[0] != "help" && args[0] != "--help" {
			if !strings.Contains(res.stdout, "Examples") {
				t.Errorf("%v: no examples", args)
			}
		}
	}
}

// hashFiles returns a digest of every file under dir but its lock file.
func hashFiles(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == train.LockFile {
			continue // names the last process that held the directory
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = sha256.Sum256(data)
	}
	return out
}
