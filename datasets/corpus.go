package datasets

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/internal/inputfile"
)

// Corpus is a UTF-8 text file, or a folder of them, to be read whole (Text)
// or streamed through a tokenizer (Encode).
type Corpus struct {
	// Path is the file or folder the corpus was opened from.
	Path string
	// Files are the regular files read, in order: Path itself, or the
	// files under the folder Path (recursively, in lexical order, skipping
	// names that begin with a dot, following symbolic links).
	Files []string
	// MaxBytes is the largest corpus, in bytes, that Text, Encode and
	// EncodeTo read (≤ 0: no limit); OpenCorpus sets DefaultMaxCorpusBytes.
	MaxBytes int64
	size     int64
	ctx      context.Context
}

// DefaultMaxCorpusBytes is the corpus size OpenCorpus allows: 1 GiB, whose
// ids take up to 8 GiB as []int (one token per byte).
const DefaultMaxCorpusBytes = 1 << 30

// streamBlock is the number of bytes Corpus.Encode reads at a time.
var streamBlock = 1 << 20

// byteOrderMark is the UTF-8 encoding of U+FEFF, which some editors write at
// the start of a text file; the corpus reader drops it.
var byteOrderMark = []byte("\uFEFF")

// OpenCorpus lists the files of a corpus, following symbolic links to files
// and folders alike. A missing path, anything that is not a regular file or
// a folder (a device, a FIFO: refused without reading), a dangling link, a
// folder reached twice through links, a folder without files and a corpus of
// zero bytes are errors naming the path.
func OpenCorpus(path string) (*Corpus, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, errors.Wrap(err, "datasets: opening corpus")
	}
	c := &Corpus{Path: path, MaxBytes: DefaultMaxCorpusBytes, ctx: context.Background()}
	switch {
	case info.IsDir():
		if err := c.addFolder(path, map[string]bool{}); err != nil {
			return nil, err
		}
		if len(c.Files) == 0 {
			return nil, fileError(path, "empty corpus: the folder holds no files")
		}
	case info.Mode().IsRegular():
		c.Files, c.size = []string{path}, info.Size()
	default:
		_, err := inputfile.Stat(path)
		return nil, errors.Wrap(err, "datasets: opening corpus")
	}
	if c.size == 0 {
		return nil, fileError(path, "empty corpus: zero bytes of text")
	}
	return c, nil
}

// addFolder adds the files under dir, in lexical order, to c. seen holds the
// real paths of the folders and files already added, so that a link loop or
// a file reached twice is an error instead of text read twice.
func (c *Corpus) addFolder(dir string, seen map[string]bool) error {
	if err := c.once(dir, seen); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return errors.Wrapf(err, "datasets: listing corpus folder %s", c.Path)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p) // follows a link
		if err != nil {
			return errors.Wrapf(err, "datasets: corpus folder %s", c.Path)
		}
		switch {
		case fi.IsDir():
			err = c.addFolder(p, seen)
		case fi.Mode().IsRegular():
			if err = c.once(p, seen); err == nil {
				c.Files = append(c.Files, p)
				c.size += fi.Size()
			}
		default:
			_, err = inputfile.Stat(p)
			err = errors.Wrapf(err, "datasets: corpus folder %s", c.Path)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// once records the real path of p in seen, or fails if it is there already.
func (c *Corpus) once(p string, seen map[string]bool) error {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return errors.Wrapf(err, "datasets: corpus folder %s", c.Path)
	}
	if seen[real] {
		return fileError(p, "reached twice in corpus folder %s through symbolic links (%s); the corpus would read it twice", c.Path, real)
	}
	seen[real] = true
	return nil
}

// WithContext returns a copy of c whose reads (Text, Encode, EncodeTo) stop
// with ctx's error once ctx is done.
func (c *Corpus) WithContext(ctx context.Context) *Corpus {
	d := *c
	d.ctx = ctx
	return &d
}

