package layers

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// At returns x + PE[position] for x [B,1,Dim], one position of every row,
// and position a tensor.Int [1] node (in 0…MaxLen−1): the encoding of
// Forward at one position fed at run time, for incremental decoding.
func (pe *PositionalEncoding) At(x, position *gorgonia.Node) (*gorgonia.Node, error) {
	if err := checkInput(pe.id, x, pe.m.Dtype(), seqLayouts, pe.Dim); err != nil {
		return nil, err
	}
	if x.Shape()[1] != 1 {
		return nil, errors.Errorf("layers: %s: At adds one position, got an input of shape %v", pe.id, x.Shape())
	}
	if position == nil || position.Dtype() != tensor.Int || !position.Shape().Eq(tensor.Shape{1}) {
		return nil, errors.Errorf("layers: %s: position %v, want tensor.Int [1]", pe.id, describeNode(position))
	}
	table, err := pe.node(pe.MaxLen)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s", pe.id)
	}
	row, err := gorgonia.ByIndices(table, position, 0) // [1,Dim]
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s: row of the table", pe.id)
	}
	y, err := gorgonia.BroadcastAdd(x, row, nil, []byte{0})
	return y, errors.Wrapf(err, "layers: %s: adding the row", pe.id)
}
