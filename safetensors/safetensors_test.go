package safetensors

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// stFile builds a safetensors file from a raw header string and data bytes,
// without padding, the way a hostile writer could.
func stFile(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func mustWrite(t testing.TB, tensors []NamedTensor, metadata map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, tensors, metadata); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sameTensor reports whether a and b have equal dtypes, shapes and
// bitwise-equal elements (NaN payloads and signed zeros included).
func sameTensor(a, b *tensor.Dense) bool {
	if a.Dtype() != b.Dtype() || !slices.Equal(a.Shape(), b.Shape()) {
		return false
	}
	av, err1 := backingSlice(a)
	bv, err2 := backingSlice(b)
	if err1 != nil || err2 != nil {
		return false
	}
	switch x := av.(type) {
	case []float64:
		for i, v := range x {
			if math.Float64bits(v) != math.Float64bits(bv.([]float64)[i]) {
				return false
			}
		}
		return true
	case []float32:
		for i, v := range x {
			if math.Float32bits(v) != math.Float32bits(bv.([]float32)[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(av, bv)
}

func TestRoundTrip(t *testing.T) {
	nan := math.Float64frombits(0x7ff8_0000_dead_beef)
	matrix := tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{1, 2, 3, 4, 5, 6}))
	column, err := matrix.Slice(nil, tensor.S(1)) // a strided view: 2, 4, 6
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   *tensor.Dense
		want *tensor.Dense // nil: same as in
	}{
		{"F32", tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]float32{1.5, -0, float32(math.Inf(1)), 1e-45, 3.25, -7})), nil},
		{"F64", tensor.New(tensor.WithShape(2, 1, 2), tensor.WithBacking([]float64{math.Pi, math.Copysign(0, -1), nan, 5e-324})), nil},
		{"I64", tensor.New(tensor.WithShape(4), tensor.WithBacking([]int64{math.MinInt64, -1, 0, math.MaxInt64})), nil},
		{"I32", tensor.New(tensor.WithShape(2), tensor.WithBacking([]int32{math.MinInt32, 7})), nil},
		{"U8", tensor.New(tensor.WithShape(3), tensor.WithBacking([]uint8{0, 128, 255})), nil},
		{"BOOL", tensor.New(tensor.WithShape(3), tensor.WithBacking([]bool{true, false, true})), nil},
		{"int as I64", tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{-3, 9})),
			tensor.New(tensor.WithShape(2), tensor.WithBacking([]int64{-3, 9}))},
		{"scalar", tensor.New(tensor.WithShape(), tensor.WithBacking([]float64{2.5})), nil},
		{"view", column.(*tensor.Dense), tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{2, 4, 6}))},
		{"large", tensor.New(tensor.WithShape(300, 100), tensor.WithBacking(seq32(30000))), nil},
	}
	var all []NamedTensor
	for _, tc := range tests {
		all = append(all, NamedTensor{tc.name, tc.in})
	}
	meta := map[string]string{"step": "12", "note": "ünïcode \"quoted\""}
	file := mustWrite(t, all, meta)
	got, gotMeta, err := Read(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotMeta, meta) {
		t.Errorf("metadata = %v, want %v", gotMeta, meta)
	}
	if len(got) != len(tests) {
		t.Errorf("read %d tensors, wrote %d", len(got), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == nil {
				want = tc.in
			}
			if g := got[tc.name]; g == nil || !sameTensor(g, want) {
				t.Errorf("read %v, want %v", g, want)
			}
		})
	}
}

func seq32(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i) * 0.37
	}
	return v
}

// TestGoldenBytes checks the writer byte for byte against a file
// laid out by hand from the format's specification.
func TestGoldenBytes(t *testing.T) {
	file := mustWrite(t, []NamedTensor{
		{"b", tensor.New(tensor.WithShape(1), tensor.WithBacking([]int64{-2}))},
		{"a", tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 2}))},
	}, map[string]string{"k": "v"})
	header := `{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}}`
	header += strings.Repeat(" ", (8-len(header)%8)%8)
	data := []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	if want := stFile(header, data); !bytes.Equal(file, want) {
		t.Errorf("wrote\n%q\nwant\n%q", file, want)
	}
	if (len(file)-len(data))%8 != 0 {
		t.Errorf("data starts at %d, not 8-byte aligned", len(file)-len(data))
	}
}

