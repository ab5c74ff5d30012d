package datasets

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/internal/atomicfile"
	"github.com/gorgonet/gorgonet/internal/inputfile"
)

// VectorFormat is a file format of pretrained word vectors.
type VectorFormat int

const (
	// Word2VecText is word2vec's text format: a header line "rows dim",
	// then one line per word, "word v1 … vdim", separated by spaces.
	Word2VecText VectorFormat = iota
	// Word2VecBinary is word2vec's binary format: the header line "rows
	// dim\n", then per word its UTF-8 bytes, a space, and dim little-endian
	// float32 values, usually followed by "\n".
	Word2VecBinary
	// GloVeText is GloVe's text format: Word2VecText without the header,
	// the dimension given by the first line.
	GloVeText
)

// String returns the format's name.
func (f VectorFormat) String() string {
	switch f {
	case Word2VecText:
		return "word2vec text"
	case Word2VecBinary:
		return "word2vec binary"
	case GloVeText:
		return "GloVe text"
	}
	return "unknown vector format"
}

// Limits on vector files: files are untrusted, and a header must not make a
// reader allocate more than the file can hold.
const (
	maxVectorDim  = 1 << 16 // values per word
	maxVectorLine = 4 << 20 // bytes per text line
	maxWordBytes  = 4 << 10 // bytes per word in a binary file
	maxPrealloc   = 1 << 16 // values preallocated from a header's claim
	maxVectorRows = 1 << 40 // rows a header may declare when the size is unknown
	minTextValue  = 2       // bytes per value in a text row, separator included
	minBinaryWord = 2       // bytes per word in a binary row, space included
	float32Bytes  = 4       // bytes per value in a binary row
	unknownSize   = int64(-1)
)

// MaxVectorsFileBytes is the largest vectors file ReadVectors reads: the
// values are held as float64, up to 4 times the bytes of a text file.
const MaxVectorsFileBytes = 8 << 30

// ReadVectors reads a vectors file of the given format (see DecodeVectors).
// The path must name a regular file of at most MaxVectorsFileBytes.
func ReadVectors(path string, format VectorFormat) (*Vectors, error) {
	f, err := inputfile.Open(context.Background(), path, MaxVectorsFileBytes)
	if err != nil {
		return nil, errors.Wrap(err, "datasets: reading vectors")
	}
	defer f.Close()
	return DecodeVectors(bufio.NewReaderSize(f, 1<<16), path, f.Size(), format)
}

// DecodeVectors reads word vectors in the given format from r; name (a file
// name) is used in error messages and size, the number of bytes r holds (or
// −1 when unknown), bounds what a header may declare. A malformed header, a
// row with the wrong number of values, a non-finite value, invalid UTF-8 and
// a row count that disagrees with the header are errors naming the file and
// line (for the binary format, the row and byte offset). Words are separated
// from values by spaces or tabs, so a word cannot contain either. A repeated
// word keeps its first vector.
func DecodeVectors(r io.Reader, name string, size int64, format VectorFormat) (*Vectors, error) {
	switch format {
	case Word2VecText, GloVeText:
		return decodeTextVectors(r, name, size, format == Word2VecText)
	case Word2VecBinary:
		return decodeBinaryVectors(r, name, size)
	}
	return nil, errors.Errorf("datasets: %s: unknown vector format %d", name, int(format))
}

// vectorTable accumulates rows.
type vectorTable struct {
	name   string
	words  []string
	values []float64
	rows   int // declared rows, −1 when unknown (GloVe)
	dim    int
}

