//go:build !openblas

package graph

// BLASName names the BLAS implementation this build uses: gonum's pure-Go
// BLAS, the default. Build with -tags openblas for OpenBLAS.
const BLASName = "gonum"
