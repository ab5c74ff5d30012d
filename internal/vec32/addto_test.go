package vec32

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestAddTo checks AddTo on every length 0…70 at alignments 0…3, separate
// and in place, with infinities, NaN and signed zeros among the operands:
// each element must be the correctly rounded float32 sum (the float64 sum of
// two float32 rounded to float32), nothing outside dst may be written, and
// every kernel set must give the same bits.
func TestAddTo(t *testing.T) {
	const maxN, pad = 70, 8
	rng := rand.New(rand.NewPCG(7, 8))
	xs, ds := make([]float32, maxN+pad), make([]float32, maxN+pad)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64() * 3)
		ds[i] = float32(rng.NormFloat64() * 1e3)
	}
	specials := []float32{inf32, -inf32, nan32, f32(0x80000000), 0, maxF32, -maxF32, 1e-40}
	for i, s := range specials {
		xs[3*i+1], ds[5*i+2] = s, specials[len(specials)-1-i]
	}
	eachKernelSet(t, func(t *testing.T) {
		for n := 0; n <= maxN; n++ {
			for off := 0; off < 4; off++ {
				for _, inPlace := range []bool{false, true} {
					name := fmt.Sprintf("n=%d off=%d inPlace=%v", n, off, inPlace)
					dbuf, xbuf := append([]float32(nil), ds...), append([]float32(nil), xs...)
					dst, x := dbuf[off:off+n], xbuf[off:off+n]
					if inPlace {
						dst, dbuf = x, xbuf
					}
					AddTo(dst, x)
					for i, got := range dbuf {
						orig := map[bool][]float32{false: ds, true: xs}[inPlace]
						want := orig[i]
						if i >= off && i < off+n {
							want = float32(float64(orig[i]) + float64(xs[i]))
						}
						if !sameFloat(got, want, true) {
							t.Fatalf("%s: buffer index %d = %g, want %g", name, i, got, want)
						}
					}
				}
			}
		}
	})
}

// TestAddToLengths: AddTo panics when the lengths differ.
func TestAddToLengths(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for lengths 3 and 4")
		}
	}()
	AddTo(make([]float32, 3), make([]float32, 4))
}
