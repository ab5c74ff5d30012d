package plot

import (
	"image/color"
	"math"

	"github.com/pkg/errors"
)

// Colours of the loss curves (the first two of the Tableau 10 palette).
var (
	trainColour = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	valColour   = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
)

// Curve is a loss logged against the step: Loss[i] at Step[i].
type Curve struct {
	Step, Loss []float64
}

// LossChart returns the chart of a run's losses against the step, 7 × 4.3
// inches: the training loss as a line, the validation loss as a line with a
// dot at each evaluation (a curve of a single point is a dot). Non-finite
// losses (a diverged step) are left out; it is an error when Step and Loss
// lengths differ or no finite loss remains.
func LossChart(train, val Curve) (Chart, error) {
	c := Chart{Title: "Loss", XLabel: "step", YLabel: "loss", Width: 7, Height: 4.3}
	n := 0
	for _, s := range []struct {
		name   string
		curve  Curve
		colour color.Color
		dots   bool
	}{{"train", train, trainColour, false}, {"val", val, valColour, true}} {
		if len(s.curve.Step) != len(s.curve.Loss) {
			return Chart{}, errors.Errorf("plot: %s loss curve: %d steps but %d losses", s.name, len(s.curve.Step), len(s.curve.Loss))
		}
		n += len(s.curve.Loss)
		var x, y []float64
		for i, loss := range s.curve.Loss {
			if !math.IsNaN(loss) && !math.IsInf(loss, 0) {
				x, y = append(x, s.curve.Step[i]), append(y, loss)
			}
		}
		if len(y) > 0 {
			// A lone point draws no line: mark it.
			c.Series = append(c.Series, Series{Name: s.name, X: x, Y: y, Color: s.colour, Marked: s.dots || len(y) == 1})
		}
	}
	if len(c.Series) == 0 {
		return Chart{}, errors.Errorf("plot: no finite losses among %d", n)
	}
	return c, nil
}
