package safetensors

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"

	"github.com/pkg/errors"
)

// metadataKey is the reserved header key holding string metadata.
const metadataKey = "__metadata__"

// entry is a validated header entry.
type entry struct {
	name       string
	dtype      dtype
	shape      []int
	elems      int
	begin, end int64 // byte offsets within the data section
}

// parseHeader decodes and validates the JSON header: an object of
// tensor entries and an optional "__metadata__" object of strings, followed
// by nothing but whitespace. Shapes are checked against overflow with the
// header-independent bound math.MaxInt64 bytes; layout checks come later.
func parseHeader(js []byte) ([]entry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, errors.New("safetensors: the header is not a JSON object")
	}
	var entries []entry
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
		if name == metadataKey {
			if err := strictUnmarshal(raw, &metadata); err != nil {
				return nil, nil, errors.Wrap(err, "safetensors: __metadata__ must be an object of strings")
			}
			continue
		}
		e, err := parseEntry(name, raw)
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

func parseEntry(name string, raw json.RawMessage) (entry, error) {
	if name == "" {
		return entry{}, errors.New("safetensors: tensor with an empty name")
	}
	var e headerEntry
	if err := strictUnmarshal(raw, &e); err != nil {
		return entry{}, errors.Wrapf(err, "safetensors: tensor %q: invalid header entry", name)
	}
	d, ok := dtypeByName(e.Dtype)
	if !ok {
		return entry{}, errors.Errorf("safetensors: tensor %q: unsupported dtype %q (supported: %s)", name, e.Dtype, dtypeNames())
	}
	if e.Shape == nil {
		return entry{}, errors.Errorf("safetensors: tensor %q: missing shape", name)
	}
	if len(e.DataOffsets) != 2 {
		return entry{}, errors.Errorf("safetensors: tensor %q: data_offsets must be [begin, end], got %v", name, e.DataOffsets)
	}
	// Bound every product by the largest byte count an int64 offset can
	// describe, so neither the element count nor the byte size overflows.
	maxElems := int64(math.MaxInt64) / int64(d.size)
	elems := int64(1)
	shape := make([]int, len(e.Shape))
	for i, s := range e.Shape {
		if s <= 0 {
			return entry{}, errors.Errorf("safetensors: tensor %q: shape %v has a non-positive dimension (not supported)", name, e.Shape)
		}
		if elems > maxElems/s {
			return entry{}, errors.Errorf("safetensors: tensor %q: shape %v is too large", name, e.Shape)
		}
		elems *= s
		shape[i] = int(s)
	}
	if elems > math.MaxInt/int64(d.size) {
		return entry{}, errors.Errorf("safetensors: tensor %q: shape %v is too large for this platform", name, e.Shape)
	}
	begin, end := e.DataOffsets[0], e.DataOffsets[1]
	if begin < 0 || end < begin {
		return entry{}, errors.Errorf("safetensors: tensor %q: invalid data_offsets [%d, %d]", name, begin, end)
	}
	if end-begin != elems*int64(d.size) {
		return entry{}, errors.Errorf("safetensors: tensor %q: data_offsets [%d, %d] hold %d bytes but shape %v of %s needs %d",
			name, begin, end, end-begin, e.Shape, d.name, elems*int64(d.size))
	}
	return entry{name: name, dtype: d, shape: shape, elems: int(elems), begin: begin, end: end}, nil
}

// checkLayout checks that the tensors' byte ranges tile the data
// section of dataSize bytes exactly, and sorts entries by offset.
func checkLayout(entries []entry, dataSize int64) error {
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

// strictUnmarshal decodes one JSON value into v, rejecting unknown fields.
func strictUnmarshal(raw []byte, v interface{}) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
