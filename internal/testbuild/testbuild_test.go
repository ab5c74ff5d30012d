package testbuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildFollowsTheTestBinary builds a program with a data race: under
// go test -race its run reports the race, otherwise not; under go test
// -cover it writes coverage counters where it is told.
func TestBuildFollowsTheTestBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "racy")
	if err := Build(Spec{Dir: "testdata/racy", Output: bin}); err != nil {
		t.Fatal(err)
	}
	coverDir := filepath.Join(dir, "cover")
	if err := os.Mkdir(coverDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), Env(coverDir)...)
	out, _ := cmd.CombinedOutput() // the race detector's exit status is 66
	if RaceReport(string(out)) != raceEnabled {
		t.Errorf("race detector on: %v; the program's output:\n%s", raceEnabled, out)
	}
	if CoverDir() == "" {
		return
	}
	report, err := CoverPercent(coverDir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report, "testdata/racy") {
		t.Errorf("no coverage of the program: %q", report)
	}
}

func TestEnv(t *testing.T) {
	if env := Env(""); env != nil {
		t.Errorf("Env(\"\") = %q, want none", env)
	}
	if env := Env("/c"); len(env) != 1 || env[0] != "GOCOVERDIR=/c" {
		t.Errorf("Env(\"/c\") = %q", env)
	}
}
