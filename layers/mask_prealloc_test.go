package layers

import (
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestMaskedSoftmaxPrealloc: the masked softmax and its gradient write every
// element of a reused buffer (filled with NaN here), so results equal those
// computed into a fresh zeroed one, with causal and padding masks.
func TestMaskedSoftmaxPrealloc(t *testing.T) {
	const b, h, n = 2, 3, 5
	rng := rand.New(rand.NewSource(1))
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		fill := func(shape ...int) *tensor.Dense {
			d := tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
			for i := 0; i < d.Size(); i++ {
				v := rng.NormFloat64()
				if dt == tensor.Float32 {
					d.Float32s()[i] = float32(v)
				} else {
					d.Float64s()[i] = v
				}
			}
			return d
		}
		nanBuffer := func(shape tensor.Shape) *tensor.Dense {
			d := tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
			for i := 0; i < d.Size(); i++ {
				if dt == tensor.Float32 {
					d.Float32s()[i] = float32(math.NaN())
				} else {
					d.Float64s()[i] = math.NaN()
				}
			}
			return d
		}
		keep := tensor.New(tensor.Of(dt), tensor.WithShape(b, n))
		for i := 0; i < b*n; i++ {
			v := 1.0
			if i%n >= n-2 && i/n == 1 {
				v = 0
			}
			if dt == tensor.Float32 {
				keep.Float32s()[i] = float32(v)
			} else {
				keep.Float64s()[i] = v
			}
		}
		for _, op := range []*maskedSoftmaxOp{{scale: 0.5, causal: true}, {scale: 0.5, causal: true, padded: true}, {scale: 1, padded: true}} {
			x, g := fill(b, h, n, n), fill(b, h, n, n)
			in := []gorgonia.Value{x}
			if op.padded {
				in = append(in, keep)
			}
			fresh, err := op.Do(in...)
			if err != nil {
				t.Fatal(err)
			}
			reused, err := op.UsePreallocDo(nanBuffer(x.Shape()), in...)
			if err != nil {
				t.Fatal(err)
			}
			grad := &maskedSoftmaxGradOp{scale: op.scale}
			freshGrad, err := grad.Do(fresh, g)
			if err != nil {
				t.Fatal(err)
			}
			reusedGrad, err := grad.UsePreallocDo(nanBuffer(x.Shape()), fresh, g)
			if err != nil {
				t.Fatal(err)
			}
			for _, pair := range [][2]gorgonia.Value{{fresh, reused}, {freshGrad, reusedGrad}} {
				a, c := pair[0].(*tensor.Dense), pair[1].(*tensor.Dense)
				for i := 0; i < a.Size(); i++ {
					av, _ := a.At(unravel(a.Shape(), i)...)
					cv, _ := c.At(unravel(c.Shape(), i)...)
					if av != cv {
						t.Fatalf("%v %+v: element %d is %v in a reused buffer, %v in a fresh one", dt, *op, i, cv, av)
					}
				}
			}
		}
	}
}

// unravel returns the coordinates of the i-th element of shape s.
func unravel(s tensor.Shape, i int) []int {
	c := make([]int, len(s))
	for d := len(s) - 1; d >= 0; d-- {
		c[d] = i % s[d]
		i /= s[d]
	}
	return c
}
