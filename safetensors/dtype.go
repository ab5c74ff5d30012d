package safetensors

import (
	"strconv"
	"strings"

	"gorgonia.org/tensor"
)

// dtype maps a safetensors dtype name to a tensor element type.
type dtype struct {
	name string // safetensors name, e.g. "F32"
	dt   tensor.Dtype
	size int // bytes per element
}

// dtypes lists the element types read and written. Go's platform int
// (tensor.Int, used for index inputs) is written as I64 and read back as
// tensor.Int64.
var dtypes = []dtype{
	{"F64", tensor.Float64, 8},
	{"F32", tensor.Float32, 4},
	{"I64", tensor.Int64, 8},
	{"I32", tensor.Int32, 4},
	{"U8", tensor.Uint8, 1},
	{"BOOL", tensor.Bool, 1},
}

func dtypeByName(name string) (dtype, bool) {
	for _, d := range dtypes {
		if d.name == name {
			return d, true
		}
	}
	return dtype{}, false
}

func dtypeOf(dt tensor.Dtype) (dtype, bool) {
	if dt == tensor.Int && strconv.IntSize == 64 {
		return dtype{"I64", tensor.Int, 8}, true
	}
	for _, d := range dtypes {
		if d.dt == dt {
			return d, true
		}
	}
	return dtype{}, false
}

func dtypeNames() string {
	names := make([]string, len(dtypes))
	for i, d := range dtypes {
		names[i] = d.name
	}
	return strings.Join(names, ", ")
}
