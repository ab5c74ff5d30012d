package rnn

import (
	"fmt"
	"math"
	"testing"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/gorgonia"
)

// s2sCase is a model variant the Seq2Seq tests run.
type s2sCase struct {
	cell   layers.CellKind
	bidir  bool
	attn   AttentionKind
	layers int
}

// s2sCases are the variants of the forward tests; the gradient check runs
// the first five, which cover every attention, cell, the bridge of a
// bidirectional encoder and two layers with and without attention feedback.
var s2sCases = []s2sCase{
	{layers.GRU, false, NoAttention, 1},
	{layers.LSTM, true, Bahdanau, 1},
	{layers.GRU, false, Bahdanau, 2},
	{layers.LSTM, true, Luong, 1},
	{layers.Elman, false, Luong, 2},
	{layers.LSTM, true, NoAttention, 1},
	{layers.LSTM, false, Luong, 2},
}

// smallS2S returns a small Seq2Seq of the given variant and sizes on a new
// Float64 model.
func smallS2S(t *testing.T, size int, cell layers.CellKind, bidir bool, attn AttentionKind, nl int) (*graph.Model, *Seq2Seq) {
	t.Helper()
	m := graph.NewModel(graph.Float64, 2)
	s, err := NewSeq2Seq(m, Seq2SeqConfig{SourceVocab: 7, TargetVocab: 6, Dim: size, Hidden: size, Layers: nl, Cell: cell,
		Bidirectional: bidir, Attention: attn, AttentionSize: size + 1, PadID: 0, BOSID: 1, EOSID: 2})
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// A batch of two pairs with padding: sources of 4 and 2 tokens, targets of 3
// and 1 tokens (then EOS).
var (
	s2sSrc    = []int{3, 4, 5, 6, 6, 4, 0, 0}
	s2sTgtIn  = []int{1, 5, 3, 4, 1, 3, 0, 0}
	s2sTgtOut = []int{5, 3, 4, 2, 3, 2, 0, 0}
)

func s2sFeeds() graph.Feeds {
	return graph.Feeds{S2SSource: ints(s2sSrc, 2, 4), S2STargetIn: ints(s2sTgtIn, 2, 4), S2STargetOut: ints(s2sTgtOut, 2, 4)}
}

func caseName(cell layers.CellKind, bidir bool, attn AttentionKind, nl int) string {
	return fmt.Sprintf("%v/bidir=%v/%v/L%d", cell, bidir, attn, nl)
}

// TestSeq2SeqGradients checks the gradient of the loss of every variant
// (sizes of 2 keep the element-by-element check short).
func TestSeq2SeqGradients(t *testing.T) {
	for _, c := range s2sCases[:5] {
		t.Run(caseName(c.cell, c.bidir, c.attn, c.layers), func(t *testing.T) {
			m, s := smallS2S(t, 2, c.cell, c.bidir, c.attn, c.layers)
			loss, err := s.Loss(2, 4, 4)
			if err != nil {
				t.Fatal(err)
			}
			res, err := graph.GradCheck(m, loss, graph.GradCheckOptions{Feeds: s2sFeeds()})
			if err != nil {
				t.Fatal(err)
			}
			if res.MaxRelError > 1e-6 {
				t.Fatal(res)
			}
			t.Log(res)
		})
	}
}

// teacherLogits returns the teacher-forced logits [B,T,V] of the test batch.
func teacherLogits(t *testing.T, m *graph.Model, s *Seq2Seq, src []int, srcLen int) []float64 {
	t.Helper()
	srcN, err := m.IndexInput(fmt.Sprintf("tf.src.%d", srcLen), 2, srcLen)
	if err != nil {
		t.Fatal(err)
	}
	tgtN, err := m.IndexInput(fmt.Sprintf("tf.tgt.%d", srcLen), 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := s.Logits(srcN, tgtN)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(logits)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := prog.Forward(graph.Feeds{srcN.Name(): ints(src, 2, srcLen), tgtN.Name(): ints(s2sTgtIn, 2, 4)})
	if err != nil {
		t.Fatal(err)
	}
	return outs[0].Float64s()
}

// TestSeq2SeqDecodingMatchesTeacherForcing feeds the decoding programs (one
// step at a time, the state carried) the teacher's tokens: every step's
// logits must equal the teacher-forced ones, so that what is trained is what
// is decoded, also for the all-steps-at-once path of Luong attention.
func TestSeq2SeqDecodingMatchesTeacherForcing(t *testing.T) {
	for _, c := range s2sCases {
		t.Run(caseName(c.cell, c.bidir, c.attn, c.layers), func(t *testing.T) {
			m, s := smallS2S(t, 3, c.cell, c.bidir, c.attn, c.layers)
			m.SetTraining(false)
			want := teacherLogits(t, m, s, s2sSrc, 4)
			d, err := s.decoder(2, 4)
			if err != nil {
				t.Fatal(err)
			}
			copy(d.src, s2sSrc)
			mem, err := d.enc.Forward(d.encFeeds)
			if err != nil {
				t.Fatal(err)
			}
			for i, name := range d.memNames {
				d.stepFeeds[name] = mem[i]
			}
			if err := d.state.Update(mem); err != nil {
				t.Fatal(err)
			}
			const V = 6
			for step := 0; step < 4; step++ {
				for b := 0; b < 2; b++ {
					d.prev[b] = s2sTgtIn[b*4+step]
				}
				outs, err := d.step.Forward(d.state.Feed(d.stepFeeds))
				if err != nil {
					t.Fatal(err)
				}
				if err := d.state.Update(outs); err != nil {
					t.Fatal(err)
				}
				got := outs[0].Float64s()
				for b := 0; b < 2; b++ {
					if diff := maxDiff(got[b*V:(b+1)*V], want[(b*4+step)*V:][:V]); diff > 1e-12 {
						t.Fatalf("step %d row %d: decoding logits differ from teacher forcing by %g", step, b, diff)
					}
				}
			}
		})
	}
}

// TestSeq2SeqPaddingMasked checks that extra source padding changes nothing:
// the encoder holds its state over padding and attention ignores it.
func TestSeq2SeqPaddingMasked(t *testing.T) {
	for _, c := range s2sCases {
		t.Run(caseName(c.cell, c.bidir, c.attn, c.layers), func(t *testing.T) {
			m, s := smallS2S(t, 3, c.cell, c.bidir, c.attn, c.layers)
			m.SetTraining(false)
			short := teacherLogits(t, m, s, s2sSrc, 4)
			padded := make([]int, 2*7)
			copy(padded[0:4], s2sSrc[0:4])
			copy(padded[7:11], s2sSrc[4:8])
			long := teacherLogits(t, m, s, padded, 7)
			if diff := maxDiff(short, long); diff > 1e-9 {
				t.Fatalf("padding the sources from 4 to 7 positions changes the logits by %g", diff)
			}
		})
	}
}

func maxDiff(a, b []float64) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// reverseRun is one training of a Seq2Seq on the reverse task
// (datasets.TaskReverse: "cab" → "bac").
type reverseRun struct {
	MinLen, MaxLen, Symbols int
	Hidden, Batch, Steps    int
	LR                      float64
	Attention               AttentionKind
	Eval                    int // held-out pairs for the exact match
}

// reverseResult reports a reverseRun: the exact-match rate of greedy
// decoding on held-out pairs and the last training loss.
type reverseResult struct {
	ExactMatch, Loss float64
}

func (c reverseRun) run(t testing.TB) reverseResult {
	task := datasets.TaskConfig{Task: datasets.TaskReverse, MinLen: c.MinLen, MaxLen: c.MaxLen, Symbols: c.Symbols}
	tok := datasets.NewCharTokenizer(task.Alphabet())
	pairs, err := task.Generate(c.Batch*c.Steps, 1)
	if err != nil {
		t.Fatal(err)
	}
	batcher, err := datasets.NewSeq2SeqBatcher(pairs, tok, tok, datasets.Seq2SeqConfig{
		BatchSize: c.Batch, MaxSourceLen: c.MaxLen, MaxTargetLen: c.MaxLen, FixedShape: true, Shuffle: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	m := graph.NewModel(graph.Float32, 1)
	s, err := NewSeq2Seq(m, Seq2SeqConfig{SourceVocab: tok.VocabSize(), TargetVocab: tok.VocabSize(), Dim: 32, Hidden: c.Hidden,
		Cell: layers.LSTM, Bidirectional: true, Attention: c.Attention,
		PadID: datasets.PadID, BOSID: datasets.BOSID, EOSID: datasets.EOSID})
	if err != nil {
		t.Fatal(err)
	}
	loss, err := s.Loss(c.Batch, c.MaxLen, c.MaxLen+1)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	// Adam with the learning rate decayed along a cosine to LR/10 by the
	// last step: the final model no longer depends on where a constant rate
	// left the last few noisy updates.
	opt := optim.ClipByGlobalNorm(optim.NewAdam(optim.WarmupCosine(c.LR, 0, c.Steps, c.LR/10)), 1)
	var res reverseResult
	for step := 0; step < c.Steps; step++ {
		b := batcher.Next()
		feeds := graph.Feeds{S2SSource: b.Source, S2STargetIn: b.DecoderInput, S2STargetOut: b.Target}
		if res.Loss, err = prog.Step(feeds, opt); err != nil {
			t.Fatal(err)
		}
	}
	test, err := task.Generate(c.Eval, 2)
	if err != nil {
		t.Fatal(err)
	}
	src := make([][]int, len(test))
	for i, p := range test {
		src[i] = tok.Encode(p.Source)
	}
	got, err := s.Greedy(src, c.MaxLen+2)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, p := range test {
		if fmt.Sprint(got[i]) == fmt.Sprint(tok.Encode(p.Target)) {
			right++
		}
	}
	res.ExactMatch = float64(right) / float64(len(test))
	return res
}

// TestSeq2SeqReverse trains the bidirectional LSTM encoder–decoder with
// Luong attention on reversing sequences of 3 to 5 symbols and asks for
// ≥ 95% exact matches on held-out sequences (the full run is
// BenchmarkSeq2SeqReverse).
func TestSeq2SeqReverse(t *testing.T) {
	res := reverseRun{MinLen: 3, MaxLen: 5, Symbols: 6, Hidden: 32, Batch: 32, Steps: 500, LR: 1e-2, Attention: Luong, Eval: 200}.run(t)
	t.Logf("exact match %.3f, last loss %.4f", res.ExactMatch, res.Loss)
	if res.ExactMatch < 0.95 {
		t.Fatalf("exact match %.3f, want ≥ 0.95", res.ExactMatch)
	}
}

func TestSeq2SeqErrors(t *testing.T) {
	m := graph.NewModel(graph.Float32, 1)
	good := Seq2SeqConfig{SourceVocab: 5, TargetVocab: 5, Dim: 2, Hidden: 2, PadID: 0, BOSID: 1, EOSID: 2}
	for _, f := range []func(c *Seq2SeqConfig){
		func(c *Seq2SeqConfig) { c.Hidden = 0 },
		func(c *Seq2SeqConfig) { c.Dropout = -0.1 },
		func(c *Seq2SeqConfig) { c.Cell = layers.CellKind(9) },
		func(c *Seq2SeqConfig) { c.Attention = AttentionKind(9) },
		func(c *Seq2SeqConfig) { c.EOSID = 5 },
	} {
		c := good
		f(&c)
		if _, err := NewSeq2Seq(m, c); err == nil {
			t.Errorf("NewSeq2Seq(%+v): no error", c)
		}
	}
	s, err := NewSeq2Seq(m, good)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range [][][]int{nil, {{}}, {{1, 7}}} {
		if _, err := s.Greedy(src, 3); err == nil {
			t.Errorf("Greedy(%v): no error", src)
		}
	}
	ids, _ := m.IndexInput("ids", 2, 3)
	other, _ := m.IndexInput("other", 3, 3)
	if _, err := s.Logits(ids, other); err == nil {
		t.Error("Logits with batches 2 and 3: no error")
	}
	var nilNode *gorgonia.Node
	if _, err := s.Logits(ids, nilNode); err == nil {
		t.Error("Logits with a nil decoder input: no error")
	}
}

// TestSeq2SeqFloat32 trains a Float32 model with Bahdanau attention for a few
// steps and decodes with it (float32 graphs need float32 constants).
func TestSeq2SeqFloat32(t *testing.T) {
	m := graph.NewModel(graph.Float32, 3)
	s, err := NewSeq2Seq(m, Seq2SeqConfig{SourceVocab: 7, TargetVocab: 6, Dim: 4, Hidden: 5, Cell: layers.LSTM,
		Bidirectional: true, Attention: Bahdanau, PadID: 0, BOSID: 1, EOSID: 2})
	if err != nil {
		t.Fatal(err)
	}
	loss, err := s.Loss(2, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.NewAdam(optim.Constant(0.05))
	var first, last float64
	for i := 0; i < 30; i++ {
		if last, err = prog.Step(s2sFeeds(), opt); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = last
		}
	}
	if !(last < first/2) {
		t.Fatalf("loss %v → %v after 30 steps on one batch", first, last)
	}
	got, err := s.Greedy([][]int{{3, 4, 5, 6}, {6, 4}}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[[5 3 4] [3]]"; fmt.Sprint(got) != want {
		t.Fatalf("decoded %v, want the memorised targets %s", got, want)
	}
}
