package models_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/models/sampling"
	"github.com/gorgonet/gorgonet/models/transformer"
)

// ids returns a tensor.Int [rows,cols] holding v.
func ids(rows, cols int, v ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(v))
}

// evalLoss compiles obj in the model's evaluation mode and returns a
// function running one window and carrying its state.
func evalLoss(t *testing.T, m *graph.Model, obj *models.Objective) func(in, tg *tensor.Dense) float64 {
	t.Helper()
	prog, err := m.CompileForward(append([]*gorgonia.Node{obj.Loss}, obj.Outputs()...)...)
	if err != nil {
		t.Fatal(err)
	}
	return func(in, tg *tensor.Dense) float64 {
		feeds, err := obj.Feeds(in, tg)
		if err != nil {
			t.Fatal(err)
		}
		outs, err := prog.Forward(feeds)
		if err != nil {
			t.Fatal(err)
		}
		if err := obj.Carry(outs); err != nil {
			t.Fatal(err)
		}
		l, err := graph.Scalar(outs[0])
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
}

// TestLanguageModelObjective checks the contract on both LMs: a stream cut
// into two windows of 4 tokens gives, with the state carried (an RNN) or
// none to carry (a Transformer reading each window alone), the losses the
// model's own programs give — for the RNN, the mean over the two windows
// equals the loss of one window of 8 tokens, which it reads in one pass.
func TestLanguageModelObjective(t *testing.T) {
	stream := []int{1, 4, 2, 6, 3, 0, 5, 2, 4}
	in1, tg1 := ids(1, 4, stream[0:4]...), ids(1, 4, stream[1:5]...)
	in2, tg2 := ids(1, 4, stream[4:8]...), ids(1, 4, stream[5:9]...)
	for _, c := range []struct {
		name    string
		build   func(m *graph.Model) (models.LanguageModel, error)
		context int
	}{
		{"transformer", func(m *graph.Model) (models.LanguageModel, error) {
			return transformer.NewLM(m, transformer.LMConfig{Vocab: 7, Context: 8, Dim: 8, Heads: 2, Layers: 1})
		}, 8},
		{"rnn", func(m *graph.Model) (models.LanguageModel, error) {
			return rnn.NewLM(m, rnn.LMConfig{Vocab: 7, Embed: 5, Hidden: 6, Cell: layers.LSTM})
		}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 1)
			lm, err := c.build(m)
			if err != nil {
				t.Fatal(err)
			}
			m.SetTraining(false)
			if lm.Vocab() != 7 || lm.Context() != c.context || lm.Model() != m {
				t.Fatalf("Vocab %d, Context %d: want 7 and %d", lm.Vocab(), lm.Context(), c.context)
			}
			short, err := lm.NewObjective(1, 4)
			if err != nil {
				t.Fatal(err)
			}
			if b, s := short.Shape(); b != 1 || s != 4 {
				t.Fatalf("Shape %d, %d, want 1, 4", b, s)
			}
			if _, err := short.Feeds(ids(1, 3, 1, 2, 3), tg1); err == nil {
				t.Fatal("Feeds of a [1,3] window for a [1,4] objective: no error")
			}
			long, err := lm.NewObjective(1, 8)
			if err != nil {
				t.Fatal(err)
			}
			run, runLong := evalLoss(t, m, short), evalLoss(t, m, long)
			l1, l2 := run(in1, tg1), run(in2, tg2)
			short.Reset()
			if again := run(in1, tg1); again != l1 {
				t.Fatalf("after Reset the first window's loss is %v, was %v", again, l1)
			}
			full := runLong(ids(1, 8, stream[0:8]...), ids(1, 8, stream[1:9]...))
			if c.context == 0 {
				if math.Abs((l1+l2)/2-full) > 1e-12 {
					t.Fatalf("carried windows: losses %v and %v, mean %v; one pass over 8 tokens %v", l1, l2, (l1+l2)/2, full)
				}
			} else {
				if _, err := lm.NewObjective(1, 9); err == nil {
					t.Fatal("an objective longer than the context: no error")
				}
				if short.State != nil {
					t.Fatal("a Transformer objective carries state")
				}
			}
			prompt := []int{1, 2, 3, 4, 5, 6, 0, 1, 2, 3}
			out, err := lm.GenerateContext(context.Background(), prompt, 12, sampling.Sampling{Temperature: 1, Seed: 3})
			if err != nil || len(out) != 12 {
				t.Fatalf("Generate past the context: %v, %v", out, err)
			}
			done, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := lm.GenerateContext(done, prompt, 12, sampling.Sampling{}); !errors.Is(err, context.Canceled) {
				t.Fatalf("GenerateContext with a cancelled context: %v, want context.Canceled", err)
			}
		})
	}
}

// TestSeq2SeqTranslate checks Translate through the contract against the
// models' own decoders, and the typed error of a beam an RNN lacks.
func TestSeq2SeqTranslate(t *testing.T) {
	m := graph.NewModel(graph.Float64, 4)
	ts, err := transformer.NewSeq2Seq(m, transformer.Seq2SeqConfig{SourceVocab: 9, TargetVocab: 8, MaxLen: 6, Dim: 8, Heads: 2,
		Layers: 1, PadID: 0, BOSID: 1, EOSID: 2})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rnn.NewSeq2Seq(graph.NewModel(graph.Float64, 4), rnn.Seq2SeqConfig{SourceVocab: 9, TargetVocab: 8, Dim: 4, Hidden: 5, Cell: layers.GRU,
		Attention: rnn.Luong, PadID: 0, BOSID: 1, EOSID: 2})
	if err != nil {
		t.Fatal(err)
	}
	src := [][]int{{3, 4, 5}, {8, 7}}
	for _, c := range []struct {
		name   string
		s      models.Seq2SeqModel
		maxLen int
		want   func(d models.Decoding) ([][]int, error)
	}{
		{"transformer", ts, 6, func(d models.Decoding) ([][]int, error) {
			if d.Beam <= 1 {
				return ts.Greedy(src, d.MaxLen)
			}
			var out [][]int
			for _, s := range src {
				o, err := ts.Beam(s, d.Beam, d.LengthPenalty, d.MaxLen)
				if err != nil {
					return nil, err
				}
				out = append(out, o)
			}
			return out, nil
		}},
		{"rnn", rs, 0, func(d models.Decoding) ([][]int, error) { return rs.Greedy(src, d.MaxLen) }},
	} {
		if sv, tv := c.s.Vocabs(); sv != 9 || tv != 8 || c.s.MaxLen() != c.maxLen {
			t.Fatalf("%s: Vocabs %d, %d, MaxLen %d", c.name, sv, tv, c.s.MaxLen())
		}
		for _, d := range []models.Decoding{{MaxLen: 5}, {Beam: 3, LengthPenalty: 0.6, MaxLen: 6}} {
			got, err := c.s.Translate(context.Background(), src, d)
			if c.name == "rnn" && d.Beam > 1 {
				if !errors.Is(err, models.ErrNoBeam) {
					t.Fatalf("rnn beam: error %v, want one wrapping ErrNoBeam", err)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			want, err := c.want(d)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s %+v: Translate %v, the model's decoder %v", c.name, d, got, want)
			}
			done, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := c.s.Translate(done, src, d); !errors.Is(err, context.Canceled) {
				t.Fatalf("%s: Translate with a cancelled context: %v, want context.Canceled", c.name, err)
			}
		}
	}
}
