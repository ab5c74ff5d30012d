package sgemm

// kernelFunc computes one mr×nr tile of C (the micro-kernel of doc.go):
//
//	C[i*ldc+j] = alpha·Σ_{p<kc} A(i,p)·B(p,j) + beta·C[i*ldc+j]
//
// for i < mr, j < nr, where A(i,p) = a[i*rsA+p*ksA] and B(p,j) = b[p*ksB+j].
// With beta == 0 C is overwritten without being read. kc ≥ 1, and the
// caller guarantees that every element addressed is inside a, b and c.
type kernelFunc func(kc int, a []float32, rsA, ksA int, b []float32, ksB int, c []float32, ldc int, alpha, beta float32)

// kernel is a micro-kernel with its tile shape mr×nr and the cache block
// sizes the driver (driver.go) uses with it: kc (depth of the packed panels),
// mc (rows of the packed block of A) and nc (columns of the packed block of
// B).
type kernel struct {
	name       string
	mr, nr     int
	kc, mc, nc int
	fn         kernelFunc
}

// goKernel is the portable 4×4 micro-kernel in plain Go, used where no
// assembly kernel fits the CPU (and in tests).
var goKernel = &kernel{name: "Go", mr: 4, nr: 4, kc: 256, mc: 128, nc: 2048, fn: kernGo}

// kernGo is the kernelFunc of goKernel: a 4×4 tile held in 16 scalars.
func kernGo(kc int, a []float32, rsA, ksA int, b []float32, ksB int, c []float32, ldc int, alpha, beta float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	r1, r2, r3 := rsA, 2*rsA, 3*rsA
	ia, ib := 0, 0
	for p := 0; p < kc; p++ {
		bp := (*[4]float32)(b[ib:])
		a0 := a[ia]
		c00 += a0 * bp[0]
		c01 += a0 * bp[1]
		c02 += a0 * bp[2]
		c03 += a0 * bp[3]
		a1 := a[ia+r1]
		c10 += a1 * bp[0]
		c11 += a1 * bp[1]
		c12 += a1 * bp[2]
		c13 += a1 * bp[3]
		a2 := a[ia+r2]
		c20 += a2 * bp[0]
		c21 += a2 * bp[1]
		c22 += a2 * bp[2]
		c23 += a2 * bp[3]
		a3 := a[ia+r3]
		c30 += a3 * bp[0]
		c31 += a3 * bp[1]
		c32 += a3 * bp[2]
		c33 += a3 * bp[3]
		ia += ksA
		ib += ksB
	}
	updateRow4(c[0:4], c00, c01, c02, c03, alpha, beta)
	updateRow4(c[ldc:ldc+4], c10, c11, c12, c13, alpha, beta)
	updateRow4(c[2*ldc:2*ldc+4], c20, c21, c22, c23, alpha, beta)
	updateRow4(c[3*ldc:3*ldc+4], c30, c31, c32, c33, alpha, beta)
}

// updateRow4 sets row = alpha·(x0..x3) + beta·row, not reading row when
// beta == 0.
func updateRow4(row []float32, x0, x1, x2, x3, alpha, beta float32) {
	row = row[:4]
	if beta == 0 {
		row[0], row[1], row[2], row[3] = alpha*x0, alpha*x1, alpha*x2, alpha*x3
		return
	}
	row[0] = alpha*x0 + beta*row[0]
	row[1] = alpha*x1 + beta*row[1]
	row[2] = alpha*x2 + beta*row[2]
	row[3] = alpha*x3 + beta*row[3]
}