func TestDeterministic(t *testing.T) {
	a := NamedTensor{"x", tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2}))}
	b := NamedTensor{"y", tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{3}))}
	f1 := mustWrite(t, []NamedTensor{a, b}, map[string]string{"p": "1", "q": "2"})
	f2 := mustWrite(t, []NamedTensor{b, a}, map[string]string{"q": "2", "p": "1"})
	if !bytes.Equal(f1, f2) {
		t.Errorf("the order of inputs changed the file:\n%q\n%q", f1, f2)
	}
}

func TestWriteErrors(t *testing.T) {
	ok := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{1}))
	tests := []struct {
		name    string
		tensors []NamedTensor
		want    string
	}{
		{"empty name", []NamedTensor{{"", ok}}, `invalid tensor name ""`},
		{"reserved name", []NamedTensor{{"__metadata__", ok}}, `invalid tensor name "__metadata__"`},
		{"invalid UTF-8", []NamedTensor{{"w\xff", ok}}, `invalid tensor name "w\xff"`},
		{"duplicate", []NamedTensor{{"w", ok}, {"w", ok}}, `tensor "w" appears twice`},
		{"nil", []NamedTensor{{"w", nil}}, `tensor "w" is nil`},
		{"dtype", []NamedTensor{{"c", tensor.New(tensor.WithShape(1), tensor.WithBacking([]complex128{1}))}}, `tensor "c": unsupported element type complex128`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tc.tensors, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	err := Write(&bytes.Buffer{}, []NamedTensor{{"w", ok}}, map[string]string{"k": "\xfe"})
	if err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("invalid metadata: err = %v", err)
	}
}

func TestReadErrors(t *testing.T) {
	f32 := func(name, shape, offsets string) string {
		return fmt.Sprintf(`%q:{"dtype":"F32","shape":%s,"data_offsets":%s}`, name, shape, offsets)
	}
	obj := func(entries ...string) string { return "{" + strings.Join(entries, ",") + "}" }
	eight := make([]byte, 8)
	hugeLen := make([]byte, 16)
	binary.LittleEndian.PutUint64(hugeLen, 1<<62)
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"header length past end", hugeLen, "header length 4611686018427387904 exceeds the limit 8"},
		{"header length over 100 MB", append(hugeLen, make([]byte, 10)...), "exceeds the limit"},
		{"invalid JSON", stFile(`{"a":`, nil), "invalid JSON"},
		{"not an object", stFile(`[1,2]`, nil), "not a JSON object"},
		{"trailing data", stFile(`{} {}`, nil), "data after the JSON header"},
		{"entry not an object", stFile(`{"a":3}`, nil), `tensor "a": invalid header entry`},
		{"unknown field", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, eight[:4]), `tensor "a": invalid header entry`},
		{"unknown dtype", stFile(`{"a":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}`, eight[:4]), `tensor "a": unsupported dtype "F17"`},
		{"F16 unsupported", stFile(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, eight[:4]), `unsupported dtype "F16"`},
		{"missing shape", stFile(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, eight[:4]), `tensor "a": missing shape`},
		{"negative dim", stFile(obj(f32("a", "[-1,4]", "[0,4]")), eight[:4]), `tensor "a": shape [-1 4] has a non-positive dimension`},
		{"zero dim", stFile(obj(f32("a", "[0]", "[0,0]")), nil), `non-positive dimension`},
		{"fractional dim", stFile(obj(f32("a", "[1.5]", "[0,4]")), eight[:4]), `tensor "a": invalid header entry`},
		{"overflowing shape", stFile(obj(f32("a", "[4294967296,4294967296]", "[0,4]")), eight[:4]), `tensor "a": shape [4294967296 4294967296] is too large`},
		{"dim beyond int64", stFile(obj(f32("a", "[1e30]", "[0,4]")), eight[:4]), `tensor "a": invalid header entry`},
		{"huge tensor", stFile(obj(f32("a", "[1000000,1000000]", "[0,4000000000000]")), eight), `tensor "a": data_offsets [0, 4000000000000] run past the end`},
		{"offsets not a pair", stFile(obj(f32("a", "[1]", "[0,4,8]")), eight[:4]), `tensor "a": data_offsets must be [begin, end]`},
		{"offsets reversed", stFile(obj(f32("a", "[1]", "[4,0]")), eight[:4]), `tensor "a": invalid data_offsets [4, 0]`},
		{"negative offset", stFile(obj(f32("a", "[1]", "[-4,0]")), eight[:4]), `invalid data_offsets`},
		{"size mismatch", stFile(obj(f32("a", "[2]", "[0,4]")), eight[:4]), `tensor "a": data_offsets [0, 4] hold 4 bytes but shape [2] of F32 needs 8`},
		{"overlap", stFile(obj(f32("a", "[2]", "[0,8]"), f32("b", "[1]", "[4,8]")), eight), `tensor "b": data_offsets [4, 8] overlap tensor "a"`},
		{"gap", stFile(obj(f32("a", "[1]", "[4,8]")), eight), `tensor "a": data_offsets [4, 8] leave a gap of 4 bytes`},
		{"truncated", stFile(obj(f32("a", "[2]", "[0,8]")), eight[:6]), `tensor "a": data_offsets [0, 8] run past the end of the data (6 bytes`},
		{"unindexed tail", stFile(obj(f32("a", "[1]", "[0,4]")), eight), "4 bytes of data after the last tensor"},
		{"duplicate key", stFile(obj(f32("a", "[1]", "[0,4]"), f32("a", "[1]", "[4,8]")), eight), `header key "a" appears twice`},
		{"empty name", stFile(obj(f32("", "[1]", "[0,4]")), eight[:4]), "empty name"},
		{"metadata not strings", stFile(`{"__metadata__":{"k":1}}`, nil), "__metadata__ must be an object of strings"},
		{"bad bool", stFile(`{"b":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}`, []byte{1, 7}), `tensor "b": element 1: byte 7 is not a boolean`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, meta, err := Read(bytes.NewReader(tc.file), int64(len(tc.file)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
			if got != nil || meta != nil {
				t.Errorf("returned %v, %v with an error", got, meta)
			}
		})
	}
}

