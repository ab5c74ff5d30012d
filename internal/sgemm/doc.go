// Package sgemm is gorgonet's single-precision matrix product for the
// default (pure Go, no cgo) build: C = alpha·op(A)·op(B) + beta·C in
// row-major storage with BLAS semantics (Sgemm), and Implementation, gonum's
// BLAS with this Sgemm, to hand to gorgonia.Use and blas32.Use
// (graph/blas_gonum.go).
//
// # Algorithm
//
// Sgemm follows Goto & van de Geijn, "Anatomy of High-Performance Matrix
// Multiplication", ACM TOMS 34(3), 2008, in the loop order of BLIS (Van Zee &
// van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS
// Functionality", ACM TOMS 41(3), 2015). Around an assembly micro-kernel
// that keeps an mr×nr tile of C in vector registers, five loops block the
// product for the caches:
//
//	for jc: nc columns of C         (B's block kc×nc stays in L3)
//	  for pc: kc steps of k         pack op(B)[pc:pc+kc, jc:jc+nc] into panels kc×nr
//	    for ic: mc rows of C        pack op(A)[ic:ic+mc, pc:pc+kc] into panels mr×kc (L2)
//	      for jr: nr columns        one panel of B (L1)
//	        for ir: mr rows         micro-kernel: kc rank-1 updates of the tile
//
// Packing copies each block into the order the kernel reads it, for every
// transpose combination (pack.go; the transposing cases use 8×8 register
// transposes in assembly), and pads the last panels with zeros so that the
// kernel always computes whole tiles: tiles at the right and bottom edges
// of C go through a scratch tile and are merged into C. Packing is skipped
// where it would cost more than it saves, since the kernel also reads
// operands in place through their strides: B (not transposed) when C has
// at most 128 rows, A when C has at most 256 columns, the small products of
// gorgonet's models (an LSTM time step, one attention head). The packing
// buffers come from a sync.Pool, so a call allocates nothing in steady
// state. Sgemm is single-threaded: gorgonet splits the rows of C between
// goroutines (graph/gemm_rows.go).
//
// # Kernels
//
// The kernel is chosen at start-up from the CPU (golang.org/x/sys/cpu):
//
//   - AVX-512F: 8×32 tile in 16 Z registers, rows of A broadcast from memory,
//   - AVX2 and FMA: 6×16 tile in 12 Y registers,
//   - otherwise (other CPUs and architectures, or the purego build tag): a
//     4×4 tile in plain Go.
//
// Measured single-threaded (go test -bench Sgemm -cpu 1, best of 3) on an
// AMD EPYC Zen 5 vCPU, in GFLOP/s for the products of gorgonet's models:
// 170-200 with AVX-512 (1024×128×512 NN 182, 1024×128×128 NN 202, the TN
// weight gradients 134-180, the 32×256×1024 LSTM step 172 NN and 126 NT, a
// 64×32×64 attention head 141-165), 75-110 with AVX2, about 5 with the Go
// kernel; gonum's Sgemm gets 8-18 on the same products and OpenBLAS about
// 130-150.
//
// Invalid arguments (an unknown transpose, a negative dimension, a leading
// dimension shorter than a row, a slice too short for its matrix) panic with
// gonum's messages, as BLAS routines do.
package sgemm
