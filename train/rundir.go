package train

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Files of a run directory written by package train.
const (
	// BestFile is the checkpoint of the lowest validation loss.
	BestFile = "best.safetensors"
	// LockFile is locked (flock) by the process running in the directory;
	// it holds that process's ID and command line, for the message of a
	// second process refused.
	LockFile = ".lock"
)

var stepFile = regexp.MustCompile(`^ckpt-(\d+)\.safetensors$`)

// StepFile is the file name of the checkpoint of a step: ckpt-NNNNNN.safetensors.
func StepFile(step int) string { return fmt.Sprintf("ckpt-%06d.safetensors", step) }

// RunDir is a run directory held by one run for its whole life: step
// checkpoints (the last Keep kept), the best checkpoint and the caller's
// files. Opening it takes an exclusive lock, so that a second run on the
// same directory is refused instead of mixing two histories; the lock is
// the operating system's (flock), released when the process ends however
// it ends. Close releases it.
type RunDir struct {
	Path string
	// Keep is the number of step checkpoints kept; 0 keeps all.
	Keep int
	own  []string // the caller's file names
	lock *os.File
}

// LockedError is the error of OpenRunDir on a directory that another
// process holds.
type LockedError struct {
	Dir string
	// Holder is the first line of the lock file: the holder's process ID
	// and command line ("" when unknown).
	Holder string
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.Holder != "" {
		who = "process " + e.Holder
	}
	return fmt.Sprintf("run directory %s is in use by %s; wait for it to end or stop it (its lock is released when it exits)", e.Dir, who)
}

// OpenRunDir creates the directory at path if needed and takes its lock, or
// returns a *LockedError naming the process that holds it. files names the
// caller's own files in it (such as "metrics.jsonl"): with the checkpoints
// they are the run's files, which Clear removes and whose unfinished
// temporary copies, left by a crash in the middle of an atomic write by an
// earlier holder of the lock, OpenRunDir deletes (nobody else writes them
// while the lock is held).
func OpenRunDir(path string, files ...string) (*RunDir, error) {
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, errors.Wrap(err, "train: creating the run directory")
	}
	f, err := os.OpenFile(filepath.Join(path, LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, errors.Wrapf(err, "train: run directory %s", path)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, errors.Wrapf(err, "train: locking run directory %s", path)
	}
	if !ok {
		holder, _ := os.ReadFile(f.Name())
		f.Close()
		line, _, _ := strings.Cut(strings.TrimSpace(string(holder)), "\n")
		return nil, &LockedError{Dir: path, Holder: line}
	}
	who := fmt.Sprintf("%d (%s)\n", os.Getpid(), strings.Join(os.Args, " "))
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(who), 0)
	}
	d := &RunDir{Path: path, own: files, lock: f}
	if err == nil {
		err = d.removeUnfinished()
	}
	if err != nil {
		d.Close()
		return nil, errors.Wrapf(err, "train: run directory %s", path)
	}
	return d, nil
}

// Close releases the lock.
func (d *RunDir) Close() error {
	if d == nil || d.lock == nil {
		return nil
	}
	err := d.lock.Close()
	d.lock = nil
	return err
}

// File returns the path of a file of the run directory.
func (d *RunDir) File(name string) string { return filepath.Join(d.Path, name) }

// IsRunFile reports whether name is one of the run's files: a step
// checkpoint, BestFile or a file named to OpenRunDir.
func (d *RunDir) IsRunFile(name string) bool {
	if stepFile.MatchString(name) || name == BestFile {
		return true
	}
	for _, f := range d.own {
		if name == f {
			return true
		}
	}
	return false
}

// Others lists the entries of the directory other than its lock, at most
// limit of them (0: all): a new run refuses a directory that holds any.
func (d *RunDir) Others(limit int) ([]string, error) {
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return nil, errors.Wrap(err, "train: listing the run directory")
	}
	var names []string
	for _, e := range entries {
		if e.Name() != LockFile {
			names = append(names, e.Name())
		}
		if limit > 0 && len(names) == limit {
			break
		}
	}
	return names, nil
}

