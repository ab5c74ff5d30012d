package layers

import (
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// Step applies the layer to one new position x [B,1,Dim] of the decoder
// input, the self-attention reading the earlier positions' keys and values
// from cache (MultiHeadAttention.Step), and returns the output [B,1,Dim]
// and the new position's key and value [B,1,Dim], to append to the cache.
// memory and crossMask are as in Forward. It computes what Forward computes
// at the last position of a causal self-attention over the cached
// positions and x, in evaluation mode (no dropout), without gradients.
func (l *DecoderLayer) Step(x *gorgonia.Node, cache KVCache, memory *gorgonia.Node, crossMask Mask) (y, key, value *gorgonia.Node, err error) {
	id := layerID("DecoderLayer", l.name)
	switch {
	case l.Cross == nil && memory != nil:
		return nil, nil, nil, errors.Errorf("layers: %s: built without cross-attention but given a memory of shape %v", id, memory.Shape())
	case l.Cross != nil && memory == nil:
		return nil, nil, nil, errors.Errorf("layers: %s: cross-attention needs the encoder's output (memory), got nil", id)
	}
	h, err := residual(l.Config.Norm, x, l.AttnNorm, func(in *gorgonia.Node) (*gorgonia.Node, error) {
		var out *gorgonia.Node
		out, key, value, err = l.Attn.Step(in, cache)
		return out, err
	})
	if err != nil {
		return nil, nil, nil, errors.Wrapf(err, "layers: %s: cached self-attention", id)
	}
	if l.Cross != nil {
		h, err = residual(l.Config.Norm, h, l.CrossNorm, func(in *gorgonia.Node) (*gorgonia.Node, error) {
			return l.Cross.Forward(in, memory, crossMask)
		})
		if err != nil {
			return nil, nil, nil, errors.Wrapf(err, "layers: %s: cross-attention", id)
		}
	}
	if h, err = residual(l.Config.Norm, h, l.FFNorm, l.FF.Forward); err != nil {
		return nil, nil, nil, errors.Wrapf(err, "layers: %s: feed-forward", id)
	}
	return h, key, value, nil
}

// SelfKeysValues returns the keys and values [B,T,Dim] that the layer's
// self-attention computes for the decoder input x [B,T,Dim] (from x, or
// from its LayerNorm with PreLN): what a cache for Step holds after the
// positions of x.
func (l *DecoderLayer) SelfKeysValues(x *gorgonia.Node) (keys, values *gorgonia.Node, err error) {
	in := x
	if l.Config.Norm == PreLN {
		if in, err = l.AttnNorm.Forward(x); err != nil {
			return nil, nil, err
		}
	}
	if keys, err = l.Attn.K.Forward(in); err != nil {
		return nil, nil, err
	}
	values, err = l.Attn.V.Forward(in)
	return keys, values, err
}
