package graph

import (
	"bufio"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/pkg/errors"
)

// WriteFileAtomic replaces the file at path with what write writes, so that
// a reader (or a crash) sees either the old file or the complete new one,
// never a mix. write receives a buffered writer on a temporary file in the
// same directory; the temporary file is flushed, synced to disk and renamed
// over path, then the directory is synced so the rename itself is durable.
//
// When write (or any step before the rename) fails or panics, the old file
// is left untouched and the temporary file is removed. The new file keeps the
// permission bits of the file it replaces, or gets 0644. A symbolic link at
// path is replaced, not followed.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	perm := fs.FileMode(0o644)
	if info, statErr := os.Lstat(path); statErr == nil && info.Mode().IsRegular() {
		perm = info.Mode().Perm()
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	tmp := f.Name()
	renamed := false
	defer func() {
		if !renamed {
			f.Close()
			os.Remove(tmp)
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
	if err := os.Rename(tmp, path); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	renamed = true
	return errors.Wrapf(syncDir(dir), "writing %s: syncing the directory after the rename", path)
}

// syncDir makes a rename in dir durable. Windows cannot sync directories and
// needs no such step.
func syncDir(dir string) error {
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
