package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"sort"
	"unicode/utf8"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// NamedTensor is a tensor with a name, the unit of a safetensors file.
type NamedTensor struct {
	Name string
	T    *tensor.Dense
}

// headerEntry is one tensor's record in a safetensors header.
type headerEntry struct {
	Dtype       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// Write writes tensors and string metadata to w in the
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
func Write(w io.Writer, tensors []NamedTensor, metadata map[string]string) error {
	sorted := append([]NamedTensor(nil), tensors...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	header := make(map[string]interface{}, len(sorted)+1)
	if len(metadata) > 0 {
		for k, v := range metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return errors.Errorf("safetensors: metadata %q: %q is not valid UTF-8", k, v)
			}
		}
		header[metadataKey] = metadata
	}
	data := make([]interface{}, len(sorted)) // each tensor's backing slice
	var offset int64
	for i, nt := range sorted {
		if nt.Name == "" || nt.Name == metadataKey || !utf8.ValidString(nt.Name) {
			return errors.Errorf("safetensors: invalid tensor name %q", nt.Name)
		}
		if i > 0 && sorted[i-1].Name == nt.Name {
			return errors.Errorf("safetensors: tensor %q appears twice", nt.Name)
		}
		if nt.T == nil {
			return errors.Errorf("safetensors: tensor %q is nil", nt.Name)
		}
		d, ok := dtypeOf(nt.T.Dtype())
		if !ok {
			return errors.Errorf("safetensors: tensor %q: unsupported element type %v (supported: %s)", nt.Name, nt.T.Dtype(), dtypeNames())
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
		header[nt.Name] = headerEntry{Dtype: d.name, Shape: shape, DataOffsets: []int64{offset, offset + n}}
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
