//go:build !mpi

package mpi_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnderMPIrun builds this package's tests with -tags mpi and runs them
// on 2 and 3 ranks under mpirun; it is skipped when mpirun is absent.
func TestUnderMPIrun(t *testing.T) {
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Skip("mpirun not found: install openmpi-bin and libopenmpi-dev to test the MPI binding")
	}
	bin := filepath.Join(t.TempDir(), "mpi.test")
	if out, err := exec.Command("go", "test", "-tags", "mpi", "-c", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go test -tags mpi -c: %v\n%s", err, out)
	}
	for _, np := range []string{"2", "3"} {
		cmd := exec.Command("mpirun", "--allow-run-as-root", "--oversubscribe", "-np", np, bin, "-test.v", "-test.count=1")
		cmd.Env = append(cmd.Environ(), "OMPI_MCA_btl_vader_single_copy_mechanism=none", "GORGONET_ALLREDUCE_FLOATS=65536")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("mpirun -np %s: %v\n%s", np, err, out)
		}
		if !strings.Contains(string(out), "rank 1 of "+np) {
			t.Errorf("mpirun -np %s: no rank 1 of %s in the output:\n%s", np, np, out)
		}
		t.Logf("mpirun -np %s:\n%s", np, out)
	}
}
