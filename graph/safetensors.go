package graph

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// MaxSafetensorsHeader is the largest JSON header ReadSafetensors accepts, in
// bytes (the limit of the reference implementation, 100 MB).
const MaxSafetensorsHeader = 100_000_000

// safetensorsMetadataKey is the reserved header key holding string metadata.
const safetensorsMetadataKey = "__metadata__"

// NamedTensor is a tensor with a name, the unit of a safetensors file.
type NamedTensor struct {
	Name string
	T    *tensor.Dense
}

// stDtype maps a safetensors dtype name to a tensor element type.
type stDtype struct {
	name string // safetensors name, e.g. "F32"
	dt   tensor.Dtype
	size int // bytes per element
}

// stDtypes lists the element types read and written. Go's platform int
// (tensor.Int, used for index inputs) is written as I64 and read back as
// tensor.Int64.
var stDtypes = []stDtype{
	{"F64", tensor.Float64, 8},
	{"F32", tensor.Float32, 4},
	{"I64", tensor.Int64, 8},
	{"I32", tensor.Int32, 4},
	{"U8", tensor.Uint8, 1},
	{"BOOL", tensor.Bool, 1},
}

func stDtypeByName(name string) (stDtype, bool) {
	for _, d := range stDtypes {
		if d.name == name {
			return d, true
		}
	}
	return stDtype{}, false
}

func stDtypeOf(dt tensor.Dtype) (stDtype, bool) {
	if dt == tensor.Int && strconv.IntSize == 64 {
		return stDtype{"I64", tensor.Int, 8}, true
	}
	for _, d := range stDtypes {
		if d.dt == dt {
			return d, true
		}
	}
	return stDtype{}, false
}

func stDtypeNames() string {
	names := make([]string, len(stDtypes))
	for i, d := range stDtypes {
		names[i] = d.name
	}
	return strings.Join(names, ", ")
}

// stEntry is one tensor's record in a safetensors header.
type stEntry struct {
	Dtype       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// WriteSafetensors writes tensors and string metadata to w in the
// safetensors format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length N, a JSON header of N bytes padded with spaces
// so that the data starts 8-byte aligned, then the tensors' bytes, little
// endian and row-major, in the order of their names. The header lists the
// tensors sorted by name, so equal inputs give byte-identical files.
//
// Names must be non-empty, unique, valid UTF-8 and not "__metadata__";
// metadata, which may be nil, must be valid UTF-8 (JSON would silently
// alter it). Element types are F64, F32, I64, I32, U8 and BOOL (tensor.Int
// is written as I64 and reads back as tensor.Int64).
func WriteSafetensors(w io.Writer, tensors []NamedTensor, metadata map[string]string) error {
	sorted := append([]NamedTensor(nil), tensors...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	header := make(map[string]interface{}, len(sorted)+1)
	if len(metadata) > 0 {
		for k, v := range metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return errors.Errorf("safetensors: metadata %q: %q is not valid UTF-8", k, v)
			}
		}
		header[safetensorsMetadataKey] = metadata
	}
	data := make([]interface{}, len(sorted)) // each tensor's backing slice
	var offset int64
	for i, nt := range sorted {
		if nt.Name == "" || nt.Name == safetensorsMetadataKey || !utf8.ValidString(nt.Name) {
			return errors.Errorf("safetensors: invalid tensor name %q", nt.Name)
		}
		if i > 0 && sorted[i-1].Name == nt.Name {
			return errors.Errorf("safetensors: tensor %q appears twice", nt.Name)
		}
		if nt.T == nil {
			return errors.Errorf("safetensors: tensor %q is nil", nt.Name)
		}
		d, ok := stDtypeOf(nt.T.Dtype())
		if !ok {
			return errors.Errorf("safetensors: tensor %q: unsupported element type %v (supported: %s)", nt.Name, nt.T.Dtype(), stDtypeNames())
		}
		values, err := backingSlice(nt.T)
		if err != nil {
			return errors.Wrapf(err, "safetensors: tensor %q", nt.Name)
		}
		data[i] = values
		shape := make([]int64, len(nt.T.Shape()))
		for k, s := range nt.T.Shape() {
			shape[k] = int64(s)
		}
		n := int64(reflect.ValueOf(values).Len()) * int64(d.size)
		header[nt.Name] = stEntry{Dtype: d.name, Shape: shape, DataOffsets: []int64{offset, offset + n}}
		offset += n
	}
	js, err := json.Marshal(header)
	if err != nil {
		return errors.Wrap(err, "safetensors: encoding the header")
	}
	if pad := (8 - len(js)%8) % 8; pad > 0 {
		js = append(js, bytes.Repeat([]byte{' '}, pad)...)
	}
	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(js)))
	if _, err := w.Write(prefix[:]); err != nil {
		return errors.Wrap(err, "safetensors: writing the header")
	}
	if _, err := w.Write(js); err != nil {
		return errors.Wrap(err, "safetensors: writing the header")
	}
	buf := make([]byte, 0, 1<<16)
	for i, values := range data {
		n := reflect.ValueOf(values).Len()
		for start := 0; start < n; {
			buf, start = encodeElems(buf[:0], values, start)
			if _, err := w.Write(buf); err != nil {
				return errors.Wrapf(err, "safetensors: writing tensor %q", sorted[i].Name)
			}
		}
	}
	return nil
}

