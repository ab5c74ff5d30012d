package ops

import (
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/internal/vec32"
)

// sumRowsOp sums dy [..., out] over every leading dimension: [out].
type sumRowsOp struct {
	dims int // rank of x and dy
}

func (op sumRowsOp) String() string { return "SumRows" }
func (op sumRowsOp) spec() spec {
	return spec{types: tensorTypes(op.dims, 1), params: []uint64{uint64(op.dims)}}
}

func (op sumRowsOp) shape(in []tensor.Shape) (tensor.Shape, error) {
	return tensor.Shape{in[0][len(in[0])-1]}, nil
}

func (op sumRowsOp) compute(out output, values []gorgonia.Value) (gorgonia.Value, error) {
	g, err := floatInput(op, values, 0)
	if err != nil {
		return nil, err
	}
	n := g.Shape()[g.Dims()-1]
	db, err := out.buffer(g.Dtype(), tensor.Shape{n})
	if err != nil {
		return nil, err
	}
	if g.Dtype() == tensor.Float32 {
		sumRows(elems[float32](g), elems[float32](db), n)
	} else {
		sumRows(elems[float64](g), elems[float64](db), n)
	}
	return db, nil
}

// sumRows sets db[j] = Σ_r g[r·out + j], the sum of the rows of g [rows, out]
// (every element of db is written; its old contents are ignored), each
// column in row order. In float32 each row is added with vec32.AddTo (AVX2,
// 8 columns at a time), giving the same bits as the scalar loop.
//
// It runs on one goroutine: splitting the columns between goroutines (each
// adding its part of every row) was slower on the shared 2-core development
// machine for every shape of BenchmarkSumRows, 2048×128 up to 16384×512; the
// sum is bound by memory and by the per-row calls.
func sumRows[T opFloat](g, db []T, out int) {
	clear(db)
	if g32, ok := any(g).([]float32); ok {
		db32 := any(db).([]float32)
		for r := 0; r < len(g32); r += out {
			vec32.AddTo(db32, g32[r:r+out])
		}
		return
	}
	for r := 0; r < len(g); r += out {
		for j, v := range g[r : r+out] {
			db[j] += v
		}
	}
}
