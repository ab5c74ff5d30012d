package runlog

import (
	"image/color"
	"io"
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/gorgonet/gorgonet/internal/atomicfile"
)

// Colors of the loss curves (the first two of the Tableau 10 palette).
var (
	trainColor = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	valColor   = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
)

// LossPoint is one point of a loss curve: a training loss, or a
// validation loss when Val is set, at a step.
type LossPoint struct {
	Step int
	Loss float64
	Val  bool
}

// PlotLosses draws the training and validation losses of points against
// the step, as two lines with a legend (validation points, and series of a
// single point, are marked), into a PNG file at pngPath, written atomically.
// Non-finite losses are left out; points with no finite loss at all are an
// error.
func PlotLosses(points []LossPoint, pngPath string) error {
	var train, val plotter.XYs
	for _, r := range points {
		if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) {
			continue
		}
		pt := plotter.XY{X: float64(r.Step), Y: r.Loss}
		if r.Val {
			val = append(val, pt)
		} else {
			train = append(train, pt)
		}
	}
	if len(train)+len(val) == 0 {
		return errors.Errorf("runlog: plotting %s: no finite losses among %d points", pngPath, len(points))
	}
	p := plot.New()
	p.Title.Text = "Loss"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "loss"
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	for _, c := range []struct {
		name  string
		xys   plotter.XYs
		color color.Color
		marks bool
	}{{"train", train, trainColor, false}, {"val", val, valColor, true}} {
		if len(c.xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(c.xys)
		if err != nil {
			return errors.Wrapf(err, "runlog: plotting %s", pngPath)
		}
		line.Color = c.color
		line.Width = vg.Points(1.5)
		p.Add(line)
		if c.marks || len(c.xys) == 1 { // a lone point draws no line
			points.Color = c.color
			points.Shape = draw.CircleGlyph{}
			points.Radius = vg.Points(2.5)
			p.Add(points)
			p.Legend.Add(c.name, line, points)
		} else {
			p.Legend.Add(c.name, line)
		}
	}
	return savePNG(pngPath, 18*vg.Centimeter, 11*vg.Centimeter, p.Draw)
}

// pngDPI is the resolution of the PNG files.
const pngDPI = 150

// savePNG renders render on a white w×h canvas at pngDPI and writes it to
// path as a PNG, atomically.
func savePNG(path string, w, h vg.Length, render func(draw.Canvas)) error {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI), vgimg.UseBackgroundColor(color.White))
	render(draw.New(img))
	err := atomicfile.WriteFile(path, func(out io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(out)
		return err
	})
	return errors.Wrap(err, "runlog")
}