// checkSize returns a *inputfile.TooLargeError when the corpus is larger
// than c.MaxBytes.
func (c *Corpus) checkSize() error {
	if c.MaxBytes > 0 && c.size > c.MaxBytes {
		return errors.Wrap(&inputfile.TooLargeError{Path: c.Path, Size: c.size, Limit: c.MaxBytes},
			"datasets: corpus (raise Corpus.MaxBytes to read it)")
	}
	return nil
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
// UTF-8 text (see EncodeTo). limit > 0 reads only the first limit bytes (cut
// back to a rune boundary), e.g. to train a tokenizer on a sample of a large
// corpus. The text is read in blocks, so a file that is not text fails at
// its first bad block, before the rest is read.
func (c *Corpus) Text(limit int64) (string, error) {
	if err := c.checkSize(); err != nil {
		return "", err
	}
	if limit <= 0 || limit > c.size {
		limit = c.size
	}
	var b strings.Builder
	for _, name := range c.Files {
		left := limit - int64(b.Len())
		if left <= 0 {
			break
		}
		err := c.textBlocks(name, left, func(block []byte, _ bool) error {
			b.Write(block)
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	if b.Len() == 0 {
		return "", fileError(c.Path, "empty corpus")
	}
	return b.String(), nil
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
// package, blocks are cut after a line break). A leading byte-order mark is
// dropped; invalid UTF-8 is an error naming the file and line, a NUL byte an
// error naming its offset (a binary file); a corpus larger than c.MaxBytes
// is an error before anything is read.
func (c *Corpus) EncodeTo(tok Tokenizer, emit func(ids []int) error) error {
	if err := c.checkSize(); err != nil {
		return err
	}
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
		var pending []byte // text read but not yet encoded
		err := c.textBlocks(name, 0, func(block []byte, last bool) error {
			pending = append(pending, block...)
			text := string(pending)
			n := len(text)
			if !last {
				n = cut(text)
			}
			if n > 0 {
				if err := emit(tok.Encode(text[:n])); err != nil {
					return err
				}
			}
			pending = pending[:copy(pending, pending[n:])]
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// textBlocks reads the file called name in blocks of about streamBlock
// bytes, each ending at a rune boundary, checks that they are UTF-8 text
// without NUL bytes and passes them to emit (last is true for the final
// one); a leading byte-order mark is dropped. max > 0 stops after max bytes,
// cut back to a rune boundary.
func (c *Corpus) textBlocks(name string, limit int64, emit func(block []byte, last bool) error) error {
	ctx := c.ctx
	if ctx == nil { // a Corpus made without OpenCorpus
		ctx = context.Background()
	}
	f, err := inputfile.Open(ctx, name, c.MaxBytes)
	if err != nil {
		return errors.Wrap(err, "datasets: reading corpus")
	}
	defer f.Close()
	check := newUTF8Checker(name)
	buf := make([]byte, streamBlock+utf8.UTFMax)
	carry, total := 0, int64(0) // bytes of a rune cut by the last block; bytes emitted
	for first := true; ; first = false {
		want := streamBlock
		if first {
			want = max(want, len(byteOrderMark)) // see the whole mark
		}
		n, err := io.ReadFull(f, buf[carry:carry+want])
		last := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !last {
			return errors.Wrapf(err, "datasets: reading %s", name)
		}
		data := buf[:carry+n]
		if first && bytes.HasPrefix(data, byteOrderMark) {
			data = data[len(byteOrderMark):]
			check.offset = int64(len(byteOrderMark))
		}
		if limit > 0 && total+int64(len(data)) > limit { // more text than wanted
			data, last = data[:completeRunes(data[:limit-total])], true
		}
		end := len(data)
		if !last {
			end = completeRunes(data)
		}
		if err := check.check(data[:end]); err != nil {
			return err
		}
		if err := emit(data[:end], last); err != nil {
			return err
		}
		if last {
			return nil
		}
		total += int64(end)
		carry = copy(buf, data[end:])
	}
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

// utf8Checker validates a file's bytes block by block, counting lines and
// bytes so that an error names the line or the offset.
type utf8Checker struct {
	name   string
	line   int
	offset int64 // of the next byte in the file
}

func newUTF8Checker(name string) *utf8Checker { return &utf8Checker{name: name, line: 1} }

// check validates the next bytes of the file: UTF-8 without NUL bytes.
func (u *utf8Checker) check(b []byte) error {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return fileError(u.name, "looks like a binary file (NUL byte at offset %d); corpora must be UTF-8 text", u.offset+int64(i))
	}
	u.offset += int64(len(b))
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