// backingSlice returns t's elements as a row-major Go slice ([]float32, …),
// materialising views and wrapping scalars.
func backingSlice(t *tensor.Dense) (interface{}, error) {
	if t.IsScalar() {
		v := reflect.ValueOf(t.ScalarValue())
		return reflect.Append(reflect.MakeSlice(reflect.SliceOf(v.Type()), 0, 1), v).Interface(), nil
	}
	if t.IsView() || t.RequiresIterator() {
		m, ok := t.Materialize().(*tensor.Dense)
		if !ok {
			return nil, errors.New("cannot materialise view")
		}
		t = m
	}
	values := t.Data()
	if n := reflect.ValueOf(values).Len(); n != t.Shape().TotalSize() {
		return nil, errors.Errorf("%d elements for shape %v", n, t.Shape())
	}
	return values, nil
}

// encodeElems appends little-endian elements of values, starting at index
// start, to buf until buf is full or values end, and returns the next index.
func encodeElems(buf []byte, values interface{}, start int) ([]byte, int) {
	le := binary.LittleEndian
	i := start
	switch v := values.(type) {
	case []float64:
		for ; i < len(v) && len(buf)+8 <= cap(buf); i++ {
			buf = le.AppendUint64(buf, math.Float64bits(v[i]))
		}
	case []float32:
		for ; i < len(v) && len(buf)+4 <= cap(buf); i++ {
			buf = le.AppendUint32(buf, math.Float32bits(v[i]))
		}
	case []int64:
		for ; i < len(v) && len(buf)+8 <= cap(buf); i++ {
			buf = le.AppendUint64(buf, uint64(v[i]))
		}
	case []int:
		for ; i < len(v) && len(buf)+8 <= cap(buf); i++ {
			buf = le.AppendUint64(buf, uint64(v[i]))
		}
	case []int32:
		for ; i < len(v) && len(buf)+4 <= cap(buf); i++ {
			buf = le.AppendUint32(buf, uint32(v[i]))
		}
	case []uint8:
		n := min(len(v)-i, cap(buf)-len(buf))
		buf = append(buf, v[i:i+n]...)
		i += n
	case []bool:
		for ; i < len(v) && len(buf) < cap(buf); i++ {
			b := byte(0)
			if v[i] {
				b = 1
			}
			buf = append(buf, b)
		}
	}
	return buf, i
}

// decodeElems decodes little-endian elements from src into values starting
// at index start and returns the next index. A BOOL byte other than 0 or 1
// is an error.
func decodeElems(values interface{}, start int, src []byte) (int, error) {
	le := binary.LittleEndian
	i := start
	switch v := values.(type) {
	case []float64:
		for ; len(src) >= 8; i, src = i+1, src[8:] {
			v[i] = math.Float64frombits(le.Uint64(src))
		}
	case []float32:
		for ; len(src) >= 4; i, src = i+1, src[4:] {
			v[i] = math.Float32frombits(le.Uint32(src))
		}
	case []int64:
		for ; len(src) >= 8; i, src = i+1, src[8:] {
			v[i] = int64(le.Uint64(src))
		}
	case []int32:
		for ; len(src) >= 4; i, src = i+1, src[4:] {
			v[i] = int32(le.Uint32(src))
		}
	case []uint8:
		i += copy(v[i:], src)
	case []bool:
		for _, b := range src {
			if b > 1 {
				return i, errors.Errorf("element %d: byte %d is not a boolean", i, b)
			}
			v[i] = b == 1
			i++
		}
	}
	return i, nil
}

