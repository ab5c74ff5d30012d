package plot

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg/draw"
)

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

// rgb returns the 8-bit colour of img at (x, y).
func rgb(img image.Image, x, y int) (r, g, b int) {
	r32, g32, b32, _ := img.At(x, y).RGBA()
	return int(r32 >> 8), int(g32 >> 8), int(b32 >> 8)
}

func TestChartSize(t *testing.T) {
	tests := []struct {
		name          string
		width, height float64
		wantW, wantH  int
	}{
		{"default 6×3.5 in", 0, 0, 576, 336},
		{"4×2 in", 4, 2, 384, 192},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Chart{Title: "t", Width: tt.width, Height: tt.height, LogY: true,
				Series: []Series{{Name: "loss", Y: []float64{3, 1, 0.5}}, {X: []float64{0, 2}, Y: []float64{1, 2}, Points: true, Labels: []string{"a", "b"}}}}
			b, err := c.PNG()
			if err != nil {
				t.Fatal(err)
			}
			if got := decode(t, b).Bounds().Size(); got.X != tt.wantW || got.Y != tt.wantH {
				t.Errorf("size %v, want %dx%d", got, tt.wantW, tt.wantH)
			}
		})
	}
}

// TestChartDegenerate draws series whose range is a single value, which
// gonum/plot has to widen before it can place ticks.
func TestChartDegenerate(t *testing.T) {
	tests := []struct {
		name  string
		chart Chart
	}{
		{"one point", Chart{Series: []Series{{Y: []float64{2}, Points: true}}}},
		{"constant", Chart{Series: []Series{{Y: []float64{1, 1, 1}}}}},
		{"constant on a log axis", Chart{LogY: true, Series: []Series{{Y: []float64{0.5, 0.5}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.chart.PNG()
			if err != nil {
				t.Fatal(err)
			}
			decode(t, b)
		})
	}
}

func TestChartErrors(t *testing.T) {
	tests := []struct {
		name   string
		chart  Chart
		errHas string
	}{
		{"no series", Chart{Title: "empty"}, "no series"},
		{"no points", Chart{Series: []Series{{Name: "s"}}}, "no points"},
		{"x and y lengths", Chart{Series: []Series{{X: []float64{1}, Y: []float64{1, 2}}}}, "1 x values but 2 y values"},
		{"labels", Chart{Series: []Series{{Y: []float64{1, 2}, Labels: []string{"a"}}}}, "1 labels for 2 points"},
		{"NaN", Chart{Series: []Series{{Y: []float64{1, math.NaN()}}}}, "point 1"},
		{"log of zero", Chart{LogY: true, Series: []Series{{Y: []float64{1, 0}}}}, "logarithmic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.chart.PNG()
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %v, want one containing %q", err, tt.errHas)
			}
		})
	}
}

// TestHeatmapOrientation checks that row 0 is drawn at the top and that the
// colour scales run the documented way: a 2×1 matrix fills the upper and the
// lower half of the plotting area.
func TestHeatmapOrientation(t *testing.T) {
	tests := []struct {
		name     string
		values   []float64
		top, low func(r, g, b int) bool
	}{
		{"sequential: high is dark, low is white", []float64{1, 0},
			func(r, g, b int) bool { return r+g+b < 200 }, func(r, g, b int) bool { return r+g+b > 700 }},
		{"diverging: negative is blue, positive is red", []float64{-1, 1},
			func(r, g, b int) bool { return b > r+60 }, func(r, g, b int) bool { return r > b+60 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Heatmap{Title: "o", Rows: 2, Cols: 1, Values: tt.values}.PNG()
			if err != nil {
				t.Fatal(err)
			}
			img := decode(t, b)
			x, h := 250, img.Bounds().Dy()
			if r, g, bl := rgb(img, x, h*3/10); !tt.top(r, g, bl) {
				t.Errorf("upper half has colour (%d,%d,%d)", r, g, bl)
			}
			if r, g, bl := rgb(img, x, h*7/10); !tt.low(r, g, bl) {
				t.Errorf("lower half has colour (%d,%d,%d)", r, g, bl)
			}
		})
	}
}

