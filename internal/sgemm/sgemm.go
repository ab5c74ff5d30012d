package sgemm

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// active is the micro-kernel Sgemm uses: the fastest one this CPU runs.
// Tests set it to exercise every kernel.
var active = kernels()[0]

// KernelName names the micro-kernel Sgemm uses on this CPU: "AVX-512"
// (8×32 tiles), "AVX2" (6×16, AVX2 and FMA) or "Go" (4×4, portable).
func KernelName() string { return active.name }

// Implementation is gonum's pure-Go BLAS with Sgemm replaced by this
// package's; it satisfies blas.Float32, blas.Float64 and gorgonia's BLAS
// interface (gorgonia.Use).
type Implementation struct {
	gonum.Implementation
}

// Sgemm is the package function Sgemm; see there.
func (Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Messages of the panics on invalid arguments, the same as gonum's.
const (
	badTranspose = "blas: illegal transpose"
	mLT0         = "blas: m < 0"
	nLT0         = "blas: n < 0"
	kLT0         = "blas: k < 0"
	badLdA       = "blas: bad leading dimension of A"
	badLdB       = "blas: bad leading dimension of B"
	badLdC       = "blas: bad leading dimension of C"
	shortA       = "blas: insufficient length of a"
	shortB       = "blas: insufficient length of b"
	shortC       = "blas: insufficient length of c"
)

// Sgemm computes, in row-major storage,
//
//	C = alpha·op(A)·op(B) + beta·C
//
// where op(A) is m×k (A is m×k, or k×m when tA is blas.Trans or
// blas.ConjTrans), op(B) is k×n (B is k×n, or n×k when transposed), C is
// m×n, and lda, ldb, ldc are the row strides of A, B and C. When beta == 0,
// C is overwritten without being read (NaNs in C do not propagate); when
// alpha == 0 or k == 0, C is only scaled by beta. Sgemm runs on the calling
// goroutine only: callers parallelize by splitting the rows of C.
//
// Like every BLAS, Sgemm panics on invalid arguments (an unknown transpose,
// a negative dimension, a leading dimension smaller than the row length, or
// a slice too short for the matrix it holds), with gonum's messages.
func Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	aT := isTrans(tA)
	bT := isTrans(tB)
	switch {
	case m < 0:
		panic(mLT0)
	case n < 0:
		panic(nLT0)
	case k < 0:
		panic(kLT0)
	}
	rowsA, colsA := m, k
	if aT {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if bT {
		rowsB, colsB = n, k
	}
	switch {
	case lda < max(1, colsA):
		panic(badLdA)
	case ldb < max(1, colsB):
		panic(badLdB)
	case ldc < max(1, n):
		panic(badLdC)
	}
	if m == 0 || n == 0 {
		return
	}
	switch {
	case rowsA > 0 && len(a) < (rowsA-1)*lda+colsA:
		panic(shortA)
	case rowsB > 0 && len(b) < (rowsB-1)*ldb+colsB:
		panic(shortB)
	case len(c) < (m-1)*ldc+n:
		panic(shortC)
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	gemm(active, aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// isTrans reports whether t transposes its matrix, panicking on values that
// are not a blas.Transpose.
func isTrans(t blas.Transpose) bool {
	switch t {
	case blas.NoTrans:
		return false
	case blas.Trans, blas.ConjTrans:
		return true
	}
	panic(badTranspose)
}
