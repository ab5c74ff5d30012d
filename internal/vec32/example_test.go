package vec32_test

import (
	"fmt"

	"github.com/gorgonet/gorgonet/internal/vec32"
)

func ExampleGELU() {
	x := []float32{-3, -1, 0, 0.5, 1, 3, 10}
	y := make([]float32, len(x))
	vec32.GELU(y, x)
	fmt.Printf("%.5f\n", y)
	vec32.GELUGrad(y, x, []float32{1, 1, 1, 1, 1, 1, 1})
	fmt.Printf("%.5f\n", y)
	// Output:
	// [-0.00405 -0.15866 0.00000 0.34573 0.84134 2.99595 10.00000]
	// [-0.01195 -0.08332 0.50000 0.86750 1.08332 1.01195 1.00000]
}

func ExampleSoftmax() {
	x := []float32{1, 2, 3, 4}
	vec32.Softmax(x, x) // in place
	fmt.Printf("%.4f sum %.4f\n", x, vec32.Sum(x))
	// Output:
	// [0.0321 0.0871 0.2369 0.6439] sum 1.0000
}
