package plot

import (
	"image/color"
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one set of points of a Chart.
type Series struct {
	Name   string      // legend entry; empty for none
	X, Y   []float64   // coordinates; a nil X means 0, 1, 2, …
	Points bool        // draw a filled dot at each point instead of joining them by a line
	Marked bool        // draw the line and a filled dot at each point
	Labels []string    // optional text drawn beside each point (nil, or one per point)
	Color  color.Color // nil picks the next colour of the chart's palette
	Dashed bool        // draw the line dashed
}

// Chart is a line or scatter chart of one or more series, with a legend of
// the named series on the right.
type Chart struct {
	Title, XLabel, YLabel string
	LogY                  bool // logarithmic y axis (every y must be positive)
	Series                []Series
	Width, Height         float64 // inches; 0 means 6 × 3.5
}

// PNG draws the chart. It returns an error for a series whose X, Y and
// Labels lengths disagree, an empty or non-finite series, and a non-positive
// y on a logarithmic axis.
func (c Chart) PNG() ([]byte, error) {
	p, legend, err := c.plot()
	if err != nil {
		return nil, err
	}
	w, h := size(c.Width, c.Height)
	return renderPNG(w, h, func(dc draw.Canvas) { drawWithLegend(dc, p, legend) })
}

// Save draws the chart (see PNG) into a PNG file at path, written
// atomically.
func (c Chart) Save(path string) error {
	return savePNG(path, c.PNG)
}

// plot builds the chart's plot and legend. The data range is widened by
// dataMargin of its extent on each side (by the same factor on a logarithmic
// axis), so that the extreme points are drawn inside the frame.
func (c Chart) plot() (*plot.Plot, *plot.Legend, error) {
	if len(c.Series) == 0 {
		return nil, nil, errors.Errorf("plot: chart %q has no series", c.Title)
	}
	p := plot.New()
	p.Title.Text = c.Title
	p.X.Label.Text = c.XLabel
	p.Y.Label.Text = c.YLabel
	if c.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Add(plotter.NewGrid())
	legend := plot.NewLegend()
	legend.Top = true
	xlo, xhi := math.Inf(1), math.Inf(-1)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, s := range c.Series {
		xys, err := s.points(c.LogY)
		if err != nil {
			return nil, nil, errors.Wrapf(err, "plot: chart %q: series %d (%q)", c.Title, i, s.Name)
		}
		for _, xy := range xys {
			xlo, xhi = math.Min(xlo, xy.X), math.Max(xhi, xy.X)
			lo, hi = math.Min(lo, xy.Y), math.Max(hi, xy.Y)
		}
		col := s.Color
		if col == nil {
			col = plotutil.Color(i)
		}
		if err := s.add(p, &legend, xys, col); err != nil {
			return nil, nil, errors.Wrapf(err, "plot: chart %q: series %d (%q)", c.Title, i, s.Name)
		}
	}
	p.X.Min, p.X.Max = widen(xlo, xhi, false)
	p.Y.Min, p.Y.Max = widen(lo, hi, c.LogY)
	return p, &legend, nil
}

// dataMargin is the part of the data range added on each side of an axis.
const dataMargin = 0.04

// widen returns the axis range of data in [lo, hi]: dataMargin of the
// extent added on each side (on a logarithmic axis, of the extent of the
// logarithms). A single value gets ±1, or ×/÷ 2 on a logarithmic axis
// (gonum/plot's ±1 could reach ≤ 0 there).
func widen(lo, hi float64, log bool) (float64, float64) {
	switch {
	case log && lo == hi:
		return lo / 2, hi * 2
	case log:
		f := math.Pow(hi/lo, dataMargin)
		return lo / f, hi * f
	case lo == hi:
		return lo - 1, hi + 1
	}
	d := (hi - lo) * dataMargin
	return lo - d, hi + d
}

// legendMargin separates the legend from the plot and from the right edge
// of the picture, so that its samples are drawn whole.
const legendMargin = 2 * vg.Millimeter

// drawWithLegend draws p with legend beside it on the right (or p alone
// when the legend is empty), the top entry level with the plot's top.
func drawWithLegend(dc draw.Canvas, p *plot.Plot, legend *plot.Legend) {
	r := legend.Rectangle(dc)
	if width := r.Max.X - r.Min.X; width > 0 {
		legend.XOffs = -legendMargin
		legend.YOffs = -p.Title.TextStyle.FontExtents().Height
		legend.Draw(dc)
		dc = draw.Crop(dc, 0, -width-2*legendMargin, 0, 0)
	}
	p.Draw(dc)
}

// points checks the series and returns its coordinates.
func (s Series) points(logY bool) (plotter.XYs, error) {
	n := len(s.Y)
	switch {
	case n == 0:
		return nil, errors.New("no points")
	case s.X != nil && len(s.X) != n:
		return nil, errors.Errorf("%d x values but %d y values", len(s.X), n)
	case s.Labels != nil && len(s.Labels) != n:
		return nil, errors.Errorf("%d labels for %d points", len(s.Labels), n)
	}
	xys := make(plotter.XYs, n)
	for i, y := range s.Y {
		x := float64(i)
		if s.X != nil {
			x = s.X[i]
		}
		if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
			return nil, errors.Errorf("point %d is (%v, %v)", i, x, y)
		}
		if logY && y <= 0 {
			return nil, errors.Errorf("point %d has y = %v on a logarithmic axis", i, y)
		}
		xys[i] = plotter.XY{X: x, Y: y}
	}
	return xys, nil
}

// add draws the series onto p in colour col and enters it in legend if it
// has a name.
func (s Series) add(p *plot.Plot, legend *plot.Legend, xys plotter.XYs, col color.Color) error {
	var thumbs []plot.Thumbnailer
	if !s.Points {
		l, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		l.LineStyle.Color = col
		l.LineStyle.Width = vg.Points(1.5)
		if s.Dashed {
			l.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l)
		thumbs = append(thumbs, l)
	}
	if s.Points || s.Marked {
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = col
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(3)
		if s.Marked {
			sc.GlyphStyle.Radius = vg.Points(2.5)
		}
		p.Add(sc)
		thumbs = append(thumbs, sc)
	}
	if s.Name != "" {
		legend.Add(s.Name, thumbs...)
	}
	if s.Labels == nil {
		return nil
	}
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: s.Labels})
	if err != nil {
		return err
	}
	for j := range labels.TextStyle {
		labels.TextStyle[j].Color = col
		labels.TextStyle[j].XAlign = draw.XLeft
	}
	labels.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(-4)}
	p.Add(labels)
	return nil
}
