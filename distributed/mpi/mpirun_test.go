//go:build !mpi

package mpi_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/internal/prereq"
	"github.com/gorgonet/gorgonet/internal/testbuild"
)

// TestUnderMPIrun builds this package's tests with -tags mpi and runs them
// on 2 and 3 ranks under mpirun; it is skipped when mpirun is absent
// (fails in CI). Under
// go test -race the ranks run with the race detector; under go test -cover
// it prints the coverage of what the ranks ran, which go test's summary
// line then quotes (the package holds no code without the tag).
func TestUnderMPIrun(t *testing.T) {
	if _, err := exec.LookPath("mpirun"); err != nil {
		prereq.Missing(t, "mpirun not found: install openmpi-bin and libopenmpi-dev to test the MPI binding")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mpi.test")
	if err := testbuild.Build(testbuild.Spec{Dir: ".", Output: bin, Tags: "mpi", Test: true}); err != nil {
		t.Fatal(err)
	}
	args := []string{"-test.v", "-test.count=1"}
	coverDir := ""
	if testbuild.CoverDir() != "" {
		coverDir = filepath.Join(dir, "cover")
		if err := os.Mkdir(coverDir, 0o755); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-test.gocoverdir="+coverDir)
	}
	for _, np := range []string{"2", "3"} {
		cmd := exec.Command("mpirun", append([]string{"--allow-run-as-root", "--oversubscribe", "-np", np, bin}, args...)...)
		cmd.Env = append(cmd.Environ(), "OMPI_MCA_btl_vader_single_copy_mechanism=none", "GORGONET_ALLREDUCE_FLOATS=65536")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("mpirun -np %s: %v\n%s", np, err, out)
		}
		if testbuild.RaceReport(string(out)) {
			t.Fatalf("mpirun -np %s: the race detector found a data race:\n%s", np, out)
		}
		if !strings.Contains(string(out), "rank 1 of "+np) {
			t.Errorf("mpirun -np %s: no rank 1 of %s in the output:\n%s", np, np, out)
		}
		t.Logf("mpirun -np %s:\n%s", np, out)
	}
	if coverDir != "" {
		report, err := testbuild.CoverPercent(coverDir)
		if err != nil {
			t.Fatal(err)
		}
		// Printed, not logged: go test -cover quotes the first coverage
		// figure of a test binary's output in its summary line.
		fmt.Printf("the ranks under mpirun (-tags mpi): %s\n", strings.TrimSpace(report))
	}
}
