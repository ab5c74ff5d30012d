package runlog

import (
	"fmt"
	"image"
	"image/color"
	imgdraw "image/draw"
	"math"
	"strconv"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// maxAnnotatedCells is the largest matrix whose cells are labelled with
// their values.
const maxAnnotatedCells = 16 * 16

// maxHeatmapPixels bounds the raster drawn for the cells.
const maxHeatmapPixels = 4 << 20

// PlotHeatmap draws matrix ([rows][cols], e.g. the attention weights of one
// head: queries down, keys across) as a heat map with a color bar into a PNG
// file at pngPath, written atomically. Row 0 is at the top, as in the
// matrix. rowLabels and colLabels (e.g. the tokens) name the rows and
// columns; nil labels them by index. Small matrices have their values
// written in the cells. The color scale runs from the smallest to the
// largest value (BlackBody palette: dark is low, bright is high). Values
// must be finite. Labels are drawn as given, in a Latin font: quote
// whitespace tokens, and expect boxes for glyphs it lacks (CJK).
func PlotHeatmap(matrix [][]float64, rowLabels, colLabels []string, title, pngPath string) error {
	rows, cols, lo, hi, err := checkMatrix(matrix)
	if err != nil {
		return errors.Wrapf(err, "runlog: heat map %s", pngPath)
	}
	if rowLabels == nil {
		rowLabels = indexLabels(rows)
	}
	if colLabels == nil {
		colLabels = indexLabels(cols)
	}
	if len(rowLabels) != rows || len(colLabels) != cols {
		return errors.Errorf("runlog: heat map %s: %d row and %d column labels for a %d×%d matrix",
			pngPath, len(rowLabels), len(colLabels), rows, cols)
	}
	cmap := moreland.BlackBody()
	cmap.SetMin(lo)
	cmap.SetMax(hi)

	// Cell sizes in points: large enough to read, small enough for big maps.
	cell := math.Max(14, math.Min(36, 540/float64(max(rows, cols))))
	cells, err := cellImage(matrix, cmap.At, cell*pngDPI/72)
	if err != nil {
		return errors.Wrapf(err, "runlog: heat map %s", pngPath)
	}
	p := plot.New()
	p.Title.Text = title
	p.Add(plotter.NewImage(cells, -0.5, -0.5, float64(cols)-0.5, float64(rows)-0.5))
	p.X.Tick.Marker = labelTicks(colLabels, false)
	p.Y.Tick.Marker = labelTicks(rowLabels, true)
	if cols > 8 || longest(colLabels) > 3 {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	if rows*cols <= maxAnnotatedCells {
		labels, err := cellLabels(matrix, cmap.At)
		if err != nil {
			return errors.Wrapf(err, "runlog: heat map %s", pngPath)
		}
		p.Add(labels)
	}

	bar := plot.New()
	bar.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})
	bar.HideX()

	const barWidth = 2 * vg.Centimeter
	w := vg.Length(cell*float64(cols)) + 4*vg.Centimeter + barWidth
	h := vg.Length(cell*float64(rows)) + 4*vg.Centimeter
	return savePNG(pngPath, w, h, func(c draw.Canvas) {
		main := draw.Crop(c, 0, -barWidth, 0, 0)
		p.Draw(main)
		// Give the color bar the vertical extent of the cells.
		data := p.DataCanvas(main)
		side := draw.Crop(c, w-barWidth+vg.Centimeter/4, -vg.Centimeter/2, 0, 0)
		side.Min.Y, side.Max.Y = data.Min.Y, data.Max.Y
		inner := bar.DataCanvas(side)
		side.Min.Y -= inner.Min.Y - data.Min.Y
		side.Max.Y += data.Max.Y - inner.Max.Y
		bar.Draw(side)
	})
}

// checkMatrix returns the dimensions and value range of a non-empty,
// rectangular, finite matrix. A constant matrix gets a range of width 1.
func checkMatrix(matrix [][]float64) (rows, cols int, lo, hi float64, err error) {
	if len(matrix) == 0 || len(matrix[0]) == 0 {
		return 0, 0, 0, 0, errors.New("empty matrix")
	}
	rows, cols = len(matrix), len(matrix[0])
	lo, hi = math.Inf(1), math.Inf(-1)
	for i, row := range matrix {
		if len(row) != cols {
			return 0, 0, 0, 0, errors.Errorf("row %d has %d values, row 0 has %d", i, len(row), cols)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, 0, 0, 0, errors.Errorf("value [%d][%d] is %v", i, j, v)
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	return rows, cols, lo, hi, nil
}

// cellImage paints each value as a square of about cellDots pixels (fewer
// for huge matrices), so that scaling the image keeps cell edges sharp.
func cellImage(matrix [][]float64, colorAt func(float64) (color.Color, error), cellDots float64) (image.Image, error) {
	rows, cols := len(matrix), len(matrix[0])
	k := max(1, min(int(math.Ceil(cellDots)), int(math.Sqrt(maxHeatmapPixels/float64(rows*cols)))))
	img := image.NewNRGBA(image.Rect(0, 0, cols*k, rows*k))
	for i, row := range matrix {
		for j, v := range row {
			c, err := colorAt(v)
			if err != nil {
				return nil, err
			}
			imgdraw.Draw(img, image.Rect(j*k, i*k, (j+1)*k, (i+1)*k), image.NewUniform(c), image.Point{}, imgdraw.Src)
		}
	}
	return img, nil
}

func indexLabels(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

func longest(labels []string) int {
	n := 0
	for _, l := range labels {
		n = max(n, len([]rune(l)))
	}
	return n
}

// labelTicks places one named tick per cell; reversed puts labels[0] at
// the top of a y axis.
func labelTicks(labels []string, reversed bool) plot.ConstantTicks {
	ticks := make(plot.ConstantTicks, len(labels))
	for i, l := range labels {
		pos := i
		if reversed {
			pos = len(labels) - 1 - i
		}
		ticks[i] = plot.Tick{Value: float64(pos), Label: l}
	}
	return ticks
}

// cellLabels writes each value in its cell, black on bright cells and
// white on dark ones.
func cellLabels(matrix [][]float64, colorAt func(float64) (color.Color, error)) (*plotter.Labels, error) {
	rows := len(matrix)
	var xyl plotter.XYLabels
	var values []float64
	for i, row := range matrix {
		for j, v := range row {
			xyl.XYs = append(xyl.XYs, plotter.XY{X: float64(j), Y: float64(rows - 1 - i)})
			xyl.Labels = append(xyl.Labels, fmt.Sprintf("%.2f", v))
			values = append(values, v)
		}
	}
	labels, err := plotter.NewLabels(xyl)
	if err != nil {
		return nil, err
	}
	for i, v := range values {
		bg, err := colorAt(v)
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
