package ops

// Matrix products of the ops, through the BLAS the build selects
// (blas_gonum.go, blas_openblas.go).

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gorgonia.org/tensor"
)

// gemm computes c = op(a)·op(b) + beta·c for row-major contiguous tensors,
// with op(a) [m,k] and op(b) [k,n], through the BLAS in use (internal/sgemm
// and gonum's pure Go by default, OpenBLAS with -tags openblas). Float32
// products, and every product with OpenBLAS, have their rows split between
// goroutines (gemmRows), each calling a single-threaded SGEMM (internal/sgemm,
// OpenBLAS as set up in blas_openblas_threads.go); gonum's Dgemm runs its own
// goroutines and gets the whole float64 product.
func gemm(ta, tb blas.Transpose, m, n, k int, a, b *tensor.Dense, beta float64, c *tensor.Dense) {
	if BLASName == "openblas" || c.Dtype() == tensor.Float32 {
		gemmRows(ta, tb, m, n, k, a, b, beta, c)
		return
	}
	lda, ldb := k, n
	if ta == blas.Trans {
		lda = m
	}
	if tb == blas.Trans {
		ldb = k
	}
	blas64.Implementation().Dgemm(ta, tb, m, n, k, 1, a.Float64s(), lda, b.Float64s(), ldb, beta, c.Float64s(), n)
}

// gemmRows computes c = op(a)·op(b) + beta·c like gemm, with the m rows of
// c split between goroutines (parallelFor), each calling the BLAS on its
// block of rows of op(a) and c. The OpenBLAS build uses it with OpenBLAS
// single-threaded (blas_openblas_threads.go).
func gemmRows(ta, tb blas.Transpose, m, n, k int, a, b *tensor.Dense, beta float64, c *tensor.Dense) {
	lda, ldb := k, n
	if ta == blas.Trans {
		lda = m
	}
	if tb == blas.Trans {
		ldb = k
	}
	// offA is where row lo of op(a) starts: a row of a, or a column of a stored [k,m].
	offA := func(lo int) int {
		if ta == blas.Trans {
			return lo
		}
		return lo * lda
	}
	parallelFor(m, m*n*k, func(lo, hi int) {
		if c.Dtype() == tensor.Float32 {
			blas32.Implementation().Sgemm(ta, tb, hi-lo, n, k, 1, a.Float32s()[offA(lo):], lda, b.Float32s(), ldb,
				float32(beta), c.Float32s()[lo*n:], n)
			return
		}
		blas64.Implementation().Dgemm(ta, tb, hi-lo, n, k, 1, a.Float64s()[offA(lo):], lda, b.Float64s(), ldb,
			beta, c.Float64s()[lo*n:], n)
	})
}

// gemmRowsBias computes c = a·b + bias for a [m,k], b [k,n] and bias [n]
// added to every row, with the rows split between goroutines like gemmRows.
// Each goroutine works through its rows in blocks of biasBlockRows: it fills
// a block of c with bias and multiplies into it at once, while the block is
// still in its cache.
func gemmRowsBias(m, n, k int, a, b, bias, c *tensor.Dense) {
	parallelFor(m, m*n*k, func(lo, hi int) {
		for blo := lo; blo < hi; blo += biasBlockRows {
			bhi := min(blo+biasBlockRows, hi)
			if c.Dtype() == tensor.Float32 {
				cs := c.Float32s()[blo*n : bhi*n]
				fillRows(cs, bias.Float32s())
				blas32.Implementation().Sgemm(blas.NoTrans, blas.NoTrans, bhi-blo, n, k, 1, a.Float32s()[blo*k:], k, b.Float32s(), n, 1, cs, n)
				continue
			}
			cs := c.Float64s()[blo*n : bhi*n]
			fillRows(cs, bias.Float64s())
			blas64.Implementation().Dgemm(blas.NoTrans, blas.NoTrans, bhi-blo, n, k, 1, a.Float64s()[blo*k:], k, b.Float64s(), n, 1, cs, n)
		}
	})
}

// biasBlockRows is the number of rows gemmRowsBias fills and multiplies at a
// time: 128 rows of up to 512 float32 (256 KiB) stay in a core's L2 cache.
const biasBlockRows = 128

// fillRows fills each row of y, consecutive runs of len(row) elements, with row.
func fillRows[T opFloat](y, row []T) {
	for off := 0; off < len(y); off += len(row) {
		copy(y[off:], row)
	}
}