// ReadSafetensors reads a safetensors file of size bytes from r and returns
// its tensors by name and its metadata (nil when the file has none).
//
// The file is treated as untrusted: the header must be at most
// min(size−8, MaxSafetensorsHeader) bytes of valid JSON, every tensor must
// have a supported dtype, a shape of positive dimensions whose byte size
// matches its data offsets, and the offsets must tile the data section
// exactly (no overlap, no gap, nothing past the end). All of this is checked
// before any tensor memory is allocated, so a header claiming a huge tensor
// fails fast. Errors name the offending tensor.
func ReadSafetensors(r io.ReaderAt, size int64) (map[string]*tensor.Dense, map[string]string, error) {
	if size < 8 {
		return nil, nil, errors.Errorf("safetensors: %d bytes is too short for a header", size)
	}
	var prefix [8]byte
	if err := readFullAt(r, prefix[:], 0); err != nil {
		return nil, nil, errors.Wrap(err, "safetensors: reading the header length")
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	if limit := uint64(min(size-8, MaxSafetensorsHeader)); n > limit {
		return nil, nil, errors.Errorf("safetensors: header length %d exceeds the limit %d (file of %d bytes)", n, limit, size)
	}
	js := make([]byte, n)
	if err := readFullAt(r, js, 8); err != nil {
		return nil, nil, errors.Wrap(err, "safetensors: reading the header")
	}
	entries, metadata, err := parseSafetensorsHeader(js)
	if err != nil {
		return nil, nil, err
	}
	dataStart := 8 + int64(n)
	if err := checkSafetensorsLayout(entries, size-dataStart); err != nil {
		return nil, nil, err
	}
	tensors := make(map[string]*tensor.Dense, len(entries))
	buf := make([]byte, 1<<16)
	for _, e := range entries {
		values := reflect.MakeSlice(reflect.SliceOf(e.dtype.dt.Type), e.elems, e.elems).Interface()
		for off, i := e.begin, 0; off < e.end; {
			chunk := buf[:min(int64(len(buf)), e.end-off)]
			if err := readFullAt(r, chunk, dataStart+off); err != nil {
				return nil, nil, errors.Wrapf(err, "safetensors: reading tensor %q", e.name)
			}
			if i, err = decodeElems(values, i, chunk); err != nil {
				return nil, nil, errors.Wrapf(err, "safetensors: tensor %q", e.name)
			}
			off += int64(len(chunk))
		}
		tensors[e.name] = tensor.New(tensor.WithShape(e.shape...), tensor.WithBacking(values))
	}
	return tensors, metadata, nil
}

// ReadSafetensorsFile reads the safetensors file at path (see ReadSafetensors).
func ReadSafetensorsFile(path string) (map[string]*tensor.Dense, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, errors.Wrap(err, "safetensors")
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, errors.Wrap(err, "safetensors")
	}
	tensors, metadata, err := ReadSafetensors(f, info.Size())
	return tensors, metadata, errors.Wrapf(err, "reading %s", path)
}

// WriteSafetensorsFile writes tensors and metadata to path atomically (see
// WriteSafetensors and WriteFileAtomic).
func WriteSafetensorsFile(path string, tensors []NamedTensor, metadata map[string]string) error {
	err := WriteFileAtomic(path, func(w io.Writer) error { return WriteSafetensors(w, tensors, metadata) })
	return errors.Wrapf(err, "writing %s", path)
}

// stTensor is a validated header entry.
type stTensor struct {
	name       string
	dtype      stDtype
	shape      []int
	elems      int
	begin, end int64 // byte offsets within the data section
}

// parseSafetensorsHeader decodes and validates the JSON header: an object of
// tensor entries and an optional "__metadata__" object of strings, followed
// by nothing but whitespace. Shapes are checked against overflow with the
// header-independent bound math.MaxInt64 bytes; layout checks come later.
func parseSafetensorsHeader(js []byte) ([]stTensor, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, errors.New("safetensors: the header is not a JSON object")
	}
	var entries []stTensor
	var metadata map[string]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, errors.Wrap(err, "safetensors: invalid JSON header")
		}
		name := tok.(string) // object keys are always strings
		if seen[name] {
			return nil, nil, errors.Errorf("safetensors: header key %q appears twice", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, errors.Wrap(err, "safetensors: invalid JSON header")
		}
		if name == safetensorsMetadataKey {
			if err := strictUnmarshal(raw, &metadata); err != nil {
				return nil, nil, errors.Wrap(err, "safetensors: __metadata__ must be an object of strings")
			}
			continue
		}
		e, err := parseSafetensorsEntry(name, raw)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, errors.Wrap(err, "safetensors: invalid JSON header")
	}
	rest := js[dec.InputOffset():]
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, nil, errors.New("safetensors: data after the JSON header")
	}
	return entries, metadata, nil
}

