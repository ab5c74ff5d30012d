package layers

import (
	"fmt"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// layerID names a layer in error messages, e.g. `Linear "blocks.0.fc1"`.
func layerID(kind, name string) string { return fmt.Sprintf("%s %q", kind, name) }

// checkInput checks that x is a node of element type dt whose rank lies in
// [minRank, maxRank] and whose last dimension is last (any when last < 0). It
// returns an error naming the layer, the shape of x and the expected shape.
func checkInput(layer string, x *gorgonia.Node, dt tensor.Dtype, minRank, maxRank, last int) error {
	want := expectedShapes(minRank, maxRank, last)
	if x == nil {
		return errors.Errorf("layers: %s: nil input, want %s", layer, want)
	}
	if x.Dtype() != dt {
		return errors.Errorf("layers: %s: input of shape %v has element type %v, want %v %s", layer, x.Shape(), x.Dtype(), dt, want)
	}
	s := x.Shape()
	if len(s) < minRank || len(s) > maxRank || (last >= 0 && s[len(s)-1] != last) {
		return errors.Errorf("layers: %s: input shape %v, want %s", layer, s, want)
	}
	return nil
}

// expectedShapes describes the accepted shapes, e.g. "[N,4] or [B,T,4]".
func expectedShapes(minRank, maxRank, last int) string {
	lead := []string{"N", "B,T", "B,H,T"}
	lastName := "D"
	if last >= 0 {
		lastName = fmt.Sprint(last)
	}
	var alts []string
	for r := minRank; r <= maxRank; r++ {
		dims := lastName
		if r >= 2 && r-2 < len(lead) {
			dims = lead[r-2] + "," + lastName
		} else if r >= 2 {
			dims = strings.Repeat("?,", r-1) + lastName
		}
		alts = append(alts, "["+dims+"]")
	}
	return strings.Join(alts, " or ")
}
