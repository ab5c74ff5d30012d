package plot

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
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
	Annotate              bool      // write each value in its cell (legible up to about 16×16 cells)
}

// PNG draws the heatmap. It returns an error when Values does not hold
// Rows×Cols finite numbers, when tick names do not match the matrix, and for
// an empty colour range (Min ≥ Max when given). Values outside a given range
// get the colour of its nearest end.
func (h Heatmap) PNG() ([]byte, error) {
	if err := h.check(); err != nil {
		return nil, errors.Wrapf(err, "plot: heatmap %q", h.Title)
	}
	lo, hi := h.Min, h.Max
	if lo == 0 && hi == 0 {
		lo, hi = valueRange(h.Values)
	}
	if !(lo < hi) {
		return nil, errors.Errorf("plot: heatmap %q: colour range [%v, %v] is empty", h.Title, lo, hi)
	}
	scale, err := newColourScale(lo, hi)
	if err != nil {
		return nil, errors.Wrapf(err, "plot: heatmap %q", h.Title)
	}
	cells, err := h.image(scale)
	if err != nil {
		return nil, errors.Wrapf(err, "plot: heatmap %q", h.Title)
	}
	barImg, err := scale.bar()
	if err != nil {
		return nil, errors.Wrapf(err, "plot: heatmap %q: colour bar", h.Title)
	}

	p := plot.New()
	p.Title.Text = h.Title
	p.X.Label.Text = h.XLabel
	p.Y.Label.Text = h.YLabel
	p.Add(plotter.NewImage(cells, -0.5, -0.5, float64(h.Cols)-0.5, float64(h.Rows)-0.5))
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Marker = cellTicks(h.Cols, h.XTicks, false)
	p.Y.Tick.Marker = cellTicks(h.Rows, h.YTicks, true)
	w, ht := size(h.Width, h.Height)
	barW := vg.Inch * 0.75
	if cellW := (w - barW - vg.Inch) / vg.Length(h.Cols); widestTick(p.X.Tick.Label, h.Cols, h.XTicks) > cellW {
		// Upright labels would overlap: turn them to read upwards.
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	if h.Annotate {
		labels, err := h.cellLabels(scale)
		if err != nil {
			return nil, errors.Wrapf(err, "plot: heatmap %q", h.Title)
		}
		p.Add(labels)
	}

	bar := plot.New()
	bar.Add(plotter.NewImage(barImg, 0, lo, 1, hi))
	bar.HideX()
	bar.Y.Padding = 0

	return renderPNG(w, ht, func(c draw.Canvas) {
		main := draw.Crop(c, 0, -barW, 0, 0)
		p.Draw(main)
		// Give the colour bar the vertical extent of the cells, with a
		// margin to the right edge of the picture.
		data := p.DataCanvas(main)
		side := draw.Crop(c, w-barW+vg.Points(6), -legendMargin, 0, 0)
		side.Min.Y, side.Max.Y = data.Min.Y, data.Max.Y
		inner := bar.DataCanvas(side)
		side.Min.Y -= inner.Min.Y - data.Min.Y
		side.Max.Y += data.Max.Y - inner.Max.Y
		bar.Draw(side)
	})
}

// Save draws the heatmap (see PNG) into a PNG file at path, written
// atomically.
func (h Heatmap) Save(path string) error {
	return savePNG(path, h.PNG)
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

// cellTicks labels the cells of an axis of n cells with names (or their
// indices when names is nil). Names label every cell up to
// maxNamedTicks cells; beyond that, and for indices, about 16 cells are
// labelled. fromTop numbers the cells downwards, as the rows of the picture.
func cellTicks(n int, names []string, fromTop bool) plot.Ticker {
	every := (n + 15) / 16
	if names != nil && n <= maxNamedTicks {
		every = 1
	}
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

// maxNamedTicks is the most cells of an axis whose names are all shown.
const maxNamedTicks = 64

// widestTick returns the width of the widest label of an axis of n cells
// named by names (nil: their indices) in style sty.
func widestTick(sty text.Style, n int, names []string) vg.Length {
	if names == nil {
		return sty.Width(strconv.Itoa(n - 1))
	}
	var w vg.Length
	for _, name := range names {
		w = max(w, sty.Width(name))
	}
	return w
}

// cellLabels writes each value in its cell, black on light cells and white
// on dark ones.
func (h Heatmap) cellLabels(scale colourScale) (*plotter.Labels, error) {
	var xyl plotter.XYLabels
	for i, v := range h.Values {
		r, c := i/h.Cols, i%h.Cols
		xyl.XYs = append(xyl.XYs, plotter.XY{X: float64(c), Y: float64(h.Rows - 1 - r)})
		xyl.Labels = append(xyl.Labels, fmt.Sprintf("%.2f", v))
	}
	labels, err := plotter.NewLabels(xyl)
	if err != nil {
		return nil, err
	}
	for i, v := range h.Values {
		bg, err := scale.at(v)
		if err != nil {
			return nil, err
		}
		st := &labels.TextStyle[i]
		st.XAlign, st.YAlign = text.XCenter, text.YCenter
		st.Font.Size = vg.Points(7)
		st.Color = contrasting(bg)
	}
	return labels, nil
}

// contrasting returns black for a light background and white for a dark one
// (by Rec. 601 luma).
func contrasting(bg color.Color) color.Color {
	r, g, b, _ := bg.RGBA()
	if 0.299*float64(r)+0.587*float64(g)+0.114*float64(b) > 0.5*0xffff {
		return color.Black
	}
	return color.White
}
