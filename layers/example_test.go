package layers_test

import (
	"fmt"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/ops"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/tensor"
)

// ExampleMLP builds a tiny multilayer perceptron, trains it on XOR with Adam
// and a softmax cross-entropy loss, and classifies the four points.
func ExampleMLP() {
	m := graph.NewModel(graph.Float64, 42)
	mlp, err := layers.NewMLP(m, "mlp", []int{2, 8, 2}, layers.Tanh)
	if err != nil {
		panic(err)
	}
	x, _ := m.Input("x", 4, 2)
	targets, _ := m.IndexInput("targets", 4)
	logits, err := mlp.Forward(x) // [4,2]
	if err != nil {
		panic(err)
	}
	loss, err := ops.CrossEntropy(logits, targets, -1)
	if err != nil {
		panic(err)
	}
	train, err := m.Compile(loss)
	if err != nil {
		panic(err)
	}
	points := []float64{0, 0, 0, 1, 1, 0, 1, 1}
	feeds := graph.Feeds{
		"x":       tensor.New(tensor.WithShape(4, 2), tensor.WithBacking(points)),
		"targets": tensor.New(tensor.WithShape(4), tensor.WithBacking([]int{0, 1, 1, 0})),
	}
	opt := optim.NewAdam(optim.Constant(0.05))
	var l float64
	for step := 0; step < 200; step++ {
		if l, err = train.Step(feeds, opt); err != nil {
			panic(err)
		}
	}
	fmt.Printf("loss below 0.01: %v\n", l < 0.01)

	predict, err := m.CompileForward(logits)
	if err != nil {
		panic(err)
	}
	out, err := predict.Forward(graph.Feeds{"x": feeds["x"]})
	if err != nil {
		panic(err)
	}
	z := out[0].Float64s()
	for i := 0; i < 4; i++ {
		class := 0
		if z[2*i+1] > z[2*i] {
			class = 1
		}
		fmt.Printf("%v xor %v = %d\n", points[2*i], points[2*i+1], class)
	}
	fmt.Print(m.Summary())
	// Output:
	// loss below 0.01: true
	// 0 xor 0 = 0
	// 0 xor 1 = 1
	// 1 xor 0 = 1
	// 1 xor 1 = 0
	// parameter     shape          count
	// ----------------------------------
	// mlp.0.weight  (2, 8)            16
	// mlp.0.bias    (8)                8
	// mlp.1.weight  (8, 2)            16
	// mlp.1.bias    (2)                2
	// ----------------------------------
	// total 42 parameters (42 trainable) in 4 tensors, float64
}

// ExampleSinusoidalTable prints the first positions of a 4-wide sinusoidal
// positional encoding: columns (sin, cos) at frequency 1, then at 1/100.
func ExampleSinusoidalTable() {
	pe := layers.SinusoidalTable(3, 4)
	for pos := 0; pos < 3; pos++ {
		row, _ := pe.Slice(tensor.S(pos))
		fmt.Printf("%.4f\n", row.Data())
	}
	// Output:
	// [0.0000 1.0000 0.0000 1.0000]
	// [0.8415 0.5403 0.0100 1.0000]
	// [0.9093 -0.4161 0.0200 0.9998]
}
