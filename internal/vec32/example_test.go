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

func ExampleAddTo() {
	dy := [][]float32{{1, 2, 3}, {4, 5, 6}} // two rows of an output gradient
	db := make([]float32, 3)
	for _, row := range dy {
		vec32.AddTo(db, row) // the bias gradient Σ_rows dy
	}
	fmt.Println(db)
	// Output:
	// [5 7 9]
}

func ExampleAdam() {
	// The first update (t = 1) with lr = 1e-3 and PyTorch's defaults: every
	// parameter with a nonzero gradient moves by lr against its sign.
	const lr, beta1, beta2 = 1e-3, 0.9, 0.999
	w, g := []float32{1, -2, 0.5}, []float32{0.5, -0.01, 0}
	m, v := make([]float32, 3), make([]float32, 3)
	vec32.Adam(w, g, m, v, vec32.AdamCoeffs{
		Beta1: beta1, OneMinusBeta1: 1 - beta1, Beta2: beta2, OneMinusBeta2: 1 - beta2,
		Shrink:   1,                 // no decoupled decay
		StepSize: lr / (1 - beta1),  // lr/(1 − β1ᵗ)
		SqrtBC2:  0.031622776601684, // √(1 − β2ᵗ)
		Eps:      1e-8,
	})
	fmt.Printf("%.5f\n", w)
	// Output:
	// [0.99900 -1.99900 0.50000]
}