func TestHeatmapErrors(t *testing.T) {
	ok := Heatmap{Rows: 2, Cols: 2, Values: []float64{1, 2, 3, 4}}
	tests := []struct {
		name   string
		edit   func(h *Heatmap)
		errHas string
	}{
		{"shape", func(h *Heatmap) { h.Rows = 0 }, "want positive sizes"},
		{"values", func(h *Heatmap) { h.Values = h.Values[:3] }, "3 values for a 2×2 matrix"},
		{"x ticks", func(h *Heatmap) { h.XTicks = []string{"a"} }, "1 column names for 2 columns"},
		{"y ticks", func(h *Heatmap) { h.YTicks = []string{"a", "b", "c"} }, "3 row names for 2 rows"},
		{"infinite", func(h *Heatmap) { h.Values = []float64{1, 2, math.Inf(1), 4} }, "row 1, column 0"},
		{"range", func(h *Heatmap) { h.Min, h.Max = 1, 1 }, "colour range [1, 1] is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := ok
			h.Values = append([]float64(nil), ok.Values...)
			tt.edit(&h)
			_, err := h.PNG()
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %v, want one containing %q", err, tt.errHas)
			}
		})
	}
	if _, err := ok.PNG(); err != nil {
		t.Errorf("valid heatmap: %v", err)
	}
}

// TestRenderRecovers checks that a panic of gonum/plot while drawing comes
// back as an error.
func TestRenderRecovers(t *testing.T) {
	w, h := size(0, 0)
	b, err := renderPNG(w, h, func(draw.Canvas) { panic("Values must be greater than 0 for a log scale.") })
	if b != nil || err == nil || !strings.Contains(err.Error(), "log scale") {
		t.Errorf("got %d bytes and error %v, want no picture and the panic as an error", len(b), err)
	}
}

// countNear counts the pixels of img within a small distance of c.
func countNear(img image.Image, c color.Color) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if near(img.At(x, y), c) {
				n++
			}
		}
	}
	return n
}

func near(a, b color.Color) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) uint32 { return max(x, y) - min(x, y) }
	return d(ar, br)+d(ag, bg)+d(ab, bb) < 0x1800
}

// descending is a loss curve whose first point is its highest, the one a
// chart without a margin puts on the top edge of its frame.
var descending = Curve{Step: []float64{10, 20, 30, 40, 50}, Loss: []float64{4.14, 3.5, 2.9, 2.7, 2.6}}

// TestChartKeepsPointsInFrame checks that the axes' ranges hold every point
// of every series with a margin, on linear and logarithmic axes, so that no
// extreme point (nor the half of a line's width around it) is cut by the
// edge of the plotting area.
func TestChartKeepsPointsInFrame(t *testing.T) {
	val := Curve{Step: []float64{20, 50}, Loss: []float64{3.1, 2.65}}
	loss, err := LossChart(descending, val)
	if err != nil {
		t.Fatal(err)
	}
	logLoss := loss
	logLoss.LogY = true
	single := Chart{Series: []Series{{Y: []float64{2}, Points: true}}}
	for _, tc := range []struct {
		name  string
		chart Chart
	}{{"loss", loss}, {"log", logLoss}, {"single point", single}} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, err := tc.chart.plot()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.chart.Series {
				xys, err := s.points(tc.chart.LogY)
				if err != nil {
					t.Fatal(err)
				}
				for _, xy := range xys {
					x, y := p.X.Norm(xy.X), p.Y.Norm(xy.Y)
					if x < 0.02 || x > 0.98 || y < 0.02 || y > 0.98 {
						t.Errorf("point (%v, %v) of %q at (%.3f, %.3f) of the frame, want within [0.02, 0.98]", xy.X, xy.Y, s.Name, x, y)
					}
				}
			}
		})
	}
}

// lossImage draws the loss chart of train and val.
func lossImage(t *testing.T, train, val Curve) image.Image {
	t.Helper()
	c, err := LossChart(train, val)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.PNG()
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, b)
}

// TestLegendInsidePicture checks that the legend's samples are drawn whole:
// the columns next to the right edge of the picture are blank, and both
// curves' colours appear in the legend beside the plot.
func TestLegendInsidePicture(t *testing.T) {
	img := lossImage(t, descending, Curve{Step: []float64{50}, Loss: []float64{2.8}})
	bounds := img.Bounds()
	rightmost := func(c color.Color) int {
		last := -1
		for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
			for x := bounds.Min.X; x < bounds.Max.X; x++ {
				if near(img.At(x, y), c) {
					last = max(last, x)
				}
			}
		}
		return last
	}
	for _, tc := range []struct {
		name   string
		colour color.Color
	}{{"train", trainColour}, {"val", valColour}, {"anything", color.Black}} {
		if x := rightmost(tc.colour); x > bounds.Max.X-5 {
			t.Errorf("%s: drawn at column %d of %d: cut at the right edge", tc.name, x, bounds.Dx())
		}
	}
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Max.X - 4; x < bounds.Max.X; x++ {
			if r, g, bl := rgb(img, x, y); r+g+bl < 3*250 {
				t.Fatalf("pixel (%d, %d) next to the right edge is (%d,%d,%d), not blank", x, y, r, g, bl)
			}
		}
	}
}

