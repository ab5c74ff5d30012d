package layers

import (
	"fmt"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Layouts accepted by the layers, as leading dimension names.
var (
	// rowLayouts is a batch of vectors [N,D] or of sequences [B,T,D], or the
	// per-head form [B,H,T,D] used inside attention.
	rowLayouts = []string{"N", "B,T", "B,H,T"}
	// seqLayouts is a batch of sequences [B,T,D].
	seqLayouts = []string{"B,T"}
	// idLayouts is a batch of token ids [N] or of sequences of ids [B,T].
	idLayouts = []string{"N", "B,T"}
)

// layerID names a layer in error messages, e.g. `Linear "blocks.0.fc1"`.
func layerID(kind, name string) string { return fmt.Sprintf("%s %q", kind, name) }

// checkInput checks that x is a node of element type dt whose shape is one of
// the layouts, each followed by a last (feature) dimension of size last, or by
// no further dimension when last < 0. The error names the layer, the shape of
// x and the expected shapes.
func checkInput(layer string, x *gorgonia.Node, dt tensor.Dtype, layouts []string, last int) error {
	want := describe(layouts, last)
	if x == nil {
		return errors.Errorf("layers: %s: nil input, want %s", layer, want)
	}
	s := x.Shape()
	if x.Dtype() != dt {
		return errors.Errorf("layers: %s: input of shape %v has element type %v, want %v %s", layer, s, x.Dtype(), dt, want)
	}
	for _, l := range layouts {
		rank := strings.Count(l, ",") + 1
		if last >= 0 {
			rank++
		}
		if len(s) == rank && (last < 0 || s[rank-1] == last) {
			return nil
		}
	}
	return errors.Errorf("layers: %s: input shape %v, want %s", layer, s, want)
}

// describe writes the accepted shapes, e.g. "[N,4] or [B,T,4]".
func describe(layouts []string, last int) string {
	alts := make([]string, len(layouts))
	for i, l := range layouts {
		if last >= 0 {
			l = fmt.Sprintf("%s,%d", l, last)
		}
		alts[i] = "[" + l + "]"
	}
	return strings.Join(alts, " or ")
}

// checkPositive returns an error naming the layer unless every size is positive.
func checkPositive(layer string, names string, sizes ...int) error {
	for _, s := range sizes {
		if s <= 0 {
			return errors.Errorf("layers: %s: %s must be positive, got %v", layer, names, sizes)
		}
	}
	return nil
}
