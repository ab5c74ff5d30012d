package nbplot

import (
	"image"
	"image/color"
	"math"
	"strconv"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Heatmap draws a matrix as coloured cells, row 0 at the top like a printed
// matrix, with a colour bar on the right. Values spanning zero get a
// diverging blue–white–red scale centred on zero; other values a sequential
// scale from white (low) to navy (high).
type Heatmap struct {
	Title, XLabel, YLabel string
	Rows, Cols            int
	Values                []float64 // Rows×Cols numbers, row-major
	XTicks, YTicks        []string  // optional names of the columns / rows (nil, or one per column / row)
	Min, Max              float64   // colour range; both 0 means the range of Values
	Width, Height         float64   // inches; 0 means 6 × 3.5
}

// PNG draws the heatmap. It returns an error when Values does not hold
// Rows×Cols finite numbers, when tick names do not match the matrix, and for
// an empty colour range (Min ≥ Max when given). Values outside a given range
// get the colour of its nearest end.
func (h Heatmap) PNG() ([]byte, error) {
	if err := h.check(); err != nil {
		return nil, errors.Wrapf(err, "nbplot: heatmap %q", h.Title)
	}
	lo, hi := h.Min, h.Max
	if lo == 0 && hi == 0 {
		lo, hi = valueRange(h.Values)
	}
	if !(lo < hi) {
		return nil, errors.Errorf("nbplot: heatmap %q: colour range [%v, %v] is empty", h.Title, lo, hi)
	}
	scale, err := newColourScale(lo, hi)
	if err != nil {
		return nil, errors.Wrapf(err, "nbplot: heatmap %q", h.Title)
	}
	cells, err := h.image(scale)
	if err != nil {
		return nil, errors.Wrapf(err, "nbplot: heatmap %q", h.Title)
	}
	bar, err := scale.bar()
	if err != nil {
		return nil, errors.Wrapf(err, "nbplot: heatmap %q: colour bar", h.Title)
	}

	p := plot.New()
	p.Title.Text = h.Title
	p.X.Label.Text = h.XLabel
	p.Y.Label.Text = h.YLabel
	p.Add(plotter.NewImage(cells, -0.5, -0.5, float64(h.Cols)-0.5, float64(h.Rows)-0.5))
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Marker = cellTicks(h.Cols, h.XTicks, false)
	p.Y.Tick.Marker = cellTicks(h.Rows, h.YTicks, true)

	legend := plot.New()
	legend.Add(plotter.NewImage(bar, 0, lo, 1, hi))
	legend.HideX()
	legend.Y.Padding = 0
	legend.Title.Text = " " // keeps the bar level with the heatmap below the title

	w, ht := size(h.Width, h.Height)
	barW := vg.Inch * 0.75
	return renderPNG(w, ht, func(c draw.Canvas) {
		p.Draw(draw.Crop(c, 0, -barW, 0, 0))
		legend.Draw(draw.Crop(c, w-barW+vg.Points(6), 0, 0, 0))
	})
}

func (h Heatmap) check() error {
	switch {
	case h.Rows <= 0 || h.Cols <= 0:
		return errors.Errorf("shape %d×%d, want positive sizes", h.Rows, h.Cols)
	case len(h.Values) != h.Rows*h.Cols:
		return errors.Errorf("%d values for a %d×%d matrix", len(h.Values), h.Rows, h.Cols)
	case h.XTicks != nil && len(h.XTicks) != h.Cols:
		return errors.Errorf("%d column names for %d columns", len(h.XTicks), h.Cols)
	case h.YTicks != nil && len(h.YTicks) != h.Rows:
		return errors.Errorf("%d row names for %d rows", len(h.YTicks), h.Rows)
	}
	for i, v := range h.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.Errorf("value %d (row %d, column %d) is %v", i, i/h.Cols, i%h.Cols, v)
		}
	}
	return nil
}

