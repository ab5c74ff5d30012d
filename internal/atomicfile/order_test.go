package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// recordingFS is the operating system's file system with a log of the
// operations that matter for durability, and an operation made to fail.
type recordingFS struct {
	osFS
	log    []string
	failOp string // "sync", "rename" or "syncdir": that operation fails
}

var errInjected = errors.New("injected failure")

func (r *recordingFS) do(op string, f func() error) error {
	r.log = append(r.log, op)
	if op == r.failOp {
		return errInjected
	}
	return f()
}

func (r *recordingFS) CreateTemp(dir, pattern string) (file, error) {
	f, err := r.osFS.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &recordingFile{file: f, fs: r}, nil
}

func (r *recordingFS) Rename(from, to string) error {
	return r.do("rename", func() error { return r.osFS.Rename(from, to) })
}

func (r *recordingFS) SyncDir(dir string) error {
	return r.do("syncdir", func() error { return r.osFS.SyncDir(dir) })
}

type recordingFile struct {
	file
	fs *recordingFS
}

func (f *recordingFile) Write(p []byte) (int, error) {
	// Consecutive writes are one step of the order.
	if n := len(f.fs.log); n == 0 || f.fs.log[n-1] != "write" {
		f.fs.log = append(f.fs.log, "write")
	}
	return f.file.Write(p)
}

func (f *recordingFile) Sync() error {
	return f.fs.do("sync", f.file.Sync)
}

// TestWriteFileOrder requires the order that makes a replacement durable:
// the data is written, synced to disk, renamed over the old file, and then
// the directory holding the rename is synced. A crash test cannot show a
// missing sync (killing the process keeps the page cache); this log can.
// When the sync or the rename fails, the old file stays and the temporary
// file is removed; a failed directory sync is reported.
func TestWriteFileOrder(t *testing.T) {
	tests := []struct {
		failOp  string
		wantLog []string
		replace bool // whether path holds the new contents afterwards
	}{
		{"", []string{"write", "sync", "rename", "syncdir"}, true},
		{"sync", []string{"write", "sync"}, false},
		{"rename", []string{"write", "sync", "rename"}, false},
		{"syncdir", []string{"write", "sync", "rename", "syncdir"}, true},
	}
	for _, tc := range tests {
		name := "fail " + tc.failOp
		if tc.failOp == "" {
			name = "success"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ckpt")
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			rec := &recordingFS{failOp: tc.failOp}
			err := writeFile(rec, path, writeString("new"))
			if !reflect.DeepEqual(rec.log, tc.wantLog) {
				t.Errorf("operations %v, want %v", rec.log, tc.wantLog)
			}
			switch {
			case tc.failOp == "" && err != nil:
				t.Fatal(err)
			case tc.failOp != "" && (!errors.Is(err, errInjected) || !strings.Contains(err.Error(), path)):
				t.Errorf("err = %v, want the injected failure naming %s", err, path)
			}
			want := map[bool]string{true: "new", false: "old"}[tc.replace]
			if got, err := os.ReadFile(path); err != nil || string(got) != want {
				t.Errorf("file holds %q (%v), want %q", got, err, want)
			}
			entries, err := fs.Glob(os.DirFS(dir), ".ckpt.tmp-*")
			if err != nil || len(entries) > 0 {
				t.Errorf("temporary files left behind: %v (%v)", entries, err)
			}
		})
	}
}
