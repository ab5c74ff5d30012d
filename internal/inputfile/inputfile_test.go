package inputfile

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fixture builds the files of the tests in a temporary folder and returns
// its path.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("small.txt", "hello\n")
	f, err := os.Create(filepath.Join(dir, "sparse.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(4 << 30); err != nil { // 4 GiB apparent, no blocks
		t.Fatal(err)
	}
	f.Close()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "folder"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"link.txt": "small.txt", "dangling": "missing.txt", "linkdir": "folder"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestReadFile(t *testing.T) {
	dir := fixture(t)
	tests := []struct {
		name    string
		path    string
		limit   int64
		want    string // the content, when no error is expected
		wantErr func(error) bool
	}{
		{"regular file", filepath.Join(dir, "small.txt"), 0, "hello\n", nil},
		{"regular file within the limit", filepath.Join(dir, "small.txt"), 6, "hello\n", nil},
		{"symbolic link to a file is followed", filepath.Join(dir, "link.txt"), 0, "hello\n", nil},
		{"file over the limit", filepath.Join(dir, "small.txt"), 5, "", isTooLarge(6, 5)},
		{"sparse 4 GiB file over the limit", filepath.Join(dir, "sparse.txt"), 1 << 30, "", isTooLarge(4<<30, 1<<30)},
		{"character device", "/dev/zero", 0, "", isNotRegular("a character device")},
		{"FIFO", filepath.Join(dir, "fifo"), 0, "", isNotRegular("a FIFO (named pipe)")},
		{"folder", filepath.Join(dir, "folder"), 0, "", isNotRegular("a folder")},
		{"symbolic link to a folder", filepath.Join(dir, "linkdir"), 0, "", isNotRegular("a folder")},
		{"dangling symbolic link", filepath.Join(dir, "dangling"), 0, "", func(err error) bool { return errors.Is(err, fs.ErrNotExist) }},
		{"missing file", filepath.Join(dir, "none"), 0, "", func(err error) bool { return errors.Is(err, fs.ErrNotExist) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var got []byte
			var err error
			go func() { // a FIFO or device must not block the read
				defer close(done)
				got, err = ReadFile(context.Background(), tt.path, tt.limit)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("ReadFile(%s) still blocked after 5 s", tt.path)
			}
			if tt.wantErr == nil {
				if err != nil || string(got) != tt.want {
					t.Fatalf("ReadFile = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !tt.wantErr(err) {
				t.Fatalf("ReadFile error = %v; not the expected kind", err)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name the path %s", err, tt.path)
			}
		})
	}
}

func isTooLarge(size, limit int64) func(error) bool {
	return func(err error) bool {
		var e *TooLargeError
		return errors.As(err, &e) && e.Size == size && e.Limit == limit
	}
}

func isNotRegular(kind string) func(error) bool {
	return func(err error) bool {
		var e *NotRegularError
		return errors.As(err, &e) && e.Kind == kind
	}
}

func TestReadStopsAtTheLimitWhenTheFileGrows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "growing.txt")
	if err := os.WriteFile(path, []byte("1234"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(context.Background(), path, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.WriteFile(path, []byte("123456789"), 0o644); err != nil { // grows after the check
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	var tooLarge *TooLargeError
	if !errors.As(err, &tooLarge) || string(got) != "1234" {
		t.Fatalf("ReadAll = %q, %v; want the first 4 bytes and a *TooLargeError", got, err)
	}
}

func TestReadIsCancelledByTheContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "text.txt")
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 1<<16)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f, err := Open(ctx, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1024)
	if _, err := f.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := f.Read(buf); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read after cancel: %v, want context.Canceled", err)
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 1023: "1023 bytes", 1024: "1.0 KiB", 3 << 20: "3.0 MiB", 4 << 30: "4.0 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
