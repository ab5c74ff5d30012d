package layers

import (
	"fmt"
	"math"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// SinusoidalTable returns the sinusoidal positional encodings of Vaswani et
// al. (2017, §3.5) as a float64 tensor of shape [maxLen, dim]:
//
//	PE(pos, 2i)   = sin(pos / 10000^(2i/dim))
//	PE(pos, 2i+1) = cos(pos / 10000^(2i/dim))
//
// Each pair of columns (2i, 2i+1) turns at its own frequency, so for every
// offset k, PE(pos+k) is a fixed linear map (a rotation of each pair) of
// PE(pos). An odd dim ends with a sine column. It returns nil unless maxLen
// and dim are positive.
func SinusoidalTable(maxLen, dim int) *tensor.Dense {
	if maxLen <= 0 || dim <= 0 {
		return nil
	}
	v := make([]float64, maxLen*dim)
	for i := 0; 2*i < dim; i++ {
		freq := math.Pow(10000, -float64(2*i)/float64(dim))
		for pos := 0; pos < maxLen; pos++ {
			sin, cos := math.Sincos(float64(pos) * freq)
			v[pos*dim+2*i] = sin
			if 2*i+1 < dim {
				v[pos*dim+2*i+1] = cos
			}
		}
	}
	return tensor.New(tensor.WithShape(maxLen, dim), tensor.WithBacking(v))
}

// PositionalEncoding adds a position-dependent vector to every position of a
// batch of sequences [B,T,D]: either the fixed sinusoidal table of Vaswani et
// al. (2017, §3.5) (NewSinusoidalPE) or a trained table of position
// embeddings as in BERT and GPT-2 (NewLearnedPE).
type PositionalEncoding struct {
	Weight *graph.Param // learned table "<name>.weight" [MaxLen, Dim]; nil when sinusoidal
	MaxLen int          // longest sequence the encoding covers
	Dim    int          // model width D
	m      *graph.Model
	id     string
}

// NewSinusoidalPE returns the fixed sinusoidal encoding for sequences of up
// to maxLen positions of width dim. The table is a constant of the model's
// graph, in the model's element type, not a parameter.
func NewSinusoidalPE(m *graph.Model, maxLen, dim int) (*PositionalEncoding, error) {
	pe := &PositionalEncoding{MaxLen: maxLen, Dim: dim, m: m, id: "SinusoidalPE"}
	if err := checkPositive(pe.id, "maxLen and dim", maxLen, dim); err != nil {
		return nil, err
	}
	return pe, nil
}

// NewLearnedPE returns a learned positional encoding named name: a trained
// table "<name>.weight" [maxLen, dim] drawn from N(0, 0.02²) by default (as
// in GPT-2); WeightInit changes that.
func NewLearnedPE(m *graph.Model, name string, maxLen, dim int, opts ...Option) (*PositionalEncoding, error) {
	pe := &PositionalEncoding{MaxLen: maxLen, Dim: dim, m: m, id: layerID("LearnedPE", name)}
	if err := checkPositive(pe.id, "maxLen and dim", maxLen, dim); err != nil {
		return nil, err
	}
	o := applyOptions(options{weightInit: graph.Normal(0.02)}, opts)
	w, err := m.NewParam(graph.Join(name, "weight"), tensor.Shape{maxLen, dim}, o.weightInit)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s", pe.id)
	}
	pe.Weight = w
	return pe, nil
}

// Forward returns x + PE[:T] for x of shape [B,T,Dim] with T ≤ MaxLen, the
// first T rows of the table broadcast over the batch.
func (pe *PositionalEncoding) Forward(x *gorgonia.Node) (*gorgonia.Node, error) {
	if err := checkInput(pe.id, x, pe.m.Dtype(), seqLayouts, pe.Dim); err != nil {
		return nil, err
	}
	t := x.Shape()[1]
	if t > pe.MaxLen {
		return nil, errors.Errorf("layers: %s: input shape %v has %d positions, more than maxLen %d (table [%d,%d])",
			pe.id, x.Shape(), t, pe.MaxLen, pe.MaxLen, pe.Dim)
	}
	table, err := pe.node(t)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s", pe.id)
	}
	y, err := gorgonia.BroadcastAdd(x, table, nil, []byte{0})
	return y, errors.Wrapf(err, "layers: %s: adding the table", pe.id)
}

// node returns a [t,Dim] node holding the first t rows of the table.
//
// Constants are named after their content, because Gorgonia merges input
// nodes of equal name, type and shape. The learned table is cut by a gather
// on axis 0 rather than by Slice: Gorgonia v0.9.18 merges slices whose bounds
// differ by a multiple of 256, which would silently give a T=300 graph the
// rows of a T=44 one.
func (pe *PositionalEncoding) node(t int) (*gorgonia.Node, error) {
	if pe.Weight == nil {
		shape := tensor.Shape{t, pe.Dim}
		return pe.m.ConstOf(fmt.Sprintf("layers.sinusoidal_pe[%d,%d]", t, pe.Dim), pe.m.Dtype(), shape, func() *tensor.Dense {
			return denseOf(pe.m.Dtype(), shape, SinusoidalTable(t, pe.Dim).Float64s())
		}), nil
	}
	if t == pe.MaxLen {
		return pe.Weight.Node(), nil
	}
	idx := pe.m.ConstOf(fmt.Sprintf("layers.positions[0:%d]", t), tensor.Int, tensor.Shape{t}, func() *tensor.Dense {
		positions := make([]int, t)
		for i := range positions {
			positions[i] = i
		}
		return tensor.New(tensor.WithShape(t), tensor.WithBacking(positions))
	})
	return gorgonia.ByIndices(pe.Weight.Node(), idx, 0)
}

// Table returns a float64 copy of the first t rows of the encoding, [t,Dim]:
// the sinusoidal table, or the current values of the learned one.
func (pe *PositionalEncoding) Table(t int) (*tensor.Dense, error) {
	if t <= 0 || t > pe.MaxLen {
		return nil, errors.Errorf("layers: %s: Table(%d) outside 1..maxLen %d", pe.id, t, pe.MaxLen)
	}
	if pe.Weight == nil {
		return SinusoidalTable(t, pe.Dim), nil
	}
	v := make([]float64, t*pe.Dim)
	switch w := pe.Weight.Value().Data().(type) {
	case []float64:
		copy(v, w)
	case []float32:
		for i := range v {
			v[i] = float64(w[i])
		}
	default:
		return nil, errors.Errorf("layers: %s: unsupported element type %v", pe.id, pe.Weight.Value().Dtype())
	}
	return tensor.New(tensor.WithShape(t, pe.Dim), tensor.WithBacking(v)), nil
}

// denseOf returns a tensor of element type dt (Float32 or Float64) and the
// given shape holding values.
func denseOf(dt tensor.Dtype, shape tensor.Shape, values []float64) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(values))
		for i, v := range values {
			f[i] = float32(v)
		}
		return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(append([]float64(nil), values...)))
}
