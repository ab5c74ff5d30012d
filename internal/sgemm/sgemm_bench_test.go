package sgemm

import (
	"fmt"
	"math/rand"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchShape is a product op(A)·op(B) of gorgonet's models, m×k times k×n.
type benchShape struct {
	tA, tB  blas.Transpose
	m, k, n int
}

// benchShapes are the products of gorgonet's layers (ops/affine.go):
// for an affine layer x·W with x [m,k] and W [k,n], the forward product
// y = x·W (NN, m×k×n), dX = dY·Wᵀ (NT, m×n×k) and dW = Xᵀ·dY (TN, k×m×n).
func benchShapes() []benchShape {
	var shapes []benchShape
	for _, s := range [][3]int{
		{1024, 128, 128}, {1024, 128, 512}, {1024, 512, 128}, {2048, 128, 96}, // Transformer, MLP
		{32, 256, 1024},                                                           // LSTM recurrent step
		{64, 32, 64},                                                              // one attention head
		{1024, 768, 768}, {1024, 768, 2304}, {1024, 768, 3072}, {1024, 3072, 768}, // GPT-2 small width, B·T = 1024: q/k/v/out, fused QKV, FFN
	} {
		m, k, n := s[0], s[1], s[2]
		shapes = append(shapes,
			benchShape{blas.NoTrans, blas.NoTrans, m, k, n},
			benchShape{blas.NoTrans, blas.Trans, m, n, k},
			benchShape{blas.Trans, blas.NoTrans, k, m, n})
	}
	return append(shapes, benchShape{blas.Trans, blas.NoTrans, 256, 2048, 1024}) // LSTM weight gradient
}

// BenchmarkSgemm measures GFLOP/s (2·m·n·k per product) of every kernel this
// CPU runs and of gonum's Sgemm, single-threaded with -cpu 1 (gonum's
// Sgemm uses GOMAXPROCS goroutines):
//
//	go test ./internal/sgemm -run '^$' -bench Sgemm -cpu 1
func BenchmarkSgemm(b *testing.B) {
	rnd := rand.New(rand.NewSource(1))
	for _, s := range benchShapes() {
		a := randSlice(rnd, s.m*s.k)
		bm := randSlice(rnd, s.k*s.n)
		c := make([]float32, s.m*s.n)
		lda, ldb := s.k, s.n
		if s.tA == blas.Trans {
			lda = s.m
		}
		if s.tB == blas.Trans {
			ldb = s.k
		}
		name := fmt.Sprintf("%c%c_%dx%dx%d", s.tA, s.tB, s.m, s.k, s.n)
		run := func(b *testing.B, gemm func(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) {
			for i := 0; i < b.N; i++ {
				gemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		for _, kn := range kernels() {
			b.Run(name+"/"+kn.name, func(b *testing.B) {
				withKernel(b, kn, func() { run(b, Sgemm) })
			})
		}
		b.Run(name+"/gonum", func(b *testing.B) { run(b, gonum.Implementation{}.Sgemm) })
	}
}

func randSlice(rnd *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 2*rnd.Float32() - 1
	}
	return s
}
