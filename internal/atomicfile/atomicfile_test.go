package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFile(t *testing.T) {
	old := []byte("old contents\x00\xff")
	fail := errors.New("disk on fire")
	tests := []struct {
		name     string
		existing bool
		perm     fs.FileMode // of the existing file
		write    func(io.Writer) error
		panics   bool
		want     string // error substring; "" for success
		wantPerm fs.FileMode
	}{
		{name: "new file", write: writeString("fresh"), wantPerm: 0o644},
		{name: "replace", existing: true, perm: 0o600, write: writeString("fresh"), wantPerm: 0o600},
		{name: "fails midway", existing: true, perm: 0o644, want: "disk on fire", write: func(w io.Writer) error {
			if _, err := w.Write(make([]byte, 3<<20)); err != nil { // beyond the buffer: reaches the file
				return err
			}
			return fail
		}},
		{name: "fails on new file", want: "disk on fire", write: func(io.Writer) error { return fail }},
		{name: "panics", existing: true, perm: 0o644, panics: true, write: func(w io.Writer) error {
			io.WriteString(w, "partial")
			panic("boom")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ckpt.safetensors")
			if tc.existing {
				if err := os.WriteFile(path, old, tc.perm); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			func() {
				defer func() {
					if r := recover(); (r != nil) != tc.panics {
						t.Errorf("recovered %v, want a panic: %v", r, tc.panics)
					}
				}()
				err = WriteFile(path, tc.write)
			}()
			if tc.panics || tc.want != "" {
				if !tc.panics && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path)) {
					t.Errorf("err = %v, want it to contain %q and the path", err, tc.want)
				}
				got, readErr := os.ReadFile(path)
				switch {
				case tc.existing && (readErr != nil || string(got) != string(old)):
					t.Errorf("old file became %q (%v)", got, readErr)
				case !tc.existing && !os.IsNotExist(readErr):
					t.Errorf("a failed write created the file: %v", readErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				got, readErr := os.ReadFile(path)
				if readErr != nil || string(got) != "fresh" {
					t.Errorf("file holds %q (%v), want %q", got, readErr, "fresh")
				}
				if info, err := os.Stat(path); err != nil || info.Mode().Perm() != tc.wantPerm {
					t.Errorf("mode %v (%v), want %v", info.Mode().Perm(), err, tc.wantPerm)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Name() != "ckpt.safetensors" {
					t.Errorf("left behind %s", e.Name())
				}
			}
		})
	}
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func TestWriteFileMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "f")
	if err := WriteFile(path, writeString("x")); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want an error naming %s", err, path)
	}
}
