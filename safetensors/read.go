package safetensors

import (
	"encoding/binary"
	"io"
	"math"
	"reflect"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// MaxHeaderSize is the largest JSON header Read accepts, in bytes (the limit
// of the reference implementation, 100 MB).
const MaxHeaderSize = 100_000_000

// Read reads a safetensors file of size bytes from r and returns
// its tensors by name and its metadata (nil when the file has none).
//
// The file is treated as untrusted: the header must be at most
// min(size−8, MaxHeaderSize) bytes of valid JSON, every tensor must
// have a supported dtype, a shape of positive dimensions whose byte size
// matches its data offsets, and the offsets must tile the data section
// exactly (no overlap, no gap, nothing past the end). All of this is checked
// before any tensor memory is allocated, so a header claiming a huge tensor
// fails fast. Errors name the offending tensor.
func Read(r io.ReaderAt, size int64) (map[string]*tensor.Dense, map[string]string, error) {
	if size < 8 {
		return nil, nil, errors.Errorf("safetensors: %d bytes is too short for a header", size)
	}
	var prefix [8]byte
	if err := readFullAt(r, prefix[:], 0); err != nil {
		return nil, nil, errors.Wrap(err, "safetensors: reading the header length")
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	if limit := uint64(min(size-8, MaxHeaderSize)); n > limit {
		return nil, nil, errors.Errorf("safetensors: header length %d exceeds the limit %d (file of %d bytes)", n, limit, size)
	}
	js := make([]byte, n)
	if err := readFullAt(r, js, 8); err != nil {
		return nil, nil, errors.Wrap(err, "safetensors: reading the header")
	}
	entries, metadata, err := parseHeader(js)
	if err != nil {
		return nil, nil, err
	}
	dataStart := 8 + int64(n)
	if err := checkLayout(entries, size-dataStart); err != nil {
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
