package plot

import (
	"bytes"
	"io"

	"github.com/pkg/errors"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/gorgonet/gorgonet/internal/atomicfile"
)

// dpi is the resolution of every image: 96 dots per inch, the CSS pixel, so
// that a notebook or a browser shows the picture at its natural size.
const dpi = 96

// size returns the picture's size, substituting the default 6×3.5 inches for
// non-positive widths and heights.
func size(width, height float64) (vg.Length, vg.Length) {
	if width <= 0 {
		width = 6
	}
	if height <= 0 {
		height = 3.5
	}
	return vg.Length(width) * vg.Inch, vg.Length(height) * vg.Inch
}

// renderPNG draws onto a white canvas of the given size and encodes it as PNG.
// gonum/plot reports some bad input (such as a non-positive value on a
// logarithmic axis) by panicking while it draws; renderPNG returns that as an
// error.
func renderPNG(w, h vg.Length, drawOn func(c draw.Canvas)) (png []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			png, err = nil, errors.Errorf("plot: drawing: %v", r)
		}
	}()
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	drawOn(draw.New(img))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, errors.Wrap(err, "plot: encoding PNG")
	}
	return buf.Bytes(), nil
}

// savePNG writes the picture that render draws to path, atomically; on any
// error no file is created or changed. Errors name path.
func savePNG(path string, render func() ([]byte, error)) error {
	png, err := render()
	if err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	return atomicfile.WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(png)
		return err
	})
}
