package sysmem

import (
	"os"
	"path/filepath"
	"testing"
)

func TestAvailable(t *testing.T) {
	dir := t.TempDir()
	meminfo := filepath.Join(dir, "meminfo")
	if err := os.WriteFile(meminfo, []byte("MemTotal:       24000000 kB\nMemAvailable:   20000000 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) string {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for file, content := range map[string]string{"memory.max": text, "memory.current": "1073741824\n"} {
			if err := os.WriteFile(filepath.Join(d, file), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	tests := []struct {
		name   string
		cgroup string
		want   int64
	}{
		{"no cgroup files", filepath.Join(dir, "none"), 20000000 << 10},
		{"cgroup without a limit", write("unlimited", "max\n"), 20000000 << 10},
		{"cgroup limit below the machine's", write("limited", "4294967296\n"), 3 << 30},
		{"cgroup limit above the machine's", write("high", "107374182400\n"), 20000000 << 10},
	}
	for _, tt := range tests {
		got, err := available(meminfo, tt.cgroup)
		if err != nil || got != tt.want {
			t.Errorf("%s: %d, %v; want %d", tt.name, got, err, tt.want)
		}
	}
	if _, err := available(filepath.Join(dir, "missing"), dir); err == nil {
		t.Error("missing meminfo: no error")
	}
	if got, err := Available(); err != nil || got <= 0 {
		t.Errorf("Available() on this machine = %d, %v", got, err)
	}
}
