package transformer

import (
	"math"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"gorgonia.org/gorgonia"
)

// tinySeq2Seq is a configuration small enough for finite-difference checks.
func tinySeq2Seq() Seq2SeqConfig {
	return Seq2SeqConfig{SourceVocab: 7, TargetVocab: 6, MaxLen: 5, Dim: 4, Heads: 2, Layers: 1, Hidden: 6,
		PadID: 0, BOSID: 1, EOSID: 2}
}

// tinyBatch is a padded batch of two pairs for tinySeq2Seq: sources (3 4 5)
// and (6 3); targets (3 5 4) and (4).
func tinyBatch() graph.Feeds {
	return graph.Feeds{
		S2SSource:    ints([]int{3, 4, 5, 0, 6, 3, 0, 0}, 2, 4),
		S2STargetIn:  ints([]int{1, 3, 5, 4, 1, 4, 0, 0}, 2, 4),
		S2STargetOut: ints([]int{3, 5, 4, 2, 4, 2, 0, 0}, 2, 4),
	}
}

func TestSeq2SeqGradient(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Seq2SeqConfig)
	}{
		{"post-LN, dropout", func(c *Seq2SeqConfig) { c.Dropout = 0.1 }},
		{"pre-LN, shared embeddings, tied output", func(c *Seq2SeqConfig) {
			c.Norm, c.SharedEmbeddings, c.TiedOutput, c.TargetVocab = layers.PreLN, true, true, c.SourceVocab
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := tinySeq2Seq()
			c.edit(&cfg)
			m := graph.NewModel(graph.Float64, 4)
			s, err := NewSeq2Seq(m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			loss, err := s.Loss(2, 4, 4)
			if err != nil {
				t.Fatal(err)
			}
			// h = 1e-5, as in TestLMGradient.
			res, err := graph.GradCheck(m, loss, graph.GradCheckOptions{Feeds: tinyBatch(), Eps: 1e-5})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxRelError > 1e-6 {
				t.Fatalf("gradient check: %v", res)
			}
			t.Log(res)
		})
	}
}

