package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sumRowsShapes are [rows, out] shapes of bias gradients, with widths that
// are not multiples of 8 (a masked tail in vec32.AddTo).
var sumRowsShapes = [][2]int{{1, 1}, {3, 5}, {7, 9}, {2048, 128}, {1000, 517}, {40000, 7}}

// TestSumRows32 checks the float32 sumRows on every shape: into a buffer
// holding garbage (a reused output), it must give each column's sum taken in
// row order, bit for bit (the scalar float32 loop), within float32 rounding
// of the float64 sum, without allocating.
func TestSumRows32(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, sh := range sumRowsShapes {
		rows, out := sh[0], sh[1]
		t.Run(fmt.Sprintf("%dx%d", rows, out), func(t *testing.T) {
			g64, g32 := randRows(rng, rows*out, 0.1, 1)
			seq, want, scale := make([]float32, out), make([]float64, out), make([]float64, out)
			for r := 0; r < rows; r++ {
				for j := 0; j < out; j++ {
					seq[j] += g32[r*out+j]
					want[j] += g64[r*out+j]
					scale[j] += math.Abs(g64[r*out+j])
				}
			}
			db := make([]float32, out)
			for j := range db {
				db[j] = float32(math.NaN())
			}
			if allocs := testing.AllocsPerRun(1, func() { sumRows(g32, db, out) }); allocs != 0 {
				t.Errorf("%v allocations", allocs)
			}
			for j := range db {
				if db[j] != seq[j] {
					t.Fatalf("db[%d] = %g, sequential float32 sum %g", j, db[j], seq[j])
				}
				// first-order bound of rows−1 float32 additions
				if d := math.Abs(float64(db[j]) - want[j]); d > float64(rows)*0x1p-24*scale[j] {
					t.Fatalf("db[%d] = %g, float64 sum %g", j, db[j], want[j])
				}
			}
		})
	}
}

// BenchmarkSumRows times the bias gradient Σ_rows dy of the Transformer
// benchmark's layers (2048 rows of 128, 384 and 512) and of a larger batch
// (16384 rows of 512) in float32 and float64, reporting ns per element of dy.
func BenchmarkSumRows(b *testing.B) {
	for _, sh := range [][2]int{{2048, 128}, {2048, 384}, {2048, 512}, {16384, 512}} {
		rows, out := sh[0], sh[1]
		_, g32 := randRows(rand.New(rand.NewPCG(1, 2)), rows*out, 0, 1)
		g64 := make([]float64, len(g32))
		for i, v := range g32 {
			g64[i] = float64(v)
		}
		db32, db64 := make([]float32, out), make([]float64, out)
		report := func(b *testing.B) {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows*out), "ns/elem")
		}
		b.Run(fmt.Sprintf("f32/%dx%d", rows, out), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sumRows(g32, db32, out)
			}
			report(b)
		})
		b.Run(fmt.Sprintf("f64/%dx%d", rows, out), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sumRows(g64, db64, out)
			}
			report(b)
		})
	}
}