func parseSafetensorsEntry(name string, raw json.RawMessage) (stTensor, error) {
	if name == "" {
		return stTensor{}, errors.New("safetensors: tensor with an empty name")
	}
	var e stEntry
	if err := strictUnmarshal(raw, &e); err != nil {
		return stTensor{}, errors.Wrapf(err, "safetensors: tensor %q: invalid header entry", name)
	}
	d, ok := stDtypeByName(e.Dtype)
	if !ok {
		return stTensor{}, errors.Errorf("safetensors: tensor %q: unsupported dtype %q (supported: %s)", name, e.Dtype, stDtypeNames())
	}
	if e.Shape == nil {
		return stTensor{}, errors.Errorf("safetensors: tensor %q: missing shape", name)
	}
	if len(e.DataOffsets) != 2 {
		return stTensor{}, errors.Errorf("safetensors: tensor %q: data_offsets must be [begin, end], got %v", name, e.DataOffsets)
	}
	// Bound every product by the largest byte count an int64 offset can
	// describe, so neither the element count nor the byte size overflows.
	maxElems := int64(math.MaxInt64) / int64(d.size)
	elems := int64(1)
	shape := make([]int, len(e.Shape))
	for i, s := range e.Shape {
		if s <= 0 {
			return stTensor{}, errors.Errorf("safetensors: tensor %q: shape %v has a non-positive dimension (not supported)", name, e.Shape)
		}
		if elems > maxElems/s {
			return stTensor{}, errors.Errorf("safetensors: tensor %q: shape %v is too large", name, e.Shape)
		}
		elems *= s
		shape[i] = int(s)
	}
	if elems > math.MaxInt/int64(d.size) {
		return stTensor{}, errors.Errorf("safetensors: tensor %q: shape %v is too large for this platform", name, e.Shape)
	}
	begin, end := e.DataOffsets[0], e.DataOffsets[1]
	if begin < 0 || end < begin {
		return stTensor{}, errors.Errorf("safetensors: tensor %q: invalid data_offsets [%d, %d]", name, begin, end)
	}
	if end-begin != elems*int64(d.size) {
		return stTensor{}, errors.Errorf("safetensors: tensor %q: data_offsets [%d, %d] hold %d bytes but shape %v of %s needs %d",
			name, begin, end, end-begin, e.Shape, d.name, elems*int64(d.size))
	}
	return stTensor{name: name, dtype: d, shape: shape, elems: int(elems), begin: begin, end: end}, nil
}

// checkSafetensorsLayout checks that the tensors' byte ranges tile the data
// section of dataSize bytes exactly, and sorts entries by offset.
func checkSafetensorsLayout(entries []stTensor, dataSize int64) error {
	sort.Slice(entries, func(i, j int) bool { return entries[i].begin < entries[j].begin })
	var pos int64
	for i, e := range entries {
		switch {
		case e.begin < pos:
			return errors.Errorf("safetensors: tensor %q: data_offsets [%d, %d] overlap tensor %q", e.name, e.begin, e.end, entries[i-1].name)
		case e.begin > pos:
			return errors.Errorf("safetensors: tensor %q: data_offsets [%d, %d] leave a gap of %d bytes before it", e.name, e.begin, e.end, e.begin-pos)
		case e.end > dataSize:
			return errors.Errorf("safetensors: tensor %q: data_offsets [%d, %d] run past the end of the data (%d bytes; truncated file?)", e.name, e.begin, e.end, dataSize)
		}
		pos = e.end
	}
	if pos != dataSize {
		return errors.Errorf("safetensors: %d bytes of data after the last tensor", dataSize-pos)
	}
	return nil
}

// readFullAt reads len(p) bytes at off. Unlike a bare ReadAt it accepts the
// io.EOF that a reader may return together with a full read at the end.
func readFullAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// strictUnmarshal decodes one JSON value into v, rejecting unknown fields.
func strictUnmarshal(raw []byte, v interface{}) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