func TestLossChart(t *testing.T) {
	tests := []struct {
		name             string
		train, val       Curve
		wantTrain, wantV bool
	}{
		{"train and val", descending, Curve{Step: []float64{20, 40}, Loss: []float64{3, 2.8}}, true, true},
		{"train only", descending, Curve{}, true, false},
		{"single point", Curve{Step: []float64{1}, Loss: []float64{2}}, Curve{}, true, false},
		{"val only with NaN", Curve{}, Curve{Step: []float64{1, 2, 3}, Loss: []float64{2, math.NaN(), 1}}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := lossImage(t, tc.train, tc.val)
			// Drawn or not: a curve absent from the chart leaves no pixel of its colour.
			if got := countNear(img, trainColour) > 40; got != tc.wantTrain {
				t.Errorf("train curve drawn: %v, want %v", got, tc.wantTrain)
			}
			if got := countNear(img, valColour) > 40; got != tc.wantV {
				t.Errorf("val curve drawn: %v, want %v", got, tc.wantV)
			}
		})
	}
}

func TestLossChartErrors(t *testing.T) {
	inf := Curve{Step: []float64{1}, Loss: []float64{math.Inf(1)}}
	if _, err := LossChart(inf, Curve{}); err == nil || !strings.Contains(err.Error(), "no finite losses among 1") {
		t.Errorf("no finite loss: err = %v", err)
	}
	if _, err := LossChart(Curve{Step: []float64{1, 2}, Loss: []float64{1}}, Curve{}); err == nil || !strings.Contains(err.Error(), "2 steps but 1 losses") {
		t.Errorf("ragged curve: err = %v", err)
	}
}

// TestSave writes pictures to files, and checks that a failure names the
// path and leaves no file behind.
func TestSave(t *testing.T) {
	dir := t.TempDir()
	attn := Heatmap{Title: "attention", Rows: 3, Cols: 3, Values: []float64{1, 0, 0, 0.3, 0.7, 0, 0.2, 0.2, 0.6},
		XTicks: []string{"T", "h", "e"}, YTicks: []string{"T", "h", "e"}, Annotate: true}
	big := Heatmap{Rows: 40, Cols: 30, Values: make([]float64, 1200)}
	for i := range big.Values {
		big.Values[i] = float64((i / 30) * (i % 30))
	}
	line := Chart{Series: []Series{{Y: []float64{1, 2}}}}
	tests := []struct {
		name string
		save func(path string) error
		want string // error substring; "" for success
	}{
		{"attention", attn.Save, ""},
		{"large unlabelled", big.Save, ""},
		{"constant", Heatmap{Rows: 2, Cols: 2, Values: []float64{2, 2, 2, 2}}.Save, ""},
		{"chart", line.Save, ""},
		{"bad heatmap", Heatmap{Rows: 1, Cols: 2, Values: []float64{1, math.NaN()}}.Save, "is NaN"},
		{"bad chart", Chart{}.Save, "no series"},
		{"missing directory", func(p string) error { return line.Save(filepath.Join(p, "x", "y.png")) }, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".png")
			err := tc.save(path)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				decode(t, b)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %v, want %q and the path", err, tc.want)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Error("a failed plot left a file")
			}
		})
	}
}

// TestAnnotationContrast checks that values are written black on light
// cells and white on dark ones.
func TestAnnotationContrast(t *testing.T) {
	h := Heatmap{Rows: 1, Cols: 2, Values: []float64{0, 1}, Annotate: true}
	scale, err := newColourScale(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	labels, err := h.cellLabels(scale)
	if err != nil {
		t.Fatal(err)
	}
	if c := labels.TextStyle[0].Color; c != color.Black {
		t.Errorf("label of the light (low) cell is %v, want black", c)
	}
	if c := labels.TextStyle[1].Color; c != color.White {
		t.Errorf("label of the dark (high) cell is %v, want white", c)
	}
}