// image returns the matrix as a picture whose cells are blocks of equal
// pixels, large enough that the smoothing of the scaled drawing only touches
// their borders.
func (h Heatmap) image(scale colourScale) (*image.NRGBA, error) {
	cw, ch := max(1, 640/h.Cols), max(1, 480/h.Rows)
	img := image.NewNRGBA(image.Rect(0, 0, h.Cols*cw, h.Rows*ch))
	for r := 0; r < h.Rows; r++ {
		for c := 0; c < h.Cols; c++ {
			col, err := scale.at(h.Values[r*h.Cols+c])
			if err != nil {
				return nil, err
			}
			for y := r * ch; y < (r+1)*ch; y++ {
				for x := c * cw; x < (c+1)*cw; x++ {
					img.Set(x, y, col)
				}
			}
		}
	}
	return img, nil
}

// valueRange returns the smallest and largest value, widened to a range of 1
// around a constant matrix so that it still gets a colour.
func valueRange(v []float64) (lo, hi float64) {
	lo, hi = v[0], v[0]
	for _, x := range v[1:] {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if hi-lo < 1e-12 {
		lo, hi = lo-0.5, hi+0.5
	}
	return lo, hi
}

// colourScale maps values in [lo, hi] to colours.
type colourScale struct {
	cm       palette.ColorMap
	lo, hi   float64
	reversed bool // the map runs from hi to lo
}

// newColourScale returns a diverging blue–white–red scale symmetric around
// zero for a range that spans zero, and a sequential white-to-navy one
// otherwise.
func newColourScale(lo, hi float64) (colourScale, error) {
	if lo < 0 && hi > 0 {
		m := math.Max(-lo, hi)
		cm := moreland.SmoothBlueRed()
		cm.SetMin(-m)
		cm.SetMax(m)
		return colourScale{cm: cm, lo: lo, hi: hi}, nil
	}
	cm, err := moreland.NewLuminance([]color.Color{ // dark to light
		color.NRGBA{R: 0x08, G: 0x1d, B: 0x58, A: 0xff},
		color.NRGBA{R: 0x22, G: 0x5e, B: 0xa8, A: 0xff},
		color.NRGBA{R: 0x7f, G: 0xcd, B: 0xbb, A: 0xff},
		color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff},
	})
	if err != nil {
		return colourScale{}, errors.Wrap(err, "sequential colour map")
	}
	cm.SetMin(lo)
	cm.SetMax(hi)
	return colourScale{cm: cm, lo: lo, hi: hi, reversed: true}, nil
}

// at returns the colour of v, clamped to the scale's range.
func (s colourScale) at(v float64) (color.Color, error) {
	v = math.Max(s.lo, math.Min(s.hi, v))
	if s.reversed {
		v = s.hi - (v - s.lo)
	}
	v = math.Max(s.cm.Min(), math.Min(s.cm.Max(), v)) // guard against rounding
	c, err := s.cm.At(v)
	return c, errors.Wrapf(err, "colour of %v", v)
}

// bar returns the colour bar: a one-pixel-wide column, high values on top.
func (s colourScale) bar() (*image.NRGBA, error) {
	const n = 256
	img := image.NewNRGBA(image.Rect(0, 0, 1, n))
	for i := 0; i < n; i++ {
		c, err := s.at(s.hi - (s.hi-s.lo)*(float64(i)+0.5)/n)
		if err != nil {
			return nil, err
		}
		img.Set(0, i, c)
	}
	return img, nil
}

// cellTicks labels the cells of an axis of n cells with names (or their
// indices when names is nil), thinning them to at most about 16 labels.
// fromTop numbers the cells downwards, as the rows of the picture.
func cellTicks(n int, names []string, fromTop bool) plot.Ticker {
	every := (n + 15) / 16
	ticks := make(plot.ConstantTicks, 0, n)
	for i := 0; i < n; i++ {
		label := ""
		if i%every == 0 {
			if names != nil {
				label = names[i]
			} else {
				label = strconv.Itoa(i)
			}
		}
		at := float64(i)
		if fromTop {
			at = float64(n - 1 - i)
		}
		ticks = append(ticks, plot.Tick{Value: at, Label: label})
	}
	return ticks
}
