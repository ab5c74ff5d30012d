package nbplot

import (
	"bytes"
	"image"
	"image/png"
	"math"
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
