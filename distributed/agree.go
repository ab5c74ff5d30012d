package distributed

import (
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// MeanAcross returns, on every rank, the mean across ranks of each rank's
// loss, and whether any rank asked to stop (stop true on that rank), with
// one all-reduce of two values. A training loop calls it after every step,
// so that every rank logs the same global loss, and every rank stops after
// the same step when one of them saw a signal or a NaN loss: a NaN on any
// rank makes the mean NaN everywhere.
func MeanAcross(comm Comm, loss float64, stop bool) (float64, bool, error) {
	if comm.Size() == 1 {
		return loss, stop, nil
	}
	buf := []float64{loss, 0}
	if stop {
		buf[1] = 1
	}
	if err := comm.AllReduceFloat64(buf); err != nil {
		return math.NaN(), true, errors.Wrap(err, "distributed: all-reduce of the loss")
	}
	return buf[0] / float64(comm.Size()), buf[1] > 0, nil
}

// Identical checks that params hold, bit for bit, the same values on every
// rank as on rank 0 (a debugging check of data parallelism, costing one
// broadcast of every parameter and one all-reduce); it returns an error
// naming the first parameter that differs on this rank or on any other.
func Identical(comm Comm, params []*graph.Param) error {
	if comm.Size() == 1 {
		return nil
	}
	var b32 []float32
	var b64 []float64
	for _, p := range params {
		if v := p.Value(); v.Dtype() == tensor.Float32 {
			b32 = append(b32, v.Float32s()...)
		} else {
			b64 = append(b64, v.Float64s()...)
		}
	}
	if err := comm.BroadcastFloat32(b32, 0); err != nil {
		return errors.Wrap(err, "distributed: Identical")
	}
	if err := comm.BroadcastFloat64(b64, 0); err != nil {
		return errors.Wrap(err, "distributed: Identical")
	}
	differs := ""
	for _, p := range params {
		if differs != "" {
			break
		}
		if v := p.Value(); v.Dtype() == tensor.Float32 {
			for i, x := range v.Float32s() {
				if math.Float32bits(x) != math.Float32bits(b32[i]) {
					differs = p.Name()
					break
				}
			}
			b32 = b32[v.DataSize():]
		} else {
			for i, x := range v.Float64s() {
				if math.Float64bits(x) != math.Float64bits(b64[i]) {
					differs = p.Name()
					break
				}
			}
			b64 = b64[v.DataSize():]
		}
	}
	var err error
	if differs != "" {
		err = errors.Errorf("distributed: parameter %q on rank %d differs from rank 0's", differs, comm.Rank())
	}
	return agree(comm, err)
}