// TestReadHugeClaimIsCheap checks that a header claiming a
// 10^12-element tensor is refused without allocating for it.
func TestReadHugeClaimIsCheap(t *testing.T) {
	file := stFile(`{"a":{"dtype":"F64","shape":[1000000,1000000],"data_offsets":[0,8000000000000]}}`, make([]byte, 64))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := Read(bytes.NewReader(file), int64(len(file)))
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("no error for a 10^12-element tensor in a tiny file")
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("allocated %d bytes before refusing", n)
	}
}

// ExampleWrite writes two tensors and reads them back.
func ExampleWrite() {
	var file bytes.Buffer
	w := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))
	steps := tensor.New(tensor.WithShape(1), tensor.WithBacking([]int64{100}))
	err := Write(&file, []NamedTensor{{"linear.weight", w}, {"steps", steps}}, map[string]string{"format": "pt"})
	if err != nil {
		fmt.Println(err)
		return
	}
	tensors, meta, err := Read(bytes.NewReader(file.Bytes()), int64(file.Len()))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tensors["linear.weight"].Shape(), tensors["linear.weight"].Data(), tensors["steps"].Data(), meta["format"])
	// Output: (2, 2) [1 2 3 4] [100] pt
}

func FuzzRead(f *testing.F) {
	f.Add(mustWrite(f, []NamedTensor{
		{"a", tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))},
		{"b", tensor.New(tensor.WithShape(1), tensor.WithBacking([]int64{7}))},
		{"c", tensor.New(tensor.WithShape(2), tensor.WithBacking([]bool{true, false}))},
		{"d", tensor.New(tensor.WithShape(), tensor.WithBacking([]float64{1}))},
	}, map[string]string{"k": "v"}))
	f.Add(mustWrite(f, nil, nil))
	f.Add(stFile(`{"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"b":{"dtype":"I32","shape":[1,1],"data_offsets":[3,7]}}`, []byte{1, 2, 3, 4, 5, 6, 7}))
	f.Add(stFile(`{"a":{"dtype":"F64","shape":[1000000,1000000],"data_offsets":[0,8000000000000]}}`, make([]byte, 8)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, file []byte) {
		tensors, meta, err := Read(bytes.NewReader(file), int64(len(file)))
		if err != nil {
			return
		}
		// What was accepted must survive a write and a second read unchanged.
		var list []NamedTensor
		for name, tt := range tensors {
			list = append(list, NamedTensor{name, tt})
		}
		again := mustWrite(t, list, meta)
		tensors2, meta2, err := Read(bytes.NewReader(again), int64(len(again)))
		if err != nil {
			t.Fatalf("rereading a written file: %v", err)
		}
		if len(meta) > 0 && !reflect.DeepEqual(meta, meta2) {
			t.Fatalf("metadata %v became %v", meta, meta2)
		}
		if len(tensors2) != len(tensors) {
			t.Fatalf("%d tensors became %d", len(tensors), len(tensors2))
		}
		for name, tt := range tensors {
			if !sameTensor(tt, tensors2[name]) {
				t.Fatalf("tensor %q changed: %v became %v", name, tt, tensors2[name])
			}
		}
	})
}
