package sgemm

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// Implementation satisfies the interfaces gonum's blas32/blas64 and
// gorgonia.Use require.
var _ interface {
	blas.Float32
	blas.Float64
	blas.Complex64
	blas.Complex128
} = Implementation{}

// testKernel is a kernel with the packing thresholds of the driver to use
// with it.
type testKernel struct {
	*kernel
	name                         string
	unpackedBRows, unpackedACols int
}

// testKernels returns every kernel this CPU runs: with its own block sizes
// and packing thresholds, and with tiny blocks (kc, mc, nc not multiples of
// anything, so that small matrices cross every block boundary of the
// driver) with both operands always packed, or read in place wherever
// possible.
func testKernels() []testKernel {
	var ks []testKernel
	for _, kn := range kernels() {
		tiny := *kn
		tiny.kc, tiny.mc, tiny.nc = 5, 2*kn.mr+1, 2*kn.nr+3
		ks = append(ks,
			testKernel{kn, kn.name, unpackedBRows, unpackedACols},
			testKernel{&tiny, kn.name + "/tiny-blocks/packed", 0, 0},
			testKernel{&tiny, kn.name + "/tiny-blocks/in-place", math.MaxInt, math.MaxInt})
	}
	return ks
}

// withKernel runs f with Sgemm using kernel kn.
func withKernel(t testing.TB, kn *kernel, f func()) {
	saved := active
	active = kn
	defer func() { active = saved }()
	f()
}

// with runs f with Sgemm using tk's kernel and packing thresholds.
func (tk testKernel) with(t testing.TB, f func()) {
	savedB, savedA := unpackedBRows, unpackedACols
	unpackedBRows, unpackedACols = tk.unpackedBRows, tk.unpackedACols
	defer func() { unpackedBRows, unpackedACols = savedB, savedA }()
	withKernel(t, tk.kernel, f)
}

var transposes = []blas.Transpose{blas.NoTrans, blas.Trans}

// gemmCase is one Sgemm call of the tests: op(A) m×k, op(B) k×n, extra
// elements at the end of each row (pad) and before each matrix (off).
type gemmCase struct {
	tA, tB      blas.Transpose
	m, n, k     int
	alpha, beta float32
	pad, off    int
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%c,tB=%c,m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d,off=%d",
		tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.pad, tc.off)
}

// check runs the case with random A, B, C (NaN-filled C when beta == 0),
// compares C with a float64 reference within a bound proportional to k·eps
// and checks that Sgemm wrote nothing outside the m×n part of C.
func (tc gemmCase) check(t *testing.T, rnd *rand.Rand) {
	t.Helper()
	rowsA, colsA := tc.m, tc.k
	if tc.tA == blas.Trans {
		rowsA, colsA = tc.k, tc.m
	}
	rowsB, colsB := tc.k, tc.n
	if tc.tB == blas.Trans {
		rowsB, colsB = tc.n, tc.k
	}
	lda, ldb, ldc := max(1, colsA+tc.pad), max(1, colsB+tc.pad), max(1, tc.n+tc.pad)
	fill := func(rows, ld int, v func() float32) []float32 {
		s := make([]float32, tc.off+rows*ld)
		for i := range s {
			s[i] = v()
		}
		return s[tc.off:]
	}
	uniform := func() float32 { return 2*rnd.Float32() - 1 }
	a := fill(rowsA, lda, uniform)
	b := fill(rowsB, ldb, uniform)
	c := fill(tc.m, ldc, uniform)
	if tc.beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	c0 := append([]float32(nil), c...)

	Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)

	opA := func(i, p int) float64 {
		if tc.tA == blas.Trans {
			return float64(a[p*lda+i])
		}
		return float64(a[i*lda+p])
	}
	opB := func(p, j int) float64 {
		if tc.tB == blas.Trans {
			return float64(b[j*ldb+p])
		}
		return float64(b[p*ldb+j])
	}
	const eps = 0x1p-23
	for i := 0; i < tc.m; i++ {
		for j := 0; j < ldc; j++ {
			got := c[i*ldc+j]
			if j >= tc.n {
				if math.Float32bits(got) != math.Float32bits(c0[i*ldc+j]) {
					t.Fatalf("%v: C[%d,%d] outside the matrix changed from %g to %g", tc, i, j, c0[i*ldc+j], got)
				}
				continue
			}
			var sum, mag float64
			for p := 0; p < tc.k; p++ {
				sum += opA(i, p) * opB(p, j)
				mag += math.Abs(opA(i, p) * opB(p, j))
			}
			want := float64(tc.alpha) * sum
			mag *= math.Abs(float64(tc.alpha))
			if tc.beta != 0 {
				want += float64(tc.beta) * float64(c0[i*ldc+j])
				mag += math.Abs(float64(tc.beta) * float64(c0[i*ldc+j]))
			}
			tol := float64(2*tc.k+4) * eps * mag
			if d := math.Abs(float64(got) - want); !(d <= tol) {
				t.Fatalf("%v: C[%d,%d] = %g, want %g (error %.3g > tolerance %.3g)", tc, i, j, got, want, d, tol)
			}
		}
	}
	if rowsC := tc.m; rowsC > 0 {
		for i := (rowsC-1)*ldc + ldc; i < len(c); i++ {
			if math.Float32bits(c[i]) != math.Float32bits(c0[i]) {
				t.Fatalf("%v: c[%d] after the matrix changed", tc, i)
			}
		}
	}
}

