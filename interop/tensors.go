package interop

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// float is the element type of the weights this package converts.
type float interface{ float32 | float64 }

// matrix is a row-major [Rows, Cols] view of a weight's elements.
type matrix[T float] struct {
	data       []T
	rows, cols int
}

// dense wraps elements in a new tensor of shape.
func dense[T float](data []T, shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// transposeData returns the [cols, rows] transpose of the row-major
// [rows, cols] data.
func transposeData[T float](data []T, rows, cols int) []T {
	out := make([]T, len(data))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			out[c*rows+r] = data[r*cols+c]
		}
	}
	return out
}

// columnsData returns columns [from, to) of the row-major [rows, cols] data.
func columnsData[T float](data []T, rows, cols, from, to int) []T {
	out := make([]T, 0, rows*(to-from))
	for r := 0; r < rows; r++ {
		out = append(out, data[r*cols+from:r*cols+to]...)
	}
	return out
}

// joinColumnsData places row-major [rows, c_i] blocks side by side.
func joinColumnsData[T float](rows int, blocks ...matrix[T]) []T {
	var out []T
	for r := 0; r < rows; r++ {
		for _, b := range blocks {
			out = append(out, b.data[r*b.cols:(r+1)*b.cols]...)
		}
	}
	return out
}

// withData applies f to the elements of t, which must be float32 or float64.
func withData(t *tensor.Dense, f32 func([]float32) *tensor.Dense, f64 func([]float64) *tensor.Dense) (*tensor.Dense, error) {
	switch d := t.Data().(type) {
	case []float32:
		return f32(d), nil
	case []float64:
		return f64(d), nil
	}
	return nil, errors.Errorf("element type %v, want float32 or float64", t.Dtype())
}

// transpose returns the transpose of the 2-D tensor t.
func transpose(t *tensor.Dense) (*tensor.Dense, error) {
	s := t.Shape()
	if len(s) != 2 {
		return nil, errors.Errorf("shape %v is not a matrix", s)
	}
	return withData(t,
		func(d []float32) *tensor.Dense { return dense(transposeData(d, s[0], s[1]), s[1], s[0]) },
		func(d []float64) *tensor.Dense { return dense(transposeData(d, s[0], s[1]), s[1], s[0]) })
}

// splitColumns cuts the 2-D tensor t [R, n·C] (or the vector [n·C]) into n
// equal blocks of columns, [R, C] (or [C]) each.
func splitColumns(t *tensor.Dense, n int) ([]*tensor.Dense, error) {
	s := t.Shape()
	rows, cols := 1, s[len(s)-1]
	if len(s) == 2 {
		rows = s[0]
	} else if len(s) != 1 {
		return nil, errors.Errorf("shape %v is not a vector or a matrix", s)
	}
	if cols%n != 0 {
		return nil, errors.Errorf("shape %v: %d columns do not split into %d equal parts", s, cols, n)
	}
	w := cols / n
	out := make([]*tensor.Dense, n)
	for i := range out {
		shape := []int{rows, w}
		if len(s) == 1 {
			shape = []int{w}
		}
		var err error
		out[i], err = withData(t,
			func(d []float32) *tensor.Dense { return dense(columnsData(d, rows, cols, i*w, (i+1)*w), shape...) },
			func(d []float64) *tensor.Dense { return dense(columnsData(d, rows, cols, i*w, (i+1)*w), shape...) })
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// joinColumns places 2-D tensors [R, C_i] (or vectors [C_i]) of one
// element type side by side: [R, ΣC_i] (or [ΣC_i]).
func joinColumns(ts ...*tensor.Dense) (*tensor.Dense, error) {
	s0 := ts[0].Shape()
	rows := 1
	if len(s0) == 2 {
		rows = s0[0]
	}
	total := 0
	for _, t := range ts {
		s := t.Shape()
		if len(s) != len(s0) || (len(s) == 2 && s[0] != rows) || t.Dtype() != ts[0].Dtype() {
			return nil, errors.Errorf("cannot join %v %v and %v %v side by side", s0, ts[0].Dtype(), s, t.Dtype())
		}
		total += s[len(s)-1]
	}
	shape := []int{rows, total}
	if len(s0) == 1 {
		shape = []int{total}
	}
	return withData(ts[0],
		func([]float32) *tensor.Dense { return dense(joinColumnsData(rows, blocks[float32](ts)...), shape...) },
		func([]float64) *tensor.Dense { return dense(joinColumnsData(rows, blocks[float64](ts)...), shape...) })
}

// blocks views tensors of element type T as matrices.
func blocks[T float](ts []*tensor.Dense) []matrix[T] {
	out := make([]matrix[T], len(ts))
	for i, t := range ts {
		s := t.Shape()
		out[i] = matrix[T]{data: t.Data().([]T), rows: 1, cols: s[len(s)-1]}
		if len(s) == 2 {
			out[i].rows = s[0]
		}
	}
	return out
}

// convert returns t with element type dt (float32 or float64), t itself
// when it already has it.
func convert(t *tensor.Dense, dt tensor.Dtype) (*tensor.Dense, error) {
	if t.Dtype() == dt {
		return t, nil
	}
	s := []int(t.Shape().Clone())
	switch {
	case dt == tensor.Float32:
		return withData(t,
			func(d []float32) *tensor.Dense { return dense(d, s...) },
			func(d []float64) *tensor.Dense { return dense(convertData[float64, float32](d), s...) })
	case dt == tensor.Float64:
		return withData(t,
			func(d []float32) *tensor.Dense { return dense(convertData[float32, float64](d), s...) },
			func(d []float64) *tensor.Dense { return dense(d, s...) })
	}
	return nil, errors.Errorf("element type %v, want float32 or float64", dt)
}

func convertData[S, D float](src []S) []D {
	out := make([]D, len(src))
	for i, v := range src {
		out[i] = D(v)
	}
	return out
}

// equalValues reports whether a and b have the same shape, element type
// and elements.
func equalValues(a, b *tensor.Dense) bool {
	if !a.Shape().Eq(b.Shape()) || a.Dtype() != b.Dtype() {
		return false
	}
	switch x := a.Data().(type) {
	case []float32:
		return equalData(x, b.Data().([]float32))
	case []float64:
		return equalData(x, b.Data().([]float64))
	}
	return false
}

func equalData[T float](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
