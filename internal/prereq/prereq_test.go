package prereq

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissing runs TestMissingHelper in a subprocess with and without CI:
// it must skip without CI and fail with it.
func TestMissing(t *testing.T) {
	for _, tc := range []struct {
		ci, want string
	}{
		{"", "--- SKIP: TestMissingHelper"},
		{"false", "--- SKIP: TestMissingHelper"},
		{"true", "--- FAIL: TestMissingHelper"},
		{"1", "--- FAIL: TestMissingHelper"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingHelper$", "-test.v")
		cmd.Env = append(os.Environ(), "PREREQ_HELPER=1", "CI="+tc.ci)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "the data is gone") {
			t.Errorf("CI=%q: want %q with the message, got:\n%s", tc.ci, tc.want, out)
		}
	}
}

// TestMissingHelper is the subprocess of TestMissing.
func TestMissingHelper(t *testing.T) {
	if os.Getenv("PREREQ_HELPER") != "1" {
		t.Skip("run by TestMissing")
	}
	Missing(t, "the data is %s", "gone")
	t.Error("Missing returned")
}
