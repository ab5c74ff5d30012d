package datasets

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// Corpus is a UTF-8 text file, or a folder of them, to be read whole (Text)
// or streamed through a tokenizer (Encode).
type Corpus struct {
	// Path is the file or folder the corpus was opened from.
	Path string
	// Files are the regular files read, in order: Path itself, or the
	// files under the folder Path (recursively, in lexical order, skipping
	// names that begin with a dot).
	Files []string
	size  int64
}

// streamBlock is the number of bytes Corpus.Encode reads at a time.
var streamBlock = 1 << 20

// OpenCorpus lists the files of a corpus. A missing path, a folder without
// files and a corpus of zero bytes are errors.
func OpenCorpus(path string) (*Corpus, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, errors.Wrap(err, "datasets: opening corpus")
	}
	c := &Corpus{Path: path}
	if !info.IsDir() {
		c.Files, c.size = []string{path}, info.Size()
	} else {
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != path && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			c.Files = append(c.Files, p)
			c.size += fi.Size()
			return nil
		})
		if err != nil {
			return nil, errors.Wrapf(err, "datasets: listing corpus folder %s", path)
		}
		if len(c.Files) == 0 {
			return nil, fileError(path, "empty corpus: the folder holds no files")
		}
	}
	if c.size == 0 {
		return nil, fileError(path, "empty corpus: zero bytes of text")
	}
	return c, nil
}

// DefaultCorpusPath returns the path of the built-in default corpus, Isaac
// Newton's Opticks (public domain, from Project Gutenberg), which every Go
// toolchain ships as $GOROOT/src/testdata/Isaac.Newton-Opticks.txt. GOROOT is
// taken from the environment, then from `go env GOROOT`, then from the
// toolchain this program was built with.
func DefaultCorpusPath() (string, error) {
	var roots []string
	if r := os.Getenv("GOROOT"); r != "" {
		roots = append(roots, r)
	}
	if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
		roots = append(roots, strings.TrimSpace(string(out)))
	}
	roots = append(roots, runtime.GOROOT())
	for _, r := range roots {
		p := filepath.Join(r, "src", "testdata", "Isaac.Newton-Opticks.txt")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.Errorf("datasets: default corpus src/testdata/Isaac.Newton-Opticks.txt not found under GOROOT (tried %q); pass a corpus path instead", roots)
}

// DefaultCorpus opens the built-in default corpus (see DefaultCorpusPath).
func DefaultCorpus() (*Corpus, error) {
	p, err := DefaultCorpusPath()
	if err != nil {
		return nil, err
	}
	return OpenCorpus(p)
}

// Size returns the corpus size in bytes.
func (c *Corpus) Size() int64 { return c.size }

// Text returns the corpus text, the files concatenated, checking that it is
// valid UTF-8. limit > 0 reads only the first limit bytes (cut back to a rune
// boundary), e.g. to train a tokenizer on a sample of a large corpus.
func (c *Corpus) Text(limit int64) (string, error) {
	if limit <= 0 || limit > c.size {
		limit = c.size
	}
	var b strings.Builder
	b.Grow(int(limit))
	for _, name := range c.Files {
		left := limit - int64(b.Len())
		if left <= 0 {
			break
		}
		data, err := readPrefix(name, left+1)
		if err != nil {
			return "", err
		}
		truncated := int64(len(data)) > left
		if truncated {
			data = data[:completeRunes(data[:left])] // the limit may cut a rune
		}
		if err := newUTF8Checker(name).check(data); err != nil {
			return "", err
		}
		b.Write(data)
		if truncated {
			break
		}
	}
	if b.Len() == 0 {
		return "", fileError(c.Path, "empty corpus")
	}
	return b.String(), nil
}

// readPrefix reads at most n bytes of the file called name.
func readPrefix(name string, n int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, errors.Wrap(err, "datasets: reading corpus")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, n))
	return data, errors.Wrapf(err, "datasets: reading %s", name)
}

// Encode returns the token ids of the whole corpus (see EncodeTo).
func (c *Corpus) Encode(tok Tokenizer) ([]int, error) {
	var ids []int
	err := c.EncodeTo(tok, func(block []int) error {
		ids = append(ids, block...)
		return nil
	})
	if err == nil && len(ids) == 0 {
		err = fileError(c.Path, "empty corpus: no tokens")
	}
	return ids, err
}

// EncodeTo streams the corpus through tok, passing the ids of each block of
// about 1 MiB to emit, in order; emit must not keep the slice. Memory stays at
// a few blocks whatever the file size. Each file is encoded on its own, and
// the blocks are cut at the tokenizer's chunk boundaries, so the ids equal
// those of tok.Encode on each whole file (for a tokenizer from outside this
// package, blocks are cut after a line break). Invalid UTF-8 is an error
// naming the file and line.
func (c *Corpus) EncodeTo(tok Tokenizer, emit func(ids []int) error) error {
	cut := func(s string) int { // default: after the last line break
		if i := strings.LastIndexByte(s, '\n'); i >= 0 {
			return i + 1
		}
		return len(s)
	}
	if ct, ok := tok.(interface{ chunk(string) int }); ok {
		cut = func(s string) int { return lastChunkStart(s, ct.chunk) }
	}
	if sc, ok := tok.(interface{ streamCut(string) int }); ok {
		cut = sc.streamCut
	}
	for _, name := range c.Files {
		if err := encodeFile(name, tok, cut, emit); err != nil {
			return err
		}
	}
	return nil
}

// encodeFile streams one file through tok (see EncodeTo); cut(s) returns the
// length of the prefix of s that can be encoded without seeing what follows.
func encodeFile(name string, tok Tokenizer, cut func(string) int, emit func([]int) error) error {
	f, err := os.Open(name)
	if err != nil {
		return errors.Wrap(err, "datasets: reading corpus")
	}
	defer f.Close()
	check := newUTF8Checker(name)
	buf := make([]byte, 0, 2*streamBlock)
	checked := 0 // buf[:checked] is valid UTF-8
	for eof := false; !eof; {
		if cap(buf)-len(buf) < streamBlock {
			buf = append(make([]byte, 0, 2*cap(buf)), buf...)
		}
		n, err := io.ReadFull(f, buf[len(buf):len(buf)+streamBlock])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			eof = true
		case err != nil:
			return errors.Wrapf(err, "datasets: reading %s", name)
		}
		end := len(buf)
		if !eof {
			end = completeRunes(buf)
		}
		if err := check.check(buf[checked:end]); err != nil {
			return err
		}
		checked = end
		text := string(buf[:end])
		n = end
		if !eof {
			n = cut(text)
		}
		if n > 0 {
			if err := emit(tok.Encode(text[:n])); err != nil {
				return err
			}
		}
		buf = buf[:copy(buf, buf[n:])]
		checked -= n
	}
	return nil
}

// completeRunes returns the length of the longest prefix of b that does not
// end inside a multi-byte UTF-8 sequence.
func completeRunes(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}

// utf8Checker validates a file's bytes block by block, counting lines so
// that an error names the line.
type utf8Checker struct {
	name string
	line int
}

func newUTF8Checker(name string) *utf8Checker { return &utf8Checker{name: name, line: 1} }

// check validates the next bytes of the file.
func (u *utf8Checker) check(b []byte) error {
	if utf8.Valid(b) {
		u.line += bytes.Count(b, []byte("\n"))
		return nil
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			return lineError(u.name, u.line, "invalid UTF-8 (byte 0x%02x); corpora must be UTF-8 text", b[0])
		}
		if r == '\n' {
			u.line++
		}
		b = b[size:]
	}
	return nil
}
