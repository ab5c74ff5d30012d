package datasets

import (
	"testing"

	"gorgonia.org/tensor"
)

func TestOneHot(t *testing.T) {
	ids := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking([]int{0, 2, 1, 3, 3, 0}))
	const V, D = 4, 2
	w := []float64{1, 2, 3, 4, 5, 6, 7, 8} // [V,D] embedding table
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		oh, err := OneHot(ids, V, dt)
		if err != nil {
			t.Fatal(err)
		}
		if oh.Dtype() != dt || !oh.Shape().Eq([]int{2, 3, V}) {
			t.Fatalf("%v: one-hot %v %v", dt, oh.Dtype(), oh.Shape())
		}
	}
	oh, _ := OneHot(ids, V, tensor.Float64)
	x := oh.Float64s()
	// onehot(ids)·W equals the embedding lookup W[ids].
	for n, id := range ids.Ints() {
		for d := 0; d < D; d++ {
			dot := 0.0
			for v := 0; v < V; v++ {
				dot += x[n*V+v] * w[v*D+d]
			}
			if dot != w[id*D+d] {
				t.Errorf("token %d: one-hot·W = %v, W[id] = %v", n, dot, w[id*D+d])
			}
		}
	}
	view, err := ids.Slice(tensor.S(1)) // a view: row 1 = [3 3 0]
	if err != nil {
		t.Fatal(err)
	}
	vh, err := OneHot(view.(*tensor.Dense), V, tensor.Float64)
	if err != nil || vh.Float64s()[3] != 1 || vh.Float64s()[2*V] != 1 {
		t.Errorf("one-hot of a view: %v, %v", vh, err)
	}
	for name, call := range map[string]func() error{
		"id out of range": func() error { _, err := OneHot(ids, 3, tensor.Float64); return err },
		"zero depth":      func() error { _, err := OneHot(ids, 0, tensor.Float64); return err },
		"float ids": func() error {
			_, err := OneHot(tensor.New(tensor.WithBacking([]float64{1})), 3, tensor.Float64)
			return err
		},
		"int output": func() error { _, err := OneHot(ids, V, tensor.Int); return err },
	} {
		if call() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