// TestSgemm compares every kernel, with its own and with tiny block sizes,
// against the float64 reference, for both transposes of A and B, every
// alpha/beta combination, sizes 0..40 around the tile and block edges of
// each kernel, padded leading dimensions and offset sub-slices.
func TestSgemm(t *testing.T) {
	alphas := []float32{1, 0.5, 0}
	betas := []float32{0, 1, -0.5}
	for _, kn := range testKernels() {
		t.Run(kn.name, func(t *testing.T) {
			kn.with(t, func() {
				rnd := rand.New(rand.NewSource(1))
				sizes := []int{0, 1, 2, 3, 5, kn.mr - 1, kn.mr, kn.mr + 1, kn.nr - 1, kn.nr, kn.nr + 1, 2*kn.mr + 1, 17, 40}
				pick := func() int { return sizes[rnd.Intn(len(sizes))] }
				var cases []gemmCase
				for _, tA := range transposes {
					for _, tB := range transposes {
						for r := 0; r < 40; r++ {
							m, n, k := pick(), pick(), pick()
							if r < 4 { // k around the depth of the kernel's panels
								k = kn.kc - 1 + r%3
							}
							for _, alpha := range alphas {
								for _, beta := range betas {
									cases = append(cases, gemmCase{tA: tA, tB: tB, m: m, n: n, k: k,
										alpha: alpha, beta: beta, pad: rnd.Intn(3), off: rnd.Intn(3)})
								}
							}
						}
						cases = append(cases, gemmCase{tA: tA, tB: tB, m: 300, n: 257, k: 129, alpha: 0.5, beta: -0.5, pad: 3, off: 1})
					}
				}
				for _, tc := range cases {
					tc.check(t, rnd)
				}
			})
		})
	}
}

// TestSgemmLarge crosses the real block sizes of the fastest kernel in every
// dimension (m > mc, n > nc, k > kc), with both operands packed, and with A
// packed and B read in place.
func TestSgemmLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large matrices")
	}
	kn := kernels()[0]
	rnd := rand.New(rand.NewSource(2))
	for _, tA := range transposes {
		for _, tB := range transposes {
			for _, mn := range [][2]int{{kn.mc + kn.mr + 1, unpackedACols + 3}, {kn.mr + 1, kn.nc + 3}} {
				gemmCase{tA: tA, tB: tB, m: mn[0], n: mn[1], k: kn.kc + 1, alpha: 1, beta: 0.5, pad: 1}.check(t, rnd)
			}
		}
	}
}

