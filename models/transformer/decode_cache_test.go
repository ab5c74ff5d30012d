package transformer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
)

// TestSeq2SeqCacheMatchesRecompute checks that greedy decoding and beam
// search over the key/value cache give the outputs of the recomputing
// decoder, for post- and pre-LN models in float64 and float32, sources of
// several lengths (padding masked in the cross-attention), beams of several
// widths with and without a length penalty, up to MaxLen tokens.
func TestSeq2SeqCacheMatchesRecompute(t *testing.T) {
	src := [][]int{{3, 4, 5, 6}, {7}, {8, 3, 9, 4, 5, 6, 7}, {5, 5, 3}}
	for _, c := range []struct {
		dt   tensor.Dtype
		norm layers.NormPlacement
		tied bool
	}{{graph.Float64, layers.PostLN, false}, {graph.Float32, layers.PostLN, true}, {graph.Float32, layers.PreLN, false}, {graph.Float64, layers.PreLN, true}} {
		m := graph.NewModel(c.dt, 11)
		s, err := NewSeq2Seq(m, Seq2SeqConfig{SourceVocab: 10, TargetVocab: 10, MaxLen: 8, Dim: 16, Heads: 4, Layers: 2, Hidden: 24,
			PadID: 0, BOSID: 1, EOSID: 2, Norm: c.norm, SharedEmbeddings: c.tied, TiedOutput: c.tied})
		if err != nil {
			t.Fatal(err)
		}
		randomize(m, 0.6)
		decode := func(noCache bool) string {
			s.NoKVCache = noCache
			greedy, err := s.Greedy(src, 8)
			if err != nil {
				t.Fatal(err)
			}
			out := fmt.Sprint(greedy)
			for _, width := range []int{1, 3, 5} {
				for _, lp := range []float64{0, 1} {
					for _, seq := range src {
						b, err := s.Beam(seq, width, lp, 8)
						if err != nil {
							t.Fatal(err)
						}
						out += fmt.Sprintf(" %d/%g:%v", width, lp, b)
					}
				}
			}
			return out
		}
		cached, recomputed := decode(false), decode(true)
		if cached != recomputed {
			t.Fatalf("%v %v tied=%v:\ncache     %s\nrecompute %s", c.dt, c.norm, c.tied, cached, recomputed)
		}
		t.Logf("%v %v: %s", c.dt, c.norm, cached[:min(160, len(cached))])
	}
}

// randomize sets every parameter of m to draws from N(0, std²), so that an
// untrained model's outputs vary from token to token and source to source.
func randomize(m *graph.Model, std float64) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range m.Params() {
		switch v := p.Value().Data().(type) {
		case []float32:
			for i := range v {
				v[i] = float32(std * r.NormFloat64())
			}
		case []float64:
			for i := range v {
				v[i] = std * r.NormFloat64()
			}
		}
	}
}

// TestSeq2SeqCacheStep checks the cached decoder step by step against the
// recomputing one on beam-like histories: at every step each of the rows
// continues a random row of the previous step (the cache's rows are
// reordered) with a random token, and both decoders must give the same
// log-probabilities (to rounding) for every row.
func TestSeq2SeqCacheStep(t *testing.T) {
	for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
		m := graph.NewModel(dt, 12)
		s, err := NewSeq2Seq(m, Seq2SeqConfig{SourceVocab: 10, TargetVocab: 9, MaxLen: 7, Dim: 16, Heads: 4, Layers: 2, Hidden: 24,
			PadID: 0, BOSID: 1, EOSID: 2})
		if err != nil {
			t.Fatal(err)
		}
		const rows = 4
		src := [][]int{{3, 4, 5}, {3, 4, 5}, {3, 4, 5}, {3, 4, 5}}
		cached, err := s.start(src, 7)
		if err != nil {
			t.Fatal(err)
		}
		s.NoKVCache = true
		recomputed, err := s.start(src, 7)
		if err != nil {
			t.Fatal(err)
		}
		s.NoKVCache = false
		r := rand.New(rand.NewPCG(3, 4))
		prefixes := make([][]int, rows)
		var from []int
		tol := 1e-10
		if dt == graph.Float32 {
			tol = 1e-4
		}
		for step := 0; step < 7; step++ {
			var want [rows][]float64
			if err := recomputed.step(step, prefixes, from, func(r int, lp []float64) { want[r] = append([]float64(nil), lp...) }); err != nil {
				t.Fatal(err)
			}
			err := cached.step(step, prefixes, from, func(row int, lp []float64) {
				for v, x := range lp {
					if w := want[row][v]; !(x == w || math.Abs(x-w) <= tol*(1+math.Abs(w))) {
						t.Fatalf("%v step %d row %d (prefix %v): log-probability of %d is %v cached, %v recomputed", dt, step, row, prefixes[row], v, x, w)
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			next := make([][]int, rows)
			from = make([]int, rows)
			for row := range next {
				from[row] = r.IntN(rows)
				next[row] = append(append([]int(nil), prefixes[from[row]]...), 3+r.IntN(6))
			}
			prefixes = next
		}
	}
}