// s2sForward compiles a forward program of the logits of the decoder over the
// encoder, with inputs named after prefix, for sources [2,srcLen] and decoder
// inputs [2,tgtLen].
func s2sForward(t *testing.T, s *Seq2Seq, prefix string, srcLen, tgtLen int) func(src, tgt []int) []float64 {
	t.Helper()
	m := s.Model()
	var logits *gorgonia.Node
	err := m.InEvalMode(func() error {
		src, err := m.IndexInput(prefix+".src", 2, srcLen)
		if err != nil {
			return err
		}
		tgt, err := m.IndexInput(prefix+".tgt", 2, tgtLen)
		if err != nil {
			return err
		}
		memory, mask, err := s.Encode(src)
		if err != nil {
			return err
		}
		logits, err = s.Decode(tgt, memory, mask)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(logits)
	if err != nil {
		t.Fatal(err)
	}
	return func(src, tgt []int) []float64 {
		res, err := prog.Forward(graph.Feeds{prefix + ".src": ints(src, 2, srcLen), prefix + ".tgt": ints(tgt, 2, tgtLen)})
		if err != nil {
			t.Fatal(err)
		}
		return append([]float64(nil), res[0].Float64s()...)
	}
}

func newTinySeq2Seq(t *testing.T, edit func(*Seq2SeqConfig)) *Seq2Seq {
	t.Helper()
	cfg := tinySeq2Seq()
	cfg.MaxLen, cfg.Dim, cfg.Layers = 8, 8, 2
	edit(&cfg)
	s, err := NewSeq2Seq(graph.NewModel(graph.Float64, 6), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSeq2SeqCausality changes the decoder input after position t: the
// logits at positions ≤ t must not change, later ones must.
func TestSeq2SeqCausality(t *testing.T) {
	s := newTinySeq2Seq(t, func(*Seq2SeqConfig) {})
	run := s2sForward(t, s, "c", 5, 6)
	src := []int{3, 4, 5, 6, 0, 6, 5, 0, 0, 0}
	tgt := []int{1, 3, 4, 5, 3, 4, 1, 5, 5, 0, 0, 0}
	base := run(src, tgt)
	V := s.Config.TargetVocab
	for tc := 0; tc < 5; tc++ {
		changed := append([]int(nil), tgt...)
		for _, row := range [][]int{changed[:6], changed[6:]} {
			for j := tc + 1; j < 6; j++ {
				row[j] = 3 + (row[j]+1)%3 // an ordinary token other than row[j]

			}
		}
		got := run(src, changed)
		for pos := 0; pos < 12; pos++ {
			same := equalFloats(got[pos*V:(pos+1)*V], base[pos*V:(pos+1)*V])
			if pos%6 <= tc && !same {
				t.Fatalf("decoder inputs after %d changed the logits at row %d position %d", tc, pos/6, pos%6)
			}
			if pos%6 > tc && same {
				t.Fatalf("decoder inputs after %d left position %d of row %d unchanged: the test cannot see a change", tc, pos%6, pos/6)
			}
		}
	}
}

// TestSeq2SeqPadding checks that padding changes nothing that is not
// padding: padding the same sources and targets to more positions leaves the
// logits of the real target positions unchanged, while changing a real
// source token does change them.
func TestSeq2SeqPadding(t *testing.T) {
	for _, norm := range []layers.NormPlacement{layers.PostLN, layers.PreLN} {
		t.Run(norm.String(), func(t *testing.T) {
			s := newTinySeq2Seq(t, func(c *Seq2SeqConfig) { c.Norm = norm })
			short := s2sForward(t, s, "short", 4, 4)
			long := s2sForward(t, s, "long", 7, 6)
			// Rows: source (3 4 5 6) → decoder input (BOS 3 4 5); source (6 5) → (BOS 4).
			a := short([]int{3, 4, 5, 6, 6, 5, 0, 0}, []int{1, 3, 4, 5, 1, 4, 0, 0})
			b := long([]int{3, 4, 5, 6, 0, 0, 0, 6, 5, 0, 0, 0, 0, 0}, []int{1, 3, 4, 5, 0, 0, 1, 4, 0, 0, 0, 0})
			V := s.Config.TargetVocab
			real := [][2]int{{0, 4}, {1, 2}} // row, number of real decoder positions
			for _, r := range real {
				for pos := 0; pos < r[1]; pos++ {
					x := a[(r[0]*4+pos)*V : (r[0]*4+pos+1)*V]
					y := b[(r[0]*6+pos)*V : (r[0]*6+pos+1)*V]
					for i := range x {
						if math.Abs(x[i]-y[i]) > 1e-12 {
							t.Fatalf("row %d position %d: logits %v with 4 positions, %v with more padding", r[0], pos, x, y)
						}
					}
				}
			}
			// The same comparison must see a change of a real source token.
			c := long([]int{3, 4, 5, 3, 0, 0, 0, 6, 5, 0, 0, 0, 0, 0}, []int{1, 3, 4, 5, 0, 0, 1, 4, 0, 0, 0, 0})
			if equalFloats(b[:V], c[:V]) {
				t.Fatal("changing a real source token left the logits unchanged: the test cannot see a change")
			}
		})
	}
}

// TestSeq2SeqLossIgnoresPadding: the loss of a batch is the same with its
// targets padded to 4 or to 5 positions.
func TestSeq2SeqLossIgnoresPadding(t *testing.T) {
	s := newTinySeq2Seq(t, func(*Seq2SeqConfig) {})
	m := s.Model()
	var short, long *gorgonia.Node
	err := m.InEvalMode(func() error {
		var err error
		if short, err = s.Loss(2, 4, 4); err != nil {
			return err
		}
		var in [3]*gorgonia.Node
		for i, n := range []string{"l.src", "l.in", "l.out"} {
			if in[i], err = m.IndexInput(n, 2, 5); err != nil {
				return err
			}
		}
		long, err = s.LossOf(in[0], in[1], in[2])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(short, long)
	if err != nil {
		t.Fatal(err)
	}
	feeds := tinyBatch()
	feeds["l.src"] = ints([]int{3, 4, 5, 0, 0, 6, 3, 0, 0, 0}, 2, 5)
	feeds["l.in"] = ints([]int{1, 3, 5, 4, 0, 1, 4, 0, 0, 0}, 2, 5)
	feeds["l.out"] = ints([]int{3, 5, 4, 2, 0, 4, 2, 0, 0, 0}, 2, 5)
	res, err := prog.Forward(feeds)
	if err != nil {
		t.Fatal(err)
	}
	a, errA := graph.Scalar(res[0])
	b, errB := graph.Scalar(res[1])
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if math.Abs(a-b) > 1e-12 || a < 0.5 {
		t.Fatalf("loss %v with 4 target positions, %v with 5", a, b)
	}
}

// TestBeamWidthOneIsGreedy compares the two decoders on an untrained model,
// whose outputs are arbitrary but deterministic.
func TestBeamWidthOneIsGreedy(t *testing.T) {
	s := newTinySeq2Seq(t, func(c *Seq2SeqConfig) { c.Dim = 16 })
	for _, p := range s.Model().Params() {
		if p.Shape().Dims() == 2 {
			scaleParam(p, 3) // sharper, more varied outputs
		}
	}
	src := [][]int{{3, 4, 5}, {6}, {5, 5, 3, 4, 6, 3, 4}, {4, 3}}
	greedy, err := s.Greedy(src, 8)
	if err != nil {
		t.Fatal(err)
	}
	lengths := map[int]bool{}
	for i, x := range src {
		beam, err := s.Beam(x, 1, 0, 8)
		if err != nil {
			t.Fatal(err)
		}
		if !equalInts(beam, greedy[i]) {
			t.Fatalf("source %v: beam of width 1 %v, greedy %v", x, beam, greedy[i])
		}
		for _, id := range greedy[i] {
			if id == s.Config.PadID || id == s.Config.BOSID || id == s.Config.EOSID {
				t.Fatalf("greedy output %v holds a special id", greedy[i])
			}
		}
		lengths[len(greedy[i])] = true
		if _, err := s.Beam(x, 3, 0.6, 8); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("greedy outputs %v", greedy)
	if len(lengths) < 2 {
		t.Fatalf("all outputs %v have the same length: EOS handling is not exercised", greedy)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDecodeErrors(t *testing.T) {
	s := newTinySeq2Seq(t, func(*Seq2SeqConfig) {})
	for _, c := range []struct {
		run  func() error
		want string
	}{
		{func() error { _, err := s.Greedy([][]int{{3}}, 9); return err }, "maximum output length 9 outside 1…MaxLen 8"},
		{func() error { _, err := s.Greedy([][]int{{3, 3, 3, 3, 3, 3, 3, 3, 3}}, 4); return err }, "9 tokens, more than 8"},
		{func() error { _, err := s.Greedy([][]int{{3, 9}}, 4); return err }, "id 9 at position 1 outside the vocabulary [0,7)"},
		{func() error { _, err := s.Greedy([][]int{{}}, 4); return err }, "source 0 is empty"},
		{func() error { _, err := s.Greedy(nil, 4); return err }, "no sources"},
		{func() error { _, err := s.Beam([]int{3}, 0, 0, 4); return err }, "width 0"},
		{func() error { _, err := s.Beam([]int{3}, 2, -1, 4); return err }, "length penalty -1"},
		{func() error { _, err := s.Beam([]int{3}, 2, 0, 0); return err }, "maximum output length 0"},
	} {
		if err := c.run(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("error %v, want one containing %q", err, c.want)
		}
	}
}

func TestSeq2SeqNames(t *testing.T) {
	for _, c := range []struct {
		edit func(*Seq2SeqConfig)
		has  []string
		not  []string
	}{
		{func(*Seq2SeqConfig) {}, []string{"src_emb.weight", "tgt_emb.weight", "encoder.layers.0.attn.q.weight",
			"decoder.layers.0.cross.k.weight", "decoder.layers.0.ln3.weight", "head.weight", "head.bias"},
			[]string{"emb.weight", "encoder.norm.weight"}},
		{func(c *Seq2SeqConfig) {
			c.SharedEmbeddings, c.TiedOutput, c.TargetVocab, c.Norm = true, true, c.SourceVocab, layers.PreLN
		}, []string{"emb.weight", "encoder.norm.weight", "decoder.norm.bias"},
			[]string{"src_emb.weight", "tgt_emb.weight", "head.weight"}},
	} {
		cfg := tinySeq2Seq()
		c.edit(&cfg)
		m := graph.NewModel(graph.Float32, 1)
		if _, err := NewSeq2Seq(m, cfg); err != nil {
			t.Fatal(err)
		}
		for _, n := range c.has {
			if _, ok := m.Param(n); !ok {
				t.Fatalf("%+v: no parameter %q", cfg, n)
			}
		}
		for _, n := range c.not {
			if _, ok := m.Param(n); ok {
				t.Fatalf("%+v: unexpected parameter %q", cfg, n)
			}
		}
	}
}

func TestSeq2SeqConfigValidate(t *testing.T) {
	for _, c := range []struct {
		edit func(*Seq2SeqConfig)
		want string
	}{
		{func(c *Seq2SeqConfig) { c.TargetVocab = 0 }, "TargetVocab must be positive, got 0"},
		{func(c *Seq2SeqConfig) { c.Dim, c.Heads = 10, 4 }, "Dim 10 is not divisible by Heads 4"},
		{func(c *Seq2SeqConfig) { c.MaxLen = 1 }, "MaxLen 1 leaves no room"},
		{func(c *Seq2SeqConfig) { c.SharedEmbeddings = true }, "SharedEmbeddings needs SourceVocab == TargetVocab, got 7 and 6"},
		{func(c *Seq2SeqConfig) { c.EOSID = c.BOSID }, "BOSID and EOSID are both 1"},
		{func(c *Seq2SeqConfig) { c.PadID = 6 }, "PadID 6 outside both vocabularies [0,7) and [0,6)"},
		{func(c *Seq2SeqConfig) { c.Norm = 5 }, "unknown Norm 5"},
		{func(c *Seq2SeqConfig) { c.Dropout = -0.1 }, "Dropout -0.1 outside [0, 1)"},
	} {
		cfg := tinySeq2Seq()
		c.edit(&cfg)
		_, err := NewSeq2Seq(graph.NewModel(graph.Float32, 1), cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%+v: error %v, want one containing %q", cfg, err, c.want)
		}
	}
	s := newTinySeq2Seq(t, func(*Seq2SeqConfig) {})
	if _, err := s.Loss(2, 9, 4); err == nil || !strings.Contains(err.Error(), "MaxLen 8") {
		t.Fatalf("Loss longer than MaxLen: %v", err)
	}
}

// shortReverse is the reverse task at a size that trains in a few seconds.
func shortReverse() reverseRunConfig {
	return reverseRunConfig{
		Task:  datasets.TaskConfig{MinLen: 3, MaxLen: 5, Symbols: 6},
		Model: Seq2SeqConfig{Dim: 32, Heads: 2, Layers: 1, Hidden: 64, SharedEmbeddings: true, TiedOutput: true, Norm: layers.PreLN},
		Batch: 32, Steps: 300, Warmup: 30, LR: 1e-2, TrainPairs: 3000, TestPairs: 300, Beam: 3, BeamPairs: 20, Seed: 1,
	}
}

// TestReverseShort learns a small reverse task (lengths 3–5 over 6 symbols)
// in 300 steps: greedy decoding must be exactly right on ≥ 95% of the
// held-out sequences, beam search (width 3) on ≥ 90% of 20 of them.
// BenchmarkReverse runs the full task.
func TestReverseShort(t *testing.T) {
	res := runReverse(t, shortReverse())
	t.Logf("loss %.3f → %.4f, greedy accuracy %.3f, beam accuracy %.2f, %.1f ms/step, %.1f s",
		res.FirstLoss, res.LastLoss, res.Accuracy, res.BeamAccuracy, 1e3*res.StepSeconds, res.Wall)
	if res.Accuracy < 0.95 || res.BeamAccuracy < 0.9 {
		t.Fatalf("greedy accuracy %.3f (want ≥ 0.95), beam accuracy %.2f (want ≥ 0.9)", res.Accuracy, res.BeamAccuracy)
	}
}