// TestSgemmNaNFreeOverwrite checks that beta == 0 overwrites a NaN-filled C
// even when alpha == 0 or k == 0, and that beta == 1 with alpha == 0 leaves
// C alone.
func TestSgemmNaNFreeOverwrite(t *testing.T) {
	for _, kn := range kernels() {
		withKernel(t, kn, func() {
			for _, tc := range []struct {
				name  string
				k     int
				alpha float32
				beta  float32
				want  float32
			}{
				{"alpha=0,beta=0", 3, 0, 0, 0},
				{"k=0,beta=0", 0, 1, 0, 0},
				{"alpha=0,beta=1", 3, 0, 1, 7},
				{"alpha=0,beta=2", 3, 0, 2, 14},
			} {
				m, n := 2*kn.mr+1, kn.nr+1
				a := make([]float32, m*max(tc.k, 1))
				b := make([]float32, max(tc.k, 1)*n)
				c := make([]float32, m*n)
				for i := range c {
					c[i] = 7
					if tc.beta == 0 {
						c[i] = float32(math.NaN())
					}
				}
				Sgemm(blas.NoTrans, blas.NoTrans, m, n, tc.k, tc.alpha, a, max(tc.k, 1), b, n, tc.beta, c, n)
				for i, v := range c {
					if v != tc.want {
						t.Fatalf("%s, %s: c[%d] = %g, want %g", kn.name, tc.name, i, v, tc.want)
					}
				}
			}
		})
	}
}

// TestSgemmPanics checks the BLAS argument checks and their messages.
func TestSgemmPanics(t *testing.T) {
	s := make([]float32, 100)
	for _, tc := range []struct {
		name         string
		tA, tB       blas.Transpose
		m, n, k      int
		lda, ldb, ld int
		a, b, c      []float32
		want         string
	}{
		{"transpose A", 'x', blas.NoTrans, 2, 2, 2, 2, 2, 2, s, s, s, badTranspose},
		{"transpose B", blas.NoTrans, 'x', 2, 2, 2, 2, 2, 2, s, s, s, badTranspose},
		{"m", blas.NoTrans, blas.NoTrans, -1, 2, 2, 2, 2, 2, s, s, s, mLT0},
		{"n", blas.NoTrans, blas.NoTrans, 2, -1, 2, 2, 2, 2, s, s, s, nLT0},
		{"k", blas.NoTrans, blas.NoTrans, 2, 2, -1, 2, 2, 2, s, s, s, kLT0},
		{"lda", blas.NoTrans, blas.NoTrans, 2, 2, 3, 2, 2, 2, s, s, s, badLdA},
		{"lda trans", blas.Trans, blas.NoTrans, 3, 2, 2, 2, 2, 2, s, s, s, badLdA},
		{"ldb", blas.NoTrans, blas.NoTrans, 2, 3, 2, 2, 2, 3, s, s, s, badLdB},
		{"ldb trans", blas.NoTrans, blas.Trans, 2, 2, 3, 3, 2, 2, s, s, s, badLdB},
		{"ldc", blas.NoTrans, blas.NoTrans, 2, 3, 2, 2, 3, 2, s, s, s, badLdC},
		{"short a", blas.NoTrans, blas.NoTrans, 2, 2, 2, 2, 2, 2, s[:3], s, s, shortA},
		{"short b", blas.NoTrans, blas.Trans, 2, 3, 2, 2, 2, 3, s, s[:5], s, shortB},
		{"short c", blas.NoTrans, blas.NoTrans, 2, 2, 2, 2, 2, 2, s, s, s[:3], shortC},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != tc.want {
					t.Fatalf("panic %v, want %q", r, tc.want)
				}
			}()
			Sgemm(tc.tA, tc.tB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, tc.c, tc.ld)
		})
	}
}

