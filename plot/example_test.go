package plot_test

import (
	"bytes"
	"fmt"
	"image/png"
	"math"

	"github.com/gorgonet/gorgonet/plot"
)

// Example draws a sine curve and a matrix; a notebook would display the
// bytes (gophernotes: Display(display.PNG(b))).
func Example() {
	x := make([]float64, 50)
	y := make([]float64, 50)
	for i := range x {
		x[i] = float64(i) / 8
		y[i] = math.Sin(x[i])
	}
	chart, err := plot.Chart{Title: "sin(x)", XLabel: "x", Series: []plot.Series{{Name: "sin", X: x, Y: y}}}.PNG()
	if err != nil {
		fmt.Println(err)
		return
	}
	heat, err := plot.Heatmap{Title: "a 2×3 matrix", Rows: 2, Cols: 3, Values: []float64{1, 2, 3, 4, 5, 6},
		XTicks: []string{"a", "b", "c"}, Width: 4, Height: 2}.PNG()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range [][]byte{chart, heat} {
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		fmt.Println(cfg.Width, cfg.Height, err)
	}
	// Output:
	// 576 336 <nil>
	// 384 192 <nil>
}
