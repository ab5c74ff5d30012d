// Package atomicfile replaces files atomically and durably: a reader, or a
// crash at any moment, sees either the old file or the complete new one.
package atomicfile

import (
	"bufio"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/pkg/errors"
)

// WriteFile replaces the file at path with what write writes, so that a
// reader (or a crash) sees either the old file or the complete new one,
// never a mix. write receives a buffered writer on a temporary file
// ".BASE.tmp-*" in the same directory; the temporary file is flushed, synced
// to disk and renamed over path, then the directory is synced so that the
// rename itself is durable. Without the sync before the rename, a power loss
// after it could leave path naming a file whose data never reached the disk
// (TestWriteFileOrder pins the order).
//
// When write (or any step before the rename) fails or panics, the old file
// is left untouched and the temporary file is removed. The new file keeps the
// permission bits of the file it replaces, or gets 0644. A symbolic link at
// path is replaced, not followed. Errors name path.
func WriteFile(path string, write func(io.Writer) error) error {
	return writeFile(osFS{}, path, write)
}

// file is the part of *os.File that WriteFile uses.
type file interface {
	io.Writer
	Name() string
	Chmod(fs.FileMode) error
	Sync() error
	Close() error
}

// fileSystem is the part of package os that WriteFile uses; tests substitute
// one that records the order of the operations.
type fileSystem interface {
	Lstat(path string) (fs.FileInfo, error)
	CreateTemp(dir, pattern string) (file, error)
	Rename(from, to string) error
	Remove(path string) error
	// SyncDir makes the renames done in dir durable.
	SyncDir(dir string) error
}

func writeFile(fsys fileSystem, path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	perm := fs.FileMode(0o644)
	if info, statErr := fsys.Lstat(path); statErr == nil && info.Mode().IsRegular() {
		perm = info.Mode().Perm()
	}
	f, err := fsys.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	tmp := f.Name()
	renamed := false
	defer func() {
		if !renamed {
			f.Close()
			fsys.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	steps := []func() error{bw.Flush, func() error { return f.Chmod(perm) }, f.Sync, f.Close}
	for _, step := range steps {
		if err := step(); err != nil {
			return errors.Wrapf(err, "writing %s", path)
		}
	}
	if err := fsys.Rename(tmp, path); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	renamed = true
	return errors.Wrapf(fsys.SyncDir(dir), "writing %s: syncing the directory after the rename", path)
}

// osFS is the operating system's file system.
type osFS struct{}

func (osFS) Lstat(path string) (fs.FileInfo, error) { return os.Lstat(path) }
func (osFS) Rename(from, to string) error           { return os.Rename(from, to) }
func (osFS) Remove(path string) error               { return os.Remove(path) }

func (osFS) CreateTemp(dir, pattern string) (file, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// SyncDir syncs the directory dir. Windows cannot sync directories and needs
// no such step.
func (osFS) SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}