// FuzzSgemm compares random small products of every kernel with the
// reference.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(9), uint8(33), uint8(7), uint8(0), int64(1))
	f.Add(uint8(1), uint8(1), uint8(1), uint8(3), int64(2))
	f.Fuzz(func(t *testing.T, m, n, k, flags uint8, seed int64) {
		rnd := rand.New(rand.NewSource(seed))
		tc := gemmCase{tA: transposes[flags&1], tB: transposes[flags>>1&1], m: int(m % 50), n: int(n % 70), k: int(k % 50),
			alpha: []float32{1, 0.5, 0}[flags>>2%3], beta: []float32{0, 1, -0.5}[flags>>4%3], pad: int(flags >> 6), off: int(seed & 3)}
		for _, kn := range testKernels() {
			kn.with(t, func() { tc.check(t, rnd) })
		}
	})
}

// TestPack checks packA and packB, with and without the assembly transpose
// (packT8), element by element against their definitions, including the
// zero padding of the last panel.
func TestPack(t *testing.T) {
	rnd := rand.New(rand.NewSource(3))
	saved := packT8
	defer func() { packT8 = saved }()
	for _, fast := range []bool{false, true} {
		if !fast {
			packT8 = nil
		} else if packT8 = saved; packT8 == nil {
			continue
		}
		for _, w := range []int{4, 6, 8, 16, 32} {
			for _, tr := range []bool{false, true} {
				for r := 0; r < 30; r++ {
					rows, cols := 1+rnd.Intn(40), 1+rnd.Intn(70) // op(·) is rows×cols at (r0, c0)
					r0, c0, ld := rnd.Intn(3), rnd.Intn(3), 0
					at := func(i, j int) int { return (r0+i)*ld + c0 + j }
					if tr {
						at = func(i, j int) int { return (c0+j)*ld + r0 + i }
						ld = r0 + rows + rnd.Intn(3)
					} else {
						ld = c0 + cols + rnd.Intn(3)
					}
					src := randSlice(rnd, (max(r0+rows, c0+cols)+1)*ld)
					panels := roundUp(cols, w) / w
					// As B: rows = k, cols = n, panels of w columns.
					dst := randSlice(rnd, panels*rows*w)
					packB(tr, src, ld, r0, c0, rows, cols, w, dst)
					for p := 0; p < rows; p++ {
						for j := 0; j < panels*w; j++ {
							want := float32(0)
							if j < cols {
								want = src[at(p, j)]
							}
							if got := dst[j/w*rows*w+p*w+j%w]; got != want {
								t.Fatalf("packB(fast=%v, w=%d, trans=%v, %d×%d): (%d,%d) = %g, want %g", fast, w, tr, rows, cols, p, j, got, want)
							}
						}
					}
					// As A: rows = m, cols = k, panels of w rows; A(i,p) is
					// src[at(i,p)] when not transposed, so transposition flips.
					dst = randSlice(rnd, roundUp(rows, w)*cols)
					packA(tr, src, ld, r0, c0, rows, cols, w, dst)
					for i := 0; i < roundUp(rows, w); i++ {
						for p := 0; p < cols; p++ {
							want := float32(0)
							if i < rows {
								want = src[at(i, p)]
							}
							if got := dst[i/w*cols*w+p*w+i%w]; got != want {
								t.Fatalf("packA(fast=%v, w=%d, trans=%v, %d×%d): (%d,%d) = %g, want %g", fast, w, tr, rows, cols, i, p, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestSgemmNoAllocs checks that a call allocates nothing once the pool
// holds its buffers.
func TestSgemmNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops pooled buffers at random")
	}
	const m, n, k = 300, 300, 300 // both operands packed
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	allocs := testing.AllocsPerRun(20, func() {
		Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, k, b, k, 0, c, n)
	})
	if allocs >= 1 {
		t.Fatalf("%v allocations per call, want 0", allocs)
	}
}
