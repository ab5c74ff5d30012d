package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMStopsQuickly sends SIGTERM while the trainer trains a BPE
// tokenizer (200,000 merges over 8.5 MB of random words take seconds) and while it generates its final sample (200,000 tokens): each
// time it must exit within 2 s with status 130, the second after the
// checkpoint of the finished run was written.
func TestSIGTERMStopsQuickly(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	var words []string
	for range 300000 {
		w := make([]byte, 3+r.IntN(10))
		for i := range w {
			w[i] = byte('a' + r.IntN(26))
		}
		words = append(words, string(w))
	}
	var text strings.Builder
	for range 1000000 {
		text.WriteString(words[r.IntN(len(words))])
		text.WriteByte(' ')
	}
	big := writeFile(t, dir, "big.txt", text.String())
	small := writeFile(t, dir, "text.txt", corpus())
	for _, c := range []struct {
		name, after string
		args        []string
	}{
		{"tokenizer training", "configuration:", []string{"--set", "data.path=" + big, "--set", "data.tokenizer=bpe", "--set", "data.bpe_merges=200000"}},
		{"final sample", "trained 1 steps", append(tinyLM(small, 1), "--set", "sample.length=200000")},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
			cmd := exec.Command(trainerBin(t), append([]string{"train", "--out", out}, c.args...)...)
			cmd.Dir = dir
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			sc := bufio.NewScanner(stdout)
			var log strings.Builder
			for sc.Scan() && !strings.HasPrefix(sc.Text(), c.after) {
				fmt.Fprintln(&log, sc.Text())
			}
			time.Sleep(500 * time.Millisecond) // well into the work
			sent := time.Now()
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			for sc.Scan() {
				fmt.Fprintln(&log, sc.Text())
			}
			err = cmd.Wait()
			took := time.Since(sent)
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != exitInterrupted {
				t.Errorf("exit %v, want status %d\n%s", err, exitInterrupted, log.String())
			}
			if took > 2*time.Second {
				t.Errorf("exited %v after SIGTERM, want within 2 s", took)
			}
			if c.name == "final sample" && !fileExists(filepath.Join(out, stepCheckpointName(1))) {
				t.Errorf("no checkpoint of the finished run")
			}
			if c.name == "tokenizer training" && strings.Contains(log.String(), "\ndata: ") {
				t.Errorf("the tokenizer was trained before the signal:\n%s", log.String())
			}
			t.Logf("exited %v after SIGTERM", took.Round(time.Millisecond))
		})
	}
}