// parseHeader parses a word2vec header "rows dim" and checks it against the
// size of the file, at least minRow bytes per row.
func (t *vectorTable) parseHeader(line string, size int64, minRow func(dim int) int64) error {
	f := fields(line)
	var rows, dim int64
	var err1, err2 error
	if len(f) == 2 {
		rows, err1 = strconv.ParseInt(f[0], 10, 64)
		dim, err2 = strconv.ParseInt(f[1], 10, 64)
	}
	if len(f) != 2 || err1 != nil || err2 != nil {
		return lineError(t.name, 1, "not a word2vec header \"rows dim\": %q (a GloVe file has no header)", clip(line))
	}
	if rows < 1 || dim < 1 || dim > maxVectorDim {
		return lineError(t.name, 1, "header declares %d rows of dimension %d; want rows ≥ 1 and 1 ≤ dim ≤ %d", rows, dim, maxVectorDim)
	}
	if limit := maxVectorRows / dim; size < 0 && rows > limit {
		return lineError(t.name, 1, "header declares %d rows of dimension %d, more than %d values", rows, dim, int64(maxVectorRows))
	}
	if need := minRow(int(dim)); size >= 0 && rows > size/need {
		return lineError(t.name, 1, "header declares %d rows of dimension %d (at least %d bytes each), but the file has only %d bytes", rows, dim, need, size)
	}
	t.rows, t.dim = int(rows), int(dim)
	// The header is only a claim: reserve room for a bounded number of
	// values and let the rows actually read grow the table.
	pre := min(int64(t.rows)*int64(t.dim), maxPrealloc)
	t.values = make([]float64, 0, pre)
	t.words = make([]string, 0, max(1, pre/int64(t.dim)))
	return nil
}

// vectors checks the row count and returns the table.
func (t *vectorTable) vectors(line int) (*Vectors, error) {
	if len(t.words) == 0 {
		return nil, fileError(t.name, "no vectors")
	}
	if t.rows >= 0 && len(t.words) != t.rows {
		return nil, lineError(t.name, line, "file ends after %d rows; the header declares %d", len(t.words), t.rows)
	}
	return NewVectors(t.words, t.dim, t.values)
}

// decodeTextVectors reads the word2vec text format (header true) or GloVe.
func decodeTextVectors(r io.Reader, name string, size int64, header bool) (*Vectors, error) {
	t := &vectorTable{name: name, rows: -1}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxVectorLine)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if !utf8.ValidString(text) {
			return nil, lineError(name, line, "invalid UTF-8")
		}
		if header && line == 1 {
			if err := t.parseHeader(text, size, func(dim int) int64 { return 1 + int64(dim)*minTextValue }); err != nil {
				return nil, err
			}
			continue
		}
		f := fields(text)
		if len(f) == 0 {
			continue
		}
		if t.dim == 0 { // GloVe: the first row gives the dimension
			if t.dim = len(f) - 1; t.dim < 1 || t.dim > maxVectorDim {
				return nil, lineError(name, line, "first row has %d values; want 1 to %d", t.dim, maxVectorDim)
			}
		}
		if len(t.words) == t.rows {
			return nil, lineError(name, line, "more rows than the %d the header declares", t.rows)
		}
		if len(f)-1 != t.dim {
			return nil, lineError(name, line, "row for %q has %d values, want %d", clip(f[0]), len(f)-1, t.dim)
		}
		for i, s := range f[1:] {
			x, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
				return nil, lineError(name, line, "value %d of %q is %q, not a finite number", i+1, clip(f[0]), clip(s))
			}
			t.values = append(t.values, x)
		}
		t.words = append(t.words, f[0])
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, lineError(name, line+1, "line longer than %d bytes", maxVectorLine)
		}
		return nil, errors.Wrapf(err, "datasets: reading %s", name)
	}
	return t.vectors(line)
}

