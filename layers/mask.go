package layers

import (
	"gorgonia.org/gorgonia"

	"github.com/gorgonet/gorgonet/ops"
)

// Mask says which keys each query of an attention may look at. The zero value
// masks nothing. Both masks may be combined: a key is visible when every mask
// in use allows it.
//
// Masked keys get exactly zero attention weight (the softmax runs over the
// visible keys only, it is not pushed towards zero by a large negative bias),
// and a query that sees no key at all (a fully masked row, e.g. a padded
// query whose keys are all padding) gets an all-zero row of weights, hence a
// zero output and a zero gradient, never NaN.
type Mask struct {
	// Causal lets query i see only keys j ≤ i, the autoregressive mask of the
	// Transformer decoder (Vaswani et al. 2017, §3.2.3). It needs as many
	// queries as keys.
	Causal bool
	// KeyPadding, of shape [B,Tk] and the element type of the scores, is
	// nonzero (1) where key j of sequence b is a real token and 0 where it is
	// padding, as built by ops.PaddingMask. Nil means no padding.
	KeyPadding *gorgonia.Node
}

// maskedSoftmax applies the fused scaled and masked softmax
// (ops.MaskedSoftmax) to scores of shape [B,…,Tq,Tk] under mask.
func maskedSoftmax(scores *gorgonia.Node, scale float64, mask Mask) (*gorgonia.Node, error) {
	return ops.MaskedSoftmax(scores, scale, mask.Causal, mask.KeyPadding)
}
