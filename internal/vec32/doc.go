// Package vec32 holds vectorised float32 kernels for the hot elementwise and
// row operations of gorgonet's float32 graphs: exp, the exact (erf) GELU and
// its derivative, sigmoid, tanh, the row kernels of softmax and layer
// normalisation, and the in-place updates AddTo (sums of rows) and Adam (the
// optimizer step).
//
// On amd64 with AVX2 and FMA the kernels are Go assembly working on 8 lanes
// at a time (the last len%8 elements with masked loads and stores, so every
// element goes through the same arithmetic); elsewhere, or with the purego
// build tag, they are plain Go loops doing the same float32 arithmetic (without
// fused multiply-adds, so results may differ from the assembly in the last
// bit). Both are tested against float64 references on this machine.
//
// Approximations (coefficients in coeffs.go, fitted by gen_coeffs.go, a
// near-minimax fit by Lawson's algorithm in float64):
//
//   - exp: Cody–Waite range reduction x = n·ln2 + r, |r| ≤ ln2/2 (W. J. Cody
//     and W. Waite, Software Manual for the Elementary Functions, 1980, ch. 6),
//     exp(r) by a degree-6 polynomial, 2^n built in the exponent bits (as two
//     factors, so that subnormal results come out right).
//   - GELU(x) = x·Φ(x), Φ(x) = ½(1 + erf(x/√2)) (Hendrycks & Gimpel 2016,
//     "Gaussian Error Linear Units"): Φ(|x|) − ½ and the derivative
//     Φ(|x|) + |x|·φ(|x|) − ½ are each 7 polynomial pieces of degree 8 on
//     [0, 6) and the constant ½ beyond; the sign of x gives the other half
//     (Φ(−a) = 1 − Φ(a), GELU′(−a) = 1 − GELU′(a)). The coefficient of the
//     piece is picked per lane with a permute (VPERMPS), so there is no
//     division and no exp.
//   - sigmoid(x) = 1/(1 + exp(−x)); tanh(|x|) = (1 − e)/(1 + e) with
//     e = exp(−2|x|) for |x| ≥ 0.625 and x + x³·P(x²) (P of degree 4)
//     below, where the quotient would cancel.
//
// Measured maximum errors against float64 math (dense sweeps in the tests):
// see the doc comment of each function.
//
// Slices: dst must have the length of x (the functions panic otherwise, as a
// mismatch is a programming error); dst may be x itself (in-place), but must
// not overlap x otherwise.
package vec32

//go:generate go run gen_coeffs.go