// fields splits s at runs of spaces and tabs.
func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decodeBinaryVectors reads the word2vec binary format.
func decodeBinaryVectors(r io.Reader, name string, size int64) (*Vectors, error) {
	cr := &countingReader{r: bufio.NewReader(r)}
	var head []byte
	for len(head) <= 100 {
		c, err := cr.ReadByte()
		if err != nil {
			return nil, lineError(name, 1, "file ends in the header")
		}
		if c == '\n' {
			break
		}
		head = append(head, c)
	}
	t := &vectorTable{name: name}
	if err := t.parseHeader(strings.TrimSuffix(string(head), "\r"), size,
		func(dim int) int64 { return minBinaryWord + int64(dim)*float32Bytes }); err != nil {
		return nil, err
	}
	buf := make([]byte, t.dim*float32Bytes)
	var word []byte
	for row := 1; row <= t.rows; row++ {
		rowErr := func(format string, args ...interface{}) error {
			return fileError(name, "row %d at byte %d: %s", row, cr.n, fmt.Sprintf(format, args...))
		}
		var err error
		if word, err = readWord(cr, word[:0]); err != nil {
			return nil, rowErr("%v (the header declares %d rows)", err, t.rows)
		}
		if !utf8.Valid(word) {
			return nil, rowErr("word %q is not valid UTF-8", word)
		}
		if _, err := io.ReadFull(cr, buf); err != nil {
			return nil, rowErr("file ends inside the %d values of %q", t.dim, word)
		}
		for i := 0; i < t.dim; i++ {
			x := float64(math.Float32frombits(binary.LittleEndian.Uint32(buf[i*float32Bytes:])))
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return nil, rowErr("value %d of %q is not finite", i+1, word)
			}
			t.values = append(t.values, x)
		}
		t.words = append(t.words, string(word))
	}
	for {
		c, err := cr.ReadByte()
		if err != nil {
			break
		}
		if c != '\n' && c != '\r' && c != ' ' {
			return nil, fileError(name, "data after the %d rows the header declares, at byte %d", t.rows, cr.n-1)
		}
	}
	return t.vectors(1 + t.rows)
}

// readWord reads a binary row's word: leading line breaks are skipped, the
// word ends at a space.
func readWord(cr *countingReader, word []byte) ([]byte, error) {
	for {
		c, err := cr.ReadByte()
		switch {
		case err != nil:
			if len(word) == 0 {
				return nil, errors.New("file ends before the row")
			}
			return nil, errors.Errorf("file ends inside the word %q", clip(string(word)))
		case c == ' ':
			if len(word) == 0 {
				return nil, errors.New("empty word")
			}
			return word, nil
		case (c == '\n' || c == '\r') && len(word) == 0:
			continue
		case len(word) >= maxWordBytes:
			return nil, errors.Errorf("word longer than %d bytes", maxWordBytes)
		}
		word = append(word, c)
	}
}

// WriteFile writes the vectors to the file at path in the given format,
// atomically: a reader or a crash sees the old file or the complete new one.
func (v *Vectors) WriteFile(path string, format VectorFormat) error {
	err := atomicfile.WriteFile(path, func(w io.Writer) error { return v.Write(w, format) })
	return errors.Wrap(err, "datasets: vectors")
}

// Write writes the vectors in the given format. Text formats write each
// value in the shortest form that reads back exactly; the binary format
// rounds values to float32. A word that is empty or holds a space, tab or
// line break cannot be written.
func (v *Vectors) Write(w io.Writer, format VectorFormat) error {
	if format < Word2VecText || format > GloVeText {
		return errors.Errorf("datasets: unknown vector format %d", int(format))
	}
	if format != GloVeText {
		if _, err := io.WriteString(w, strconv.Itoa(len(v.Words))+" "+strconv.Itoa(v.Dim)+"\n"); err != nil {
			return err
		}
	}
	var b bytes.Buffer
	for i, word := range v.Words {
		if word == "" || strings.ContainsAny(word, " \t\r\n") {
			return errors.Errorf("datasets: word %d %q cannot be written: empty or holds white space", i, word)
		}
		b.Reset()
		b.WriteString(word)
		if format == Word2VecBinary {
			b.WriteByte(' ')
		}
		for _, x := range v.Values[i*v.Dim : (i+1)*v.Dim] {
			if format == Word2VecBinary {
				b.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(x))))
			} else {
				b.WriteByte(' ')
				b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
			}
		}
		b.WriteByte('\n')
		if _, err := w.Write(b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}