// Clear removes the run's files (IsRunFile), leaving anything else.
func (d *RunDir) Clear() error {
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return errors.Wrap(err, "train: listing the run directory")
	}
	for _, e := range entries {
		if d.IsRunFile(e.Name()) {
			if err := os.Remove(d.File(e.Name())); err != nil {
				return errors.Wrap(err, "train: clearing the run directory")
			}
		}
	}
	return nil
}

// removeUnfinished deletes the temporary files ".NAME.tmp-*" of the run's
// files (see atomicfile.WriteFile), which only a write cut short leaves;
// the files they were to replace are intact.
func (d *RunDir) removeUnfinished() error {
	entries, err := os.ReadDir(d.Path)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name, _, ok := strings.Cut(strings.TrimPrefix(e.Name(), "."), ".tmp-")
		if !ok || !strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() || !d.IsRunFile(name) {
			continue
		}
		if err := os.Remove(d.File(e.Name())); err != nil {
			return errors.Wrap(err, "removing the temporary file of an unfinished write")
		}
	}
	return nil
}

// SaveStep writes ck as the checkpoint of its step and deletes the oldest
// step checkpoints beyond Keep; it returns the file's path.
func (d *RunDir) SaveStep(ck *Checkpoint) (string, error) {
	path := d.File(StepFile(ck.Step))
	if err := WriteCheckpoint(path, ck); err != nil {
		return "", err
	}
	if d.Keep <= 0 {
		return path, nil
	}
	steps, err := StepCheckpoints(d.Path)
	if err != nil {
		return path, err
	}
	for len(steps) > d.Keep {
		if err := os.Remove(steps[0]); err != nil {
			return path, errors.Wrap(err, "train: removing an old checkpoint")
		}
		steps = steps[1:]
	}
	return path, nil
}

// SaveBest writes ck as BestFile and returns its path.
func (d *RunDir) SaveBest(ck *Checkpoint) (string, error) {
	path := d.File(BestFile)
	return path, WriteCheckpoint(path, ck)
}

// RemoveAfter deletes the step checkpoints later than step (resuming from
// an older checkpoint starts a new history from it).
func (d *RunDir) RemoveAfter(step int) error {
	steps, err := StepCheckpoints(d.Path)
	if err != nil {
		return err
	}
	for _, p := range steps {
		if s, _ := CheckpointStep(p); s > step {
			if err := os.Remove(p); err != nil {
				return errors.Wrap(err, "train: removing a later checkpoint")
			}
		}
	}
	return nil
}

// CheckpointStep returns the step of a step checkpoint's path; ok is false
// for any other file name.
func CheckpointStep(path string) (step int, ok bool) {
	m := stepFile.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return 0, false
	}
	step, err := strconv.Atoi(m[1])
	return step, err == nil
}

// StepCheckpoints lists the step checkpoints of dir, oldest first.
func StepCheckpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errors.Wrap(err, "train: listing checkpoints")
	}
	type file struct {
		path string
		step int
	}
	var files []file
	for _, e := range entries {
		if step, ok := CheckpointStep(e.Name()); ok && e.Type().IsRegular() {
			files = append(files, file{filepath.Join(dir, e.Name()), step})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].step < files[j].step })
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.path
	}
	return out, nil
}

// FindCheckpoint resolves a checkpoint argument: a file is returned as is;
// for a run directory, preferBest picks BestFile when it exists, else (and
// always without preferBest) the latest step checkpoint, else BestFile.
func FindCheckpoint(arg string, preferBest bool) (string, error) {
	info, err := os.Stat(arg)
	if err != nil {
		return "", errors.Wrap(err, "checkpoint")
	}
	if !info.IsDir() {
		return arg, nil
	}
	best := filepath.Join(arg, BestFile)
	if preferBest && isFile(best) {
		return best, nil
	}
	steps, err := StepCheckpoints(arg)
	if err != nil {
		return "", err
	}
	if len(steps) > 0 {
		return steps[len(steps)-1], nil
	}
	if isFile(best) {
		return best, nil
	}
	return "", errors.Errorf("run directory %s holds no checkpoint (ckpt-*.safetensors or %s)", arg, BestFile)
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}
