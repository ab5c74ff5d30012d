package runlog

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
)

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// countNear counts the pixels of img within a small distance of c.
func countNear(img image.Image, c color.Color) int {
	cr, cg, cb, _ := c.RGBA()
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if absDiff(r, cr)+absDiff(g, cg)+absDiff(bl, cb) < 0x1800 {
				n++
			}
		}
	}
	return n
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// curves returns a training loss at steps 1…n and a validation loss every 5.
func curves(n int) []LossPoint {
	var out []LossPoint
	for s := 1; s <= n; s++ {
		out = append(out, LossPoint{Step: s, Loss: 3 / float64(s)})
		if s%5 == 0 {
			out = append(out, LossPoint{Step: s, Loss: 4 / float64(s), Val: true})
		}
	}
	return out
}

func TestPlotLosses(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name             string
		points           []LossPoint
		wantTrain, wantV bool
	}{
		{"train and val", curves(50), true, true},
		{"train only", []LossPoint{{Step: 1, Loss: 2}, {Step: 2, Loss: 1}}, true, false},
		{"single point", []LossPoint{{Step: 1, Loss: 2}}, true, false},
		{"val only with NaN", []LossPoint{{Step: 1, Val: true, Loss: 2}, {Step: 2, Val: true, Loss: math.NaN()}, {Step: 3, Val: true, Loss: 1}}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".png")
			if err := PlotLosses(tc.points, path); err != nil {
				t.Fatal(err)
			}
			img := readPNG(t, path)
			if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 500 {
				t.Errorf("image of %v", b)
			}
			// A legend sample alone covers about 80 pixels.
			if got := countNear(img, trainColor) > 150; got != tc.wantTrain {
				t.Errorf("train curve drawn: %v, want %v", got, tc.wantTrain)
			}
			if got := countNear(img, valColor) > 150; got != tc.wantV {
				t.Errorf("val curve drawn: %v, want %v", got, tc.wantV)
			}
		})
	}
}

func TestPlotErrors(t *testing.T) {
	dir := t.TempDir()
	ok := [][]float64{{0, 1}, {1, 0}}
	tests := []struct {
		name string
		plot func(path string) error
		want string
	}{
		{"no finite loss", func(p string) error { return PlotLosses([]LossPoint{{Step: 1, Loss: math.Inf(1)}}, p) }, "no finite losses among 1 points"},
		{"no records", func(p string) error { return PlotLosses(nil, p) }, "no finite losses"},
		{"empty matrix", func(p string) error { return PlotHeatmap(nil, nil, nil, "", p) }, "empty matrix"},
		{"ragged", func(p string) error { return PlotHeatmap([][]float64{{1, 2}, {3}}, nil, nil, "", p) }, "row 1 has 1 values, row 0 has 2"},
		{"NaN", func(p string) error { return PlotHeatmap([][]float64{{1, math.NaN()}}, nil, nil, "", p) }, "value [0][1] is NaN"},
		{"labels", func(p string) error { return PlotHeatmap(ok, []string{"a"}, nil, "", p) }, "1 row and 2 column labels for a 2×2 matrix"},
		{"missing directory", func(p string) error { return PlotHeatmap(ok, nil, nil, "", filepath.Join(p, "x", "y.png")) }, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "out.png")
			err := tc.plot(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %v, want %q and the path", err, tc.want)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Error("a failed plot left a file")
			}
		})
	}
}

func TestPlotHeatmap(t *testing.T) {
	dir := t.TempDir()
	tokens := []string{"T", "h", "e", "' '"}
	attn := [][]float64{{1, 0, 0, 0}, {0.3, 0.7, 0, 0}, {0.2, 0.2, 0.6, 0}, {0.1, 0.2, 0.3, 0.4}}
	big := make([][]float64, 40)
	for i := range big {
		big[i] = make([]float64, 30)
		for j := range big[i] {
			big[i][j] = float64(i * j)
		}
	}
	tests := []struct {
		name       string
		m          [][]float64
		rows, cols []string
	}{
		{"attention", attn, tokens, tokens},
		{"constant", [][]float64{{2, 2}, {2, 2}}, nil, nil},
		{"large unlabelled", big, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".png")
			if err := PlotHeatmap(tc.m, tc.rows, tc.cols, tc.name, path); err != nil {
				t.Fatal(err)
			}
			img := readPNG(t, path)
			if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 300 {
				t.Errorf("image of %v", b)
			}
		})
	}
}

// TestCellImageOrientation checks that matrix row 0 is the top of the image
// and that low values are dark and high values bright.
func TestCellImageOrientation(t *testing.T) {
	cmap := moreland.BlackBody()
	cmap.SetMin(0)
	cmap.SetMax(1)
	img, err := cellImage([][]float64{{0, 1, 0}, {1, 0, 1}}, cmap.At, 4)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 12 || b.Dy() != 8 {
		t.Fatalf("image of %v, want 12×8", b)
	}
	for _, tc := range []struct {
		x, y   int
		bright bool
	}{{0, 0, false}, {5, 3, true}, {11, 0, false}, {1, 6, true}, {6, 7, false}, {9, 4, true}} {
		if got := contrasting(img.At(tc.x, tc.y)) == color.Black; got != tc.bright {
			t.Errorf("pixel (%d, %d) bright = %v, want %v", tc.x, tc.y, got, tc.bright)
		}
	}
}

func TestLabelTicks(t *testing.T) {
	down := labelTicks([]string{"a", "b", "c"}, true)
	across := labelTicks([]string{"a", "b", "c"}, false)
	want := func(ticks plot.ConstantTicks, label string, value float64) {
		for _, tk := range ticks {
			if tk.Label == label && tk.Value != value {
				t.Errorf("tick %q at %v, want %v", label, tk.Value, value)
			}
		}
	}
	want(down, "a", 2)
	want(down, "c", 0)
	want(across, "a", 0)
	want(across, "c", 2)
}
