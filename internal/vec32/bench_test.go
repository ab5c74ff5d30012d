package vec32

import (
	"math"
	"testing"
)

const benchN = 1 << 20

// benchInput returns benchN values spread over [−5, 5), like activations.
func benchInput() []float32 {
	x := make([]float32, benchN)
	for i := range x {
		x[i] = float32(i%1000)/100 - 5
	}
	return x
}

// benchKernel times fn over benchN elements and reports ns per element.
func benchKernel(b *testing.B, fn func()) {
	b.SetBytes(4 * benchN)
	for i := 0; i < b.N; i++ {
		fn()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchN, "ns/elem")
}

// BenchmarkUnary times every elementwise kernel with every kernel set, and
// the scalar float64 math the graph code used before (math.Exp per element,
// x·Φ(x) with math.Erfc). Compare with -cpu 1.
func BenchmarkUnary(b *testing.B) {
	x, y, g := benchInput(), make([]float32, benchN), make([]float32, benchN)
	for i := range g {
		g[i] = 1
	}
	saved := kern
	defer func() { kern = saved }()
	for _, ks := range kernelSets() {
		kern = ks
		for _, bc := range []struct {
			name string
			fn   func()
		}{
			{"Exp", func() { Exp(y, x) }},
			{"GELU", func() { GELU(y, x) }},
			{"GELUGrad", func() { GELUGrad(y, x, g) }},
			{"Sigmoid", func() { Sigmoid(y, x) }},
			{"Tanh", func() { Tanh(y, x) }},
		} {
			b.Run(bc.name+"/"+ks.name, func(b *testing.B) { benchKernel(b, bc.fn) })
		}
	}
	b.Run("Exp/math.Exp", func(b *testing.B) {
		benchKernel(b, func() {
			for i, v := range x {
				y[i] = float32(math.Exp(float64(v)))
			}
		})
	})
	b.Run("GELU/math.Erfc", func(b *testing.B) {
		benchKernel(b, func() {
			for i, v := range x {
				y[i] = float32(float64(v) * refPhi(float64(v)))
			}
		})
	})
}

// BenchmarkRows times the row kernels on benchN elements cut into rows of 64
// (attention over a context of 64) or 128 (layer norm over d_model 128), with
// every kernel set, against the scalar loop with math.Exp that the masked
// softmax used before.
func BenchmarkRows(b *testing.B) {
	x, y, g := benchInput(), make([]float32, benchN), make([]float32, benchN)
	w, bias := make([]float32, 128), make([]float32, 128)
	for i := range w {
		w[i], bias[i] = 1+float32(i)/128, float32(i)/256
	}
	copy(g, x)
	rows := func(d int, f func(lo, hi int)) func() {
		return func() {
			for lo := 0; lo < benchN; lo += d {
				f(lo, lo+d)
			}
		}
	}
	saved := kern
	defer func() { kern = saved }()
	for _, ks := range kernelSets() {
		kern = ks
		for _, bc := range []struct {
			name string
			fn   func()
		}{
			{"Softmax64", rows(64, func(lo, hi int) { Softmax(y[lo:hi], x[lo:hi]) })},
			{"SoftmaxGrad64", rows(64, func(lo, hi int) { SoftmaxGrad(y[lo:hi], x[lo:hi], g[lo:hi], 0.5) })},
			{"LayerNorm128", rows(128, func(lo, hi int) {
				m, v := MeanVar(x[lo:hi])
				Normalize(y[lo:hi], x[lo:hi], w, bias, m, 1/float32(math.Sqrt(float64(v)+1e-5)))
			})},
			{"LayerNormGrad128", rows(128, func(lo, hi int) {
				m, v := MeanVar(x[lo:hi])
				NormalizeGrad(y[lo:hi], x[lo:hi], w, g[lo:hi], m, 1/float32(math.Sqrt(float64(v)+1e-5)))
			})},
		} {
			b.Run(bc.name+"/"+ks.name, func(b *testing.B) { benchKernel(b, bc.fn) })
		}
	}
	b.Run("Softmax64/math.Exp", func(b *testing.B) {
		benchKernel(b, rows(64, func(lo, hi int) {
			xr, yr := x[lo:hi], y[lo:hi]
			m := maxGo(xr)
			var s float32
			for j, v := range xr {
				yr[j] = float32(math.Exp(float64(v - m)))
				s += yr[j]
			}
			for j := range yr {
				yr[j] /= s
			}
		}))
	})
}

// BenchmarkUpdate times AddTo and Adam on benchN elements with every kernel
// set, and, for Adam, the float64 arithmetic per element on float32 storage
// that optim used for float32 parameters before (the operations of
// optim.adam64 with conversions). Compare with -cpu 1.
func BenchmarkUpdate(b *testing.B) {
	x, d := benchInput(), make([]float32, benchN)
	w, g, m, v := benchInput(), benchInput(), make([]float32, benchN), make([]float32, benchN)
	for i := range g {
		g[i] *= 1e-2
	}
	c := adamCases[0].c
	saved := kern
	defer func() { kern = saved }()
	for _, ks := range kernelSets() {
		kern = ks
		b.Run("AddTo/"+ks.name, func(b *testing.B) { benchKernel(b, func() { AddTo(d, x) }) })
		b.Run("Adam/"+ks.name, func(b *testing.B) { benchKernel(b, func() { Adam(w, g, m, v, c) }) })
	}
	b.Run("Adam/float64", func(b *testing.B) {
		b1, c1, b2, c2 := float64(c.Beta1), float64(c.OneMinusBeta1), float64(c.Beta2), float64(c.OneMinusBeta2)
		benchKernel(b, func() {
			for i, wi := range w {
				gi := float64(g[i]) + float64(c.L2)*float64(wi)
				m[i] = float32(b1*float64(m[i]) + c1*gi)
				v[i] = float32(b2*float64(v[i]) + c2*gi*gi)
				w[i] = float32(float64(wi)*float64(c.Shrink) - float64(c.StepSize)*float64(m[i])/(math.Sqrt(float64(v[i]))/float64(c.SqrtBC2)+float64(c.Eps)))
			}
		})
	})
}
