package distributed

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// ShardRows returns rank's part of a global batch t of shape [N·B, …]: the
// B consecutive rows starting at rank·B, where N is size, as a new tensor of
// shape [B, …]. Every rank draws the same global batch from an identically
// seeded batcher and keeps its own rows, so the shards are disjoint, their
// union is the global batch, and N ranks with local batch B see exactly the
// rows one process with batch N·B sees. The first dimension must be a
// multiple of size; with size 1, t itself is returned.
func ShardRows(t *tensor.Dense, rank, size int) (*tensor.Dense, error) {
	if size < 1 || rank < 0 || rank >= size {
		return nil, errors.Errorf("distributed: ShardRows: rank %d of %d", rank, size)
	}
	shape := t.Shape()
	if len(shape) == 0 || shape[0]%size != 0 {
		return nil, errors.Errorf("distributed: ShardRows: a batch of shape %v cannot be cut into %d equal shards of rows", shape, size)
	}
	if size == 1 {
		return t, nil
	}
	b := shape[0] / size
	v, err := t.Slice(tensor.S(rank*b, (rank+1)*b))
	if err != nil {
		return nil, errors.Wrapf(err, "distributed: ShardRows: rows %d…%d of %v", rank*b, (rank+1)*b, shape)
	}
	out := v.(*tensor.Dense).Materialize().(*tensor.Dense)
	// A slice of one row drops the first axis; put it back.
	rows := append(tensor.Shape{b}, shape[1:]...)
	if err := out.Reshape(rows...); err != nil {
		return nil, errors.Wrapf(err, "distributed: ShardRows: reshaping rows %d…%d of %v", rank*b, (rank+1)*b, shape)
	}
	return out, nil
}
