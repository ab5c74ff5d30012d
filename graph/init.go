package graph

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Initializer draws the initial values of a parameter of a given shape.
//
// Fans follow the layout of gorgonet's weights, [in, out] for a 2-D weight
// (x·W): fanIn = shape[0]·r and fanOut = shape[1]·r, where r is the product of
// the remaining dimensions; a 1-D shape has fanIn = fanOut = shape[0].
type Initializer interface {
	Init(rng *rand.Rand, shape tensor.Shape) ([]float64, error)
}

// InitFunc adapts a function to the Initializer interface.
type InitFunc func(rng *rand.Rand, shape tensor.Shape) ([]float64, error)

// Init calls f.
func (f InitFunc) Init(rng *rand.Rand, shape tensor.Shape) ([]float64, error) { return f(rng, shape) }

// Zeros initialises every element to 0.
func Zeros() Initializer { return Constant(0) }

// Ones initialises every element to 1.
func Ones() Initializer { return Constant(1) }

// Constant initialises every element to c.
func Constant(c float64) Initializer {
	return InitFunc(func(_ *rand.Rand, shape tensor.Shape) ([]float64, error) {
		v := make([]float64, shape.TotalSize())
		for i := range v {
			v[i] = c
		}
		return v, nil
	})
}

// Normal draws from N(0, std²).
func Normal(std float64) Initializer {
	return InitFunc(func(rng *rand.Rand, shape tensor.Shape) ([]float64, error) {
		if std < 0 || math.IsNaN(std) {
			return nil, errors.Errorf("normal initializer: invalid std %v", std)
		}
		v := make([]float64, shape.TotalSize())
		for i := range v {
			v[i] = rng.NormFloat64() * std
		}
		return v, nil
	})
}

// Uniform draws from U(lo, hi).
func Uniform(lo, hi float64) Initializer {
	return InitFunc(func(rng *rand.Rand, shape tensor.Shape) ([]float64, error) {
		if !(hi >= lo) {
			return nil, errors.Errorf("uniform initializer: invalid range [%v, %v)", lo, hi)
		}
		v := make([]float64, shape.TotalSize())
		for i := range v {
			v[i] = lo + (hi-lo)*rng.Float64()
		}
		return v, nil
	})
}

// XavierUniform draws from U(−a, a), a = √(6/(fanIn+fanOut)) (Glorot & Bengio, 2010).
func XavierUniform() Initializer {
	return InitFunc(func(rng *rand.Rand, shape tensor.Shape) ([]float64, error) {
		in, out := Fans(shape)
		a := math.Sqrt(6 / float64(in+out))
		return Uniform(-a, a).Init(rng, shape)
	})
}

// XavierNormal draws from N(0, 2/(fanIn+fanOut)) (Glorot & Bengio, 2010).
func XavierNormal() Initializer {
	return InitFunc(func(rng *rand.Rand, shape tensor.Shape) ([]float64, error) {
		in, out := Fans(shape)
		return Normal(math.Sqrt(2/float64(in+out))).Init(rng, shape)
	})
}

// HeNormal draws from N(0, 2/fanIn), for ReLU networks (He et al., 2015; PyTorch's kaiming_normal_).
func HeNormal() Initializer {
	return InitFunc(func(rng *rand.Rand, shape tensor.Shape) ([]float64, error) {
		in, _ := Fans(shape)
		return Normal(math.Sqrt(2/float64(in))).Init(rng, shape)
	})
}

// HeUniform draws from U(−a, a), a = √(6/fanIn) (He et al., 2015; PyTorch's kaiming_uniform_).
func HeUniform() Initializer {
	return InitFunc(func(rng *rand.Rand, shape tensor.Shape) ([]float64, error) {
		in, _ := Fans(shape)
		a := math.Sqrt(6 / float64(in))
		return Uniform(-a, a).Init(rng, shape)
	})
}

// Fans returns the fan-in and fan-out of a weight of the given shape, as
// documented on Initializer.
func Fans(shape tensor.Shape) (fanIn, fanOut int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return shape[0], shape[0]
	}
	r := 1
	for _, d := range shape[2:] {
		r *= d
	}
	return shape[0] * r, shape[1] * r
}
