// Package inputfile is the one way gorgonet opens a file it reads: the
// corpora, pair files, word vectors and tokenizers of package datasets and
// the trainer's configuration files and checkpoints.
//
// Open follows symbolic links, accepts regular files only (a folder, a
// device such as /dev/zero, a FIFO or a socket is refused without blocking
// on it), refuses a file larger than the caller's limit before reading a
// byte of it, and returns a reader that stops at the limit even if the file
// grows and that returns the context's error once the context is done.
// Errors are typed (*NotRegularError, *TooLargeError) so callers can tell
// them apart, and they name the file.
package inputfile

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/pkg/errors"
)

// NotRegularError reports a path that names something other than a regular
// file (after following symbolic links).
type NotRegularError struct {
	Path string
	Kind string // "a folder", "a character device", "a FIFO", …
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, e.Kind)
}

// TooLargeError reports a file larger than the limit its reader accepts.
type TooLargeError struct {
	Path  string
	Size  int64 // bytes the file holds (at least; it may be growing)
	Limit int64 // bytes the reader accepts
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s holds %s, more than the limit of %s", e.Path, Bytes(e.Size), Bytes(e.Limit))
}

// Bytes formats a byte count for a message: "512 bytes", "3.2 MiB".
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// kind names the type of a non-regular file mode for NotRegularError.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a plain file"
}

// Stat returns the file information of path after following symbolic links,
// or a *NotRegularError when it is not a regular file.
func Stat(path string) (fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &NotRegularError{Path: path, Kind: kind(fi.Mode())}
	}
	return fi, nil
}

// File is an open input file (see Open).
type File struct {
	f    *os.File
	ctx  context.Context
	name string
	size int64
	left int64 // bytes Read may still return before the limit is passed
	lim  int64
}

// Open opens the regular file at path for reading at most limit bytes
// (limit ≤ 0: no limit). A file larger than limit is a *TooLargeError, one
// that is not regular a *NotRegularError; reads return ctx.Err() once ctx is
// done. The file is opened non-blocking, so a FIFO or a device that slipped
// in between the check and the open is refused rather than waited on.
func Open(ctx context.Context, path string, limit int64) (*File, error) {
	if _, err := Stat(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &NotRegularError{Path: path, Kind: kind(fi.Mode())}
	}
	if err == nil && limit > 0 && fi.Size() > limit {
		err = &TooLargeError{Path: path, Size: fi.Size(), Limit: limit}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	left := limit
	if limit <= 0 {
		left = -1
	}
	return &File{f: f, ctx: ctx, name: path, size: fi.Size(), left: left, lim: limit}, nil
}

// Name returns the path the file was opened with.
func (f *File) Name() string { return f.name }

// Size returns the file's size when it was opened.
func (f *File) Size() int64 { return f.size }

// Read reads from the file. It returns ctx.Err() once the context is done
// and a *TooLargeError once the file has grown past the limit.
func (f *File) Read(p []byte) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	if f.left == 0 {
		// At the limit: the file may end here, or it has grown.
		var one [1]byte
		if n, _ := f.f.Read(one[:]); n > 0 {
			return 0, &TooLargeError{Path: f.name, Size: f.lim + 1, Limit: f.lim}
		}
		return 0, io.EOF
	}
	if f.left > 0 && int64(len(p)) > f.left {
		p = p[:f.left]
	}
	n, err := f.f.Read(p)
	if f.left > 0 {
		f.left -= int64(n)
	}
	return n, err
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// ReadFile reads the whole regular file at path, at most limit bytes (see
// Open). The buffer is sized by the bytes the file holds, never by limit.
func ReadFile(ctx context.Context, path string, limit int64) ([]byte, error) {
	f, err := Open(ctx, path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, 0, f.size+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, errors.Wrapf(err, "reading %s", path)
		}
	}
}
