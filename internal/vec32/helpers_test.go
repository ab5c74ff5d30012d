package vec32

import (
	"math"
	"testing"
)

// eachKernelSet runs f as a subtest with every kernel set this CPU supports
// (AVX2 and Go on amd64) installed in kern.
func eachKernelSet(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := kern
	defer func() { kern = saved }()
	for _, ks := range kernelSets() {
		kern = ks
		t.Run(ks.name, f)
	}
}

// TestKernelSets checks that the assembly kernels are tested where the CPU
// has them: on this machine (AVX2+FMA) both sets must be present.
func TestKernelSets(t *testing.T) {
	sets := kernelSets()
	if sets[len(sets)-1] != goKernels {
		t.Errorf("the Go kernels are not in the list %v", sets)
	}
	t.Logf("kernel sets: %d, in use %q", len(sets), kern.name)
}

// f32 returns float32 bits as a float32.
func f32(b uint32) float32 { return math.Float32frombits(b) }

var (
	inf32  = float32(math.Inf(1))
	nan32  = float32(math.NaN())
	maxF32 = float32(math.MaxFloat32)
)

// sweep returns n points evenly spaced over [lo, hi].
func sweep(lo, hi float64, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(lo + (hi-lo)*float64(i)/float64(n-1))
	}
	return x
}

// bitSweep returns every float32 whose bit pattern is a multiple of step (both
// signs, all exponents, NaNs and infinities included).
func bitSweep(step uint32) []float32 {
	var x []float32
	for b := uint64(0); b < 1<<32; b += uint64(step) {
		x = append(x, f32(uint32(b)))
	}
	return x
}

// sameFloat reports whether a and b are equal or both NaN (and, for zeros,
// of the same sign when signed is true).
func sameFloat(a, b float32, signed bool) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	if signed && a == 0 && b == 0 {
		return math.Signbit(float64(a)) == math.Signbit(float64(b))
	}
	return a == b
}

// unary describes an elementwise kernel for the shared tests.
type unary struct {
	name string
	fn   func(dst, x []float32)
	ref  func(float64) float64
	// err returns the error measure of got against the float64 reference at x.
	err func(got float32, ref, x float64) float64
	// bound is the maximum err allowed.
	bound float64
}

// relErr is |got − ref|/|ref| (|got − ref| where ref is 0 or subnormal, i.e.
// below float32's normal range, where float32 itself has no relative
// precision), 0 when both are the same infinity or NaN.
func relErr(got float32, ref, _ float64) float64 {
	g := float64(got)
	switch {
	case math.IsNaN(ref) || math.IsNaN(g):
		if math.IsNaN(ref) && math.IsNaN(g) {
			return 0
		}
		return math.Inf(1)
	case math.IsInf(ref, 0) || math.IsInf(g, 0):
		if g == ref || (math.Abs(ref) > math.MaxFloat32 && g == math.Copysign(math.Inf(1), ref)) {
			return 0
		}
		return math.Inf(1)
	case math.Abs(ref) < 0x1p-126:
		// subnormal: an absolute error of one subnormal ulp (1.4e-45) relative
		// to the smallest normal
		return math.Abs(g-ref) / 0x1p-126 * 0x1p-23
	}
	return math.Abs(g-ref) / math.Abs(ref)
}

// absErr is |got − ref|, 0 when both are the same infinity or NaN.
func absErr(got float32, ref, _ float64) float64 {
	if e := relErr(got, ref, 0); e == 0 || math.IsInf(e, 1) {
		return e
	}
	return math.Abs(float64(got) - ref)
}

// scaledErr is |got − ref|/max(1, |x|).
func scaledErr(got float32, ref, x float64) float64 {
	if e := absErr(got, ref, x); e == 0 || math.IsInf(e, 1) {
		return e
	}
	return math.Abs(float64(got)-ref) / math.Max(1, math.Abs(x))
}

// maxErr returns the largest error of u over x and where it occurs.
func maxErr(u unary, x []float32) (worst float64, at float32) {
	got := make([]float32, len(x))
	u.fn(got, x)
	for i, v := range x {
		if e := u.err(got[i], u.ref(float64(v)), float64(v)); e > worst || e != e {
			worst, at = e, v
			if e != e {
				return worst, at
			}
		}
	}
	return worst, at
}
