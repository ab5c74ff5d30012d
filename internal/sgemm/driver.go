package sgemm

import (
	"sync"
	"unsafe"
)

// workspace holds the packing buffers of one Sgemm call; workspaces are
// reused through pool so that a call allocates nothing in steady state.
type workspace struct {
	a, b, tile []float32
}

var pool = sync.Pool{New: func() any { return new(workspace) }}

// aligned returns (*buf)[:n], reallocating *buf when it is too small; a new
// buffer starts on a 64-byte boundary (a cache line, one Z register).
func aligned(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		s := make([]float32, n+16)
		off := int((64 - uintptr(unsafe.Pointer(&s[0]))%64) % 64 / 4)
		*buf = s[off : off+n]
	}
	return (*buf)[:n]
}

// Operands are read in place instead of packed when packing would cost more
// than it saves: B (not transposed) when C has at most unpackedBRows rows,
// so that each packed value would be used only a few times, and A when C
// has at most unpackedACols columns. Edge panels are still packed, with
// their zero padding. (Variables so that tests can force either way.)
var (
	unpackedBRows = 128
	unpackedACols = 256
)

// gemm computes C = alpha·op(A)·op(B) + beta·C with kernel kn, for m, n, k ≥ 1
// and alpha ≠ 0 (the arguments are checked by Sgemm). It is the five loops
// around the micro-kernel of Goto & van de Geijn (2008) in the order of BLIS:
// blocks of nc columns of C (jc), of kc steps of the inner dimension (pc, B's
// block packed into panels of nr columns), of mc rows (ic, A's block packed
// into panels of mr rows), then tiles of mr×nr (jr, ir); operands below the
// unpacked thresholds are read in place instead, all but their ragged last
// panel. Tiles at the right and bottom edges are computed in full from
// zero-padded panels into a scratch tile and merged into C.
func gemm(kn *kernel, aT, bT bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ws := pool.Get().(*workspace)
	defer pool.Put(ws)
	mr, nr := kn.mr, kn.nr
	tile := aligned(&ws.tile, mr*nr)
	packAllA := n > unpackedACols
	packAllB := bT || m > unpackedBRows
	for jc := 0; jc < n; jc += kn.nc {
		nc := min(kn.nc, n-jc)
		for pc := 0; pc < k; pc += kn.kc {
			kc := min(kn.kc, k-pc)
			betaP := beta // the first block of k scales C by beta, the next ones add to it
			if pc > 0 {
				betaP = 1
			}
			// Panels of B: packed from column jb of the block on (all of
			// them, or only the ragged last one), in place before it.
			jb := 0
			if !packAllB {
				jb = nc / nr * nr
			}
			bp := aligned(&ws.b, kc*roundUp(nc-jb, nr))
			if jb < nc {
				packB(bT, b, ldb, pc, jc+jb, kc, nc-jb, nr, bp)
			}
			for ic := 0; ic < m; ic += kn.mc {
				mc := min(kn.mc, m-ic)
				ib := 0
				if !packAllA {
					ib = mc / mr * mr
				}
				ap := aligned(&ws.a, kc*roundUp(mc-ib, mr))
				if ib < mc {
					packA(aT, a, lda, ic+ib, pc, mc-ib, kc, mr, ap)
				}
				for jr := 0; jr < nc; jr += nr {
					nn := min(nr, nc-jr)
					var bPanel []float32
					ksB := nr
					if jr < jb {
						bPanel, ksB = b[pc*ldb+jc+jr:], ldb
					} else {
						bPanel = bp[(jr-jb)*kc:]
					}
					for ir := 0; ir < mc; ir += mr {
						mm := min(mr, mc-ir)
						var aPanel []float32
						var rsA, ksA int
						switch {
						case ir >= ib:
							aPanel, rsA, ksA = ap[(ir-ib)*kc:], 1, mr
						case aT:
							aPanel, rsA, ksA = a[pc*lda+ic+ir:], 1, lda
						default:
							aPanel, rsA, ksA = a[(ic+ir)*lda+pc:], lda, 1
						}
						ci := (ic+ir)*ldc + jc + jr
						if mm == mr && nn == nr {
							kn.fn(kc, aPanel, rsA, ksA, bPanel, ksB, c[ci:], ldc, alpha, betaP)
							continue
						}
						kn.fn(kc, aPanel, rsA, ksA, bPanel, ksB, tile, nr, 1, 0)
						mergeTile(mm, nn, tile, nr, alpha, betaP, c[ci:], ldc)
					}
				}
			}
		}
	}
}

// roundUp rounds n up to a multiple of r.
func roundUp(n, r int) int { return (n + r - 1) / r * r }

// mergeTile sets the mm×nn top-left corner of C to alpha·T + beta·C, not
// reading C when beta == 0.
func mergeTile(mm, nn int, t []float32, ldt int, alpha, beta float32, c []float32, ldc int) {
	for i := 0; i < mm; i++ {
		ti := t[i*ldt : i*ldt+nn]
		ci := c[i*ldc : i*ldc+nn]
		if beta == 0 {
			for j, v := range ti {
				ci[j] = alpha * v
			}
			continue
		}
		for j, v := range ti {
			ci[j] = alpha*v + beta*ci[j]
		}
	}
}

// scaleC sets the m×n matrix C to beta·C (zero when beta == 0, so that NaNs
// in C do not survive).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(ci)
			continue
		}
		for j := range ci {
			ci[j] *= beta
		}
	}
}
