package plot

import (
	"image"
	"image/color"
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
)

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
