package train

import (
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/optim"
)

// testVocab is the vocabulary of the test token streams.
const testVocab = 11

// testIDs returns n token ids of a learnable stream: mostly counting up,
// with some noise.
func testIDs(n int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, 1))
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i % testVocab
		if r.IntN(5) == 0 {
			ids[i] = r.IntN(testVocab)
		}
	}
	return ids
}

// newTestLM builds a tiny language model of kind "transformer" or "rnn"
// (an LSTM) of element type dt, without dropout.
func newTestLM(t *testing.T, kind string, dt tensor.Dtype) LanguageModel {
	t.Helper()
	m := graph.NewModel(dt, 7)
	switch kind {
	case "transformer":
		lm, err := transformer.NewLM(m, transformer.LMConfig{Vocab: testVocab, Context: 8, Dim: 16, Heads: 2, Layers: 1})
		if err != nil {
			t.Fatal(err)
		}
		return Transformer(lm)
	case "rnn":
		lm, err := rnn.NewLM(m, rnn.LMConfig{Vocab: testVocab, Embed: 8, Hidden: 12, Cell: layers.LSTM})
		if err != nil {
			t.Fatal(err)
		}
		return RNN(lm)
	}
	t.Fatalf("unknown kind %q", kind)
	return nil
}

// testPairs returns n pairs of the reverse task, of lengths 1 to 6, and
// their tokenizer.
func testPairs(t *testing.T, n int) ([]datasets.Pair, datasets.Tokenizer) {
	t.Helper()
	pairs, err := datasets.TaskConfig{Task: datasets.TaskReverse, MinLen: 1, MaxLen: 6}.Generate(n, 3)
	if err != nil {
		t.Fatal(err)
	}
	text := ""
	for _, p := range pairs {
		text += p.Source + p.Target
	}
	return pairs, datasets.NewCharTokenizer(text)
}

// newTestSeq2Seq builds a tiny Transformer seq2seq model of element type dt.
func newTestSeq2Seq(t *testing.T, vocab int, dt tensor.Dtype) Seq2SeqModel {
	t.Helper()
	m := graph.NewModel(dt, 7)
	s, err := transformer.NewSeq2Seq(m, transformer.Seq2SeqConfig{SourceVocab: vocab, TargetVocab: vocab, MaxLen: 8, Dim: 16, Heads: 2,
		Layers: 1, PadID: datasets.PadID, BOSID: datasets.BOSID, EOSID: datasets.EOSID})
	if err != nil {
		t.Fatal(err)
	}
	return TransformerSeq2Seq(s)
}

// recorder is an optimizer that keeps a copy of the gradients it is given
// and leaves the parameters unchanged.
type recorder struct{ grads map[string][]float64 }

func (r *recorder) Step(params []*graph.Param) error {
	r.grads = map[string][]float64{}
	for _, p := range params {
		r.grads[p.Name()] = append([]float64(nil), p.Grad().Float64s()...)
	}
	return nil
}

// newAdamW returns the optimizer of the loop tests.
func newAdamW() optim.Optimizer { return optim.NewAdamW(optim.Constant(3e-3), 0.01) }

// zeroLR returns an optimizer that leaves the parameters unchanged.
func zeroLR() optim.Optimizer { return optim.NewSGD(optim.Constant(0)) }
