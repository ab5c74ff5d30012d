package optim_test

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
)

// Example fits y = x·w + b to four points generated with w = [2, −1],
// b = 0.5, with AdamW under a warmup-cosine schedule and global-norm clipping.
func Example() {
	m := graph.NewModel(graph.Float64, 1)
	w, _ := m.NewParam("w", tensor.Shape{2, 1}, graph.Normal(0.1))
	b, _ := m.NewParamFrom("b", tensor.Shape{1}, []float64{0})
	x, _ := m.Input("x", 4, 2)
	y, _ := m.Input("y", 4, 1)
	pred := gorgonia.Must(gorgonia.BroadcastAdd(gorgonia.Must(gorgonia.Mul(x, w.Node())), b.Node(), nil, []byte{0}))
	loss := gorgonia.Must(gorgonia.Mean(gorgonia.Must(gorgonia.Square(gorgonia.Must(gorgonia.Sub(pred, y))))))
	prog, err := m.Compile(loss)
	if err != nil {
		fmt.Println(err)
		return
	}
	feeds := graph.Feeds{
		"x": tensor.New(tensor.WithShape(4, 2), tensor.WithBacking([]float64{0, 0, 1, 0, 0, 1, 1, 1})),
		"y": tensor.New(tensor.WithShape(4, 1), tensor.WithBacking([]float64{0.5, 2.5, -0.5, 1.5})),
	}
	opt := optim.ClipByGlobalNorm(optim.NewAdamW(optim.WarmupCosine(0.1, 10, 300, 0.01), 0.01), 1)
	for step := 1; step <= 300; step++ {
		l, err := prog.Step(feeds, opt)
		if err != nil {
			fmt.Println(err)
			return
		}
		if step == 1 || step == 300 {
			fmt.Printf("step %d: loss %.6f\n", step, l)
		}
	}
	fmt.Printf("w = %.3f, b = %.3f\n", w.Value().Data(), b.Value().Data())
	// Output:
	// step 1: loss 2.429474
	// step 300: loss 0.000013
	// w = [1.993 -0.997], b = [0.502]
}

// ExampleWarmupCosine prints the rates of nanoGPT's schedule around its
// landmarks: the end of the warmup (step 5) and the end of the decay (step 21).
func ExampleWarmupCosine() {
	s := optim.WarmupCosine(1e-3, 4, 20, 1e-4)
	for _, step := range []int{1, 4, 5, 13, 21, 22} {
		fmt.Printf("step %2d: %.6f\n", step, s.Rate(step))
	}
	// Output:
	// step  1: 0.000200
	// step  4: 0.000800
	// step  5: 0.001000
	// step 13: 0.000550
	// step 21: 0.000100
	// step 22: 0.000100
}
