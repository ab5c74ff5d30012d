//go:build !purego

package vec32

import (
	"math"

	"golang.org/x/sys/cpu"
)

// The AVX2+FMA kernels of kernels_amd64.s. Each processes 8 lanes at a time
// and the last len%8 elements with masked loads and stores; lengths are those
// of x (checked by the callers).

//go:noescape
func expAVX2(dst, x []float32)

//go:noescape
func sigmoidAVX2(dst, x []float32)

//go:noescape
func tanhAVX2(dst, x []float32)

//go:noescape
func geluAVX2(dst, x []float32)

//go:noescape
func geluGradAVX2(dst, x, g []float32)

//go:noescape
func maxAVX2(x []float32) float32

//go:noescape
func sumAVX2(x []float32) float32

//go:noescape
func dotAVX2(x, y []float32) float32

//go:noescape
func scaleAVX2(dst, x []float32, a float32)

//go:noescape
func expSumAVX2(dst, x []float32, scale, shift float32) float32

//go:noescape
func softmaxGradAVX2(dst, y, g []float32, scale float32)

//go:noescape
func sumSqDevAVX2(x []float32, c float32) float32

// normalizeAVX2 reads the bias at b, advancing bStride bytes per 8 elements
// (0 with b pointing to 8 zeros when there is no bias).
//
//go:noescape
func normalizeAVX2(dst, x, w []float32, b *float32, bStride int, mean, rstd float32)

//go:noescape
func lnGradSumsAVX2(x, w, g []float32, mean float32) (sg, sgx float32)

//go:noescape
func lnGradApplyAVX2(dx, x, w, g []float32, mean, a, b, c float32)

//go:noescape
func gainGradAVX2(acc, x, g []float32, mean, rstd float32)

//go:noescape
func addToAVX2(dst, x []float32)

//go:noescape
func adamAVX2(w, g, m, v []float32, c *AdamCoeffs)

// adamAVX2Value adapts adamAVX2 to the kernel signature (the coefficients
// by value, so that calls through the kernel set do not allocate).
func adamAVX2Value(w, g, m, v []float32, c AdamCoeffs) { adamAVX2(w, g, m, v, &c) }

// normalizeAVX2Slices adapts normalizeAVX2 to the kernel signature.
func normalizeAVX2Slices(dst, x, w, b []float32, mean, rstd float32) {
	if len(x) == 0 {
		return
	}
	if b == nil {
		normalizeAVX2(dst, x, w, &zeros[0], 0, mean, rstd)
		return
	}
	normalizeAVX2(dst, x, w, &b[0], 32, mean, rstd)
}

// zeros is the bias of normalizeAVX2 when there is none.
var zeros [8]float32

var avx2Kernels = &kernelSet{
	name:     "avx2",
	exp:      expAVX2,
	sigmoid:  sigmoidAVX2,
	tanh:     tanhAVX2,
	gelu:     geluAVX2,
	geluGrad: geluGradAVX2,

	max:         maxAVX2,
	sum:         sumAVX2,
	dot:         dotAVX2,
	scale:       scaleAVX2,
	expSum:      expSumAVX2,
	softmaxGrad: softmaxGradAVX2,

	sumSqDev:    sumSqDevAVX2,
	normalize:   normalizeAVX2Slices,
	lnGradSums:  lnGradSumsAVX2,
	lnGradApply: lnGradApplyAVX2,
	gainGrad:    gainGradAVX2,

	addTo: addToAVX2,
	adam:  adamAVX2Value,
}

// kernelSets lists the kernel sets this CPU can run, fastest first.
func kernelSets() []*kernelSet {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		return []*kernelSet{avx2Kernels, goKernels}
	}
	return []*kernelSet{goKernels}
}

// The assembly unrolls Horner's scheme for the degrees of coeffs.go: these
// fail to compile (negative array length) if gen_coeffs.go changes them
// without the assembly (EXP, TANH and GELUPOLY in macros_amd64.h and
// kernels_amd64.s).
var (
	_ [geluDegree - 8]struct{}
	_ [8 - geluDegree]struct{}
	_ [len(expPoly) - 5]struct{}
	_ [5 - len(expPoly)]struct{}
	_ [len(tanhPoly) - 5]struct{}
	_ [5 - len(tanhPoly)]struct{}
)

// lanes is a constant broadcast to the 8 lanes of a YMM register.
type lanes [8]uint32

// splat returns f in every lane.
func splat(f float32) lanes { return splatBits(math.Float32bits(f)) }

// splatBits returns the bit pattern b in every lane.
func splatBits(b uint32) lanes {
	var l lanes
	for i := range l {
		l[i] = b
	}
	return l
}

// avx2Consts are the constants of the assembly kernels, one per YMM-sized
// field, read as memory operands (field offsets come from go_asm.h). They
// are built from the same constants as the Go kernels.
type avx2Consts struct {
	ExpLo, ExpHi, Log2e, Ln2Hi, Ln2Lo, One, Half, Two lanes
	ExpPoly                                           [len(expPoly)]lanes
	Bias                                              lanes // 127, the exponent bias
	AbsMask, SignMask                                 lanes
	GeluClamp, GeluNegClamp, GeluInvWidth             lanes
	TanhSmall                                         lanes
	TanhPoly                                          [len(tanhPoly)]lanes
	NegInf                                            lanes
	TailMask                                          [16]uint32 // 8 × all ones, 8 × 0: lanes [8−k, 16−k) mask k lanes
}

var vc = newAVX2Consts()

func newAVX2Consts() avx2Consts {
	c := avx2Consts{
		ExpLo: splat(expLo), ExpHi: splat(expHi), Log2e: splat(log2e),
		Ln2Hi: splat(ln2Hi), Ln2Lo: splat(ln2Lo), One: splat(1), Half: splat(0.5), Two: splat(2),
		Bias:    splatBits(127),
		AbsMask: splatBits(0x7fffffff), SignMask: splatBits(0x80000000),
		GeluClamp: splat(geluClamp), GeluNegClamp: splat(-geluClamp), GeluInvWidth: splat(geluInvWidth),
		TanhSmall: splat(tanhSmall),
		NegInf:    splat(float32(math.Inf(-1))),
	}
	for j, p := range expPoly {
		c.ExpPoly[j] = splat(p)
	}
	for j, p := range tanhPoly {
		c.TanhPoly[j] = splat(p)
	}
	for i := 0; i < 8; i++ {
		c.TailMask[i] = 0xffffffff
	}
	return c
}
