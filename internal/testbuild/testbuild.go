// Package testbuild builds the programs that tests run as subprocesses (a
// command under test, a test binary started by mpirun) instrumented as the
// calling test binary is: with the race detector under `go test -race`, and
// with coverage counters under `go test -cover`, written where the test's
// own counters go, so that both report what the subprocess really ran. It
// also reads every source file of the main module that goes into the
// build, so that go test's result cache keys on them: a file the test
// binary itself does not compile (one behind a build tag) still makes the
// next `go test` run the test again when it changes.
package testbuild

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/errors"
)

// Spec is what to build.
type Spec struct {
	Dir    string   // the package's directory
	Output string   // path of the binary
	Tags   string   // comma-separated build tags, or ""
	Test   bool     // the package's test binary (go test -c) rather than the command
	Cover  []string // import paths to count coverage of; the package itself when empty
}

// Build builds s; its error holds the go command's output. A build under go test -cover counts coverage of s.Cover in the
// test's counter mode (go test adds a subprocess's counters to its figure
// when the binary covers the same packages from the same files as the test
// binary); under -race the binary is built with -race.
func Build(s Spec) error {
	if err := readSources(s); err != nil {
		return err
	}
	args := []string{"build"}
	if s.Test {
		args = []string{"test", "-c"}
	}
	args = append(args, "-o", s.Output)
	if s.Tags != "" {
		args = append(args, "-tags", s.Tags)
	}
	if raceEnabled {
		args = append(args, "-race")
	}
	if mode := testing.CoverMode(); mode != "" {
		cover := s.Cover
		if len(cover) == 0 {
			cover = []string{"."}
		}
		args = append(args, "-cover", "-covermode="+mode, "-coverpkg="+strings.Join(cover, ","))
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = s.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return errors.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Race reports whether this test binary runs under the race detector (and
// so builds its subprocesses with it: they run several times slower).
func Race() bool { return raceEnabled }

// CoverDir returns the directory where this test binary writes its
// coverage data (go test's -test.gocoverdir), or "" when coverage is off.
func CoverDir() string {
	if testing.CoverMode() == "" {
		return ""
	}
	if f := flag.Lookup("test.gocoverdir"); f != nil {
		return f.Value.String()
	}
	return ""
}

// Env returns the environment entry that makes a command built by Build
// write its coverage counters into dir (none when dir is "").
func Env(dir string) []string {
	if dir == "" {
		return nil
	}
	return []string{"GOCOVERDIR=" + dir}
}

// CoverPercent returns `go tool covdata percent` of the coverage data in
// dir: one line per covered package.
func CoverPercent(dir string) (string, error) {
	out, err := exec.Command("go", "tool", "covdata", "percent", "-i", dir).CombinedOutput()
	if err != nil {
		return "", errors.Errorf("go tool covdata percent -i %s: %v\n%s", dir, err, out)
	}
	return strings.TrimRight(string(out), "\n"), nil
}

// RaceReport reports whether a subprocess's output holds a report of the
// race detector.
func RaceReport(output string) bool {
	return strings.Contains(output, "WARNING: DATA RACE")
}

// listedPackage is the part of `go list -json` that names source files.
type listedPackage struct {
	Dir                                                    string
	Module                                                 *struct{ Main bool }
	GoFiles, CgoFiles, CFiles, HFiles, SFiles, TestGoFiles []string
	XTestGoFiles                                           []string
}

// readSources reads every source file of the main module that the build of
// s compiles, so that the calling test's cached result is keyed on them.
func readSources(s Spec) error {
	args := []string{"list", "-deps", "-json"}
	if s.Test {
		args = append(args, "-test")
	}
	if s.Tags != "" {
		args = append(args, "-tags", s.Tags)
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = s.Dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return errors.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			return errors.Wrap(err, "reading go list -json")
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		for _, list := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.HFiles, p.SFiles, p.TestGoFiles, p.XTestGoFiles} {
			for _, name := range list {
				if filepath.IsAbs(name) {
					continue // generated (the test main), not a source file
				}
				if _, err := os.ReadFile(filepath.Join(p.Dir, name)); err != nil {
					return errors.Wrap(err, "reading the sources")
				}
			}
		}
	}
	return nil
}
