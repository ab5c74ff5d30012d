// Package ops holds gorgonet's custom Gorgonia operations: the ones Gorgonia
// v0.9.18 lacks (GELU, Dropout with a seeded mask, LayerNorm, softmax
// cross-entropy over integer targets, the masked softmax of attention), gets
// wrong (Narrow and Concat at offsets 256 apart, whose nodes Gorgonia merges;
// Softmax and LogSoftmax of one node, likewise; traps_test.go pins each trap)
// or runs slowly (Affine, BatchedMatMul over interleaved heads, the fused
// LSTM/GRU/Elman Recurrence). Each takes and returns *gorgonia.Node, so
// layers and models compose them with Gorgonia's own operations; each has a
// hand-written gradient checked against float64 finite differences.
//
// Every op is a kernel (op.go): a small struct whose fields are its
// parameters, with its type and hash parameters (spec), its shape rule, its
// computation and, if it has one, its gradient; asOp answers the rest of the
// gorgonia.Op interface for all of them. Results are written into the tape
// machine's kept register buffers (graph's registers.go) when they fit, so a
// kernel writes every element of its result (prealloc_test.go).
//
// Matrix products go through the BLAS the build selects: internal/sgemm's
// AVX-512/AVX2 kernels by default (gonum's pure Go with -tags purego or on
// CPUs without them), OpenBLAS with -tags openblas (BLASName says which).
package ops
