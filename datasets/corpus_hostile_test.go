package datasets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorgonet/gorgonet/internal/inputfile"
)

// TestOpenCorpusHostilePaths opens paths a careless or hostile user could
// pass as a corpus: each is refused at once with an error naming the problem
// and the path, or (for links) followed like the file or folder it names.
func TestOpenCorpusHostilePaths(t *testing.T) {
	dir := t.TempDir()
	text := writeFile(t, dir, "books/a.txt", "first\n")
	writeFile(t, dir, "books/b.txt", "second\n")
	if err := os.Symlink(filepath.Join(dir, "books"), filepath.Join(dir, "linked-books")); err != nil {
		t.Fatal(err)
	}
	withLink := filepath.Join(dir, "with-link")
	writeFile(t, withLink, "a.txt", "own\n")
	if err := os.Symlink(text, filepath.Join(withLink, "b.txt")); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	writeFile(t, dangling, "a.txt", "own\n")
	if err := os.Symlink(filepath.Join(dir, "missing.txt"), filepath.Join(dangling, "b.txt")); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(dir, "loop")
	writeFile(t, loop, "a.txt", "own\n")
	if err := os.Symlink(loop, filepath.Join(loop, "again")); err != nil {
		t.Fatal(err)
	}
	withFIFO := filepath.Join(dir, "with-fifo")
	writeFile(t, withFIFO, "a.txt", "own\n")
	if err := syscall.Mkfifo(filepath.Join(withFIFO, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		path      string
		wantText  string // when no error is wanted
		wantError string
	}{
		{"symbolic link to a folder", filepath.Join(dir, "linked-books"), "first\nsecond\n", ""},
		{"folder with a linked file", withLink, "own\nfirst\n", ""},
		{"folder with a dangling link", dangling, "", "no such file or directory"},
		{"folder with a link loop", loop, "", "reached twice"},
		{"folder with a FIFO", withFIFO, "", "is a FIFO (named pipe), not a regular file"},
		{"FIFO", fifo, "", "is a FIFO (named pipe), not a regular file"},
		{"character device", "/dev/zero", "", "/dev/zero is a character device, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var text string
			err := withinSeconds(t, 5, func() error {
				c, err := OpenCorpus(tt.path)
				if err == nil {
					text, err = c.Text(0)
				}
				return err
			})
			if tt.wantError == "" {
				if err != nil || text != tt.wantText {
					t.Fatalf("got %q, %v; want %q", text, err, tt.wantText)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantError) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantError)
			}
		})
	}
}

// withinSeconds runs f, failing the test if it has not returned after n
// seconds (a reader blocked on a FIFO or a device).
func withinSeconds(t *testing.T, n int, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Duration(n) * time.Second):
		t.Fatalf("still running after %d s", n)
		return nil
	}
}

// TestCorpusTooLarge checks that a corpus larger than MaxBytes is refused
// before it is read, with a typed error, and that a sparse file of zeros is
// refused as binary at its first block without reserving its size.
func TestCorpusTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparse.txt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(4 << 30); err != nil { // 4 GiB that occupy no disk
		t.Fatal(err)
	}
	f.Close()
	c, err := OpenCorpus(path)
	if err != nil {
		t.Fatal(err)
	}
	var tooLarge *inputfile.TooLargeError
	if _, err := c.Text(0); !errors.As(err, &tooLarge) || tooLarge.Size != 4<<30 || tooLarge.Limit != DefaultMaxCorpusBytes {
		t.Errorf("Text of a 4 GiB corpus: %v, want a *inputfile.TooLargeError for 4 GiB over %d", err, DefaultMaxCorpusBytes)
	}
	if err := c.EncodeTo(NewCharTokenizer("a"), func([]int) error { return nil }); !errors.As(err, &tooLarge) {
		t.Errorf("EncodeTo of a 4 GiB corpus: %v, want a *inputfile.TooLargeError", err)
	}
	c.MaxBytes = 0 // no limit: the zeros are read, and refused as binary at once
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = c.Text(0)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "looks like a binary file (NUL byte at offset 0)") {
		t.Errorf("Text of 4 GiB of zeros: %v, want a binary-file error", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("Text of 4 GiB of zeros allocated %d bytes before failing; want a few blocks", got)
	}
}

// TestCorpusByteOrderMark checks that a leading UTF-8 byte-order mark is not
// read as text (it would become a vocabulary symbol).
func TestCorpusByteOrderMark(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", "\uFEFFab\n")
	writeFile(t, dir, "b.txt", "\uFEFFcd \uFEFF\n") // a mark inside the text is text
	c, err := OpenCorpus(dir)
	if err != nil {
		t.Fatal(err)
	}
	text, err := c.Text(0)
	if want := "ab\ncd \uFEFF\n"; err != nil || text != want {
		t.Errorf("Text = %q, %v; want %q", text, err, want)
	}
	tok := NewCharTokenizer(text)
	for _, block := range []int{1, 4, 1 << 20} {
		withBlock(t, block)
		ids, err := c.Encode(tok)
		got, derr := tok.Decode(ids)
		if err != nil || derr != nil || got != text {
			t.Errorf("block %d: Encode decodes to %q, %v; want %q", block, got, err, text)
		}
	}
}

// TestCorpusNULByte checks that a NUL byte is an error naming its offset.
func TestCorpusNULByte(t *testing.T) {
	path := writeFile(t, t.TempDir(), "zeros.bin", "abc\x00\x00\x01")
	c, err := OpenCorpus(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "zeros.bin: looks like a binary file (NUL byte at offset 3)"
	if _, err := c.Text(0); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Text: %v, want %q", err, want)
	}
	if _, err := c.Encode(NewCharTokenizer("abc")); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Encode: %v, want %q", err, want)
	}
}

// TestCorpusContext checks that reading stops once the context is done.
func TestCorpusContext(t *testing.T) {
	path := writeFile(t, t.TempDir(), "text.txt", strings.Repeat("some text\n", 1000))
	c, err := OpenCorpus(path)
	if err != nil {
		t.Fatal(err)
	}
	withBlock(t, 64)
	ctx, cancel := context.WithCancel(context.Background())
	blocks := 0
	err = c.WithContext(ctx).EncodeTo(NewCharTokenizer("some text\n"), func([]int) error {
		if blocks++; blocks == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || blocks != 3 {
		t.Errorf("EncodeTo cancelled after 3 blocks: %v after %d blocks, want context.Canceled after 3", err, blocks)
	}
	if _, err := c.Text(0); err != nil { // the original corpus is not cancelled
		t.Errorf("Text of the corpus without the context: %v", err)
	}
}
