package transformer_test

import (
	"fmt"
	"math"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/tensor"
)

// ExampleLM builds a tiny GPT, runs one training step on a batch of
// next-token pairs and samples a continuation.
func ExampleLM() {
	m := graph.NewModel(graph.Float32, 1)
	lm, err := transformer.NewLM(m, transformer.LMConfig{Vocab: 16, Context: 8, Dim: 16, Heads: 2, Layers: 2, TiedHead: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	loss, err := lm.Loss(2, 8) // inputs LMInput and LMTarget, [2,8]
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, err := m.Compile(loss)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Two windows of the sequence 0, 1, 2, …: each target is the next id.
	x := tensor.New(tensor.WithShape(2, 8), tensor.WithBacking([]int{0, 1, 2, 3, 4, 5, 6, 7, 5, 6, 7, 8, 9, 10, 11, 12}))
	y := tensor.New(tensor.WithShape(2, 8), tensor.WithBacking([]int{1, 2, 3, 4, 5, 6, 7, 8, 6, 7, 8, 9, 10, 11, 12, 13}))
	opt := optim.ClipByGlobalNorm(optim.NewAdamW(optim.WarmupCosine(1e-3, 10, 100, 1e-4), 0.1), 1)
	l, err := prog.Step(graph.Feeds{transformer.LMInput: x, transformer.LMTarget: y}, opt)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("first loss %.2f, ln 16 = %.2f\n", l, math.Log(16))
	next, err := lm.Generate([]int{3, 4, 5}, 5, transformer.Sampling{Temperature: 0.8, TopK: 5, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(next), "new tokens")
	// Past the context of 8 tokens, the model reads a sliding window.
	long, err := lm.Generate([]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 20, transformer.Sampling{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(long), "new tokens after a prompt of 10")
	// Output:
	// first loss 2.81, ln 16 = 2.77
	// 5 new tokens
	// 20 new tokens after a prompt of 10
}

// ExampleSeq2Seq builds a tiny encoder–decoder, runs one teacher-forced
// training step on a padded batch and decodes a source greedily and by beam
// search.
func ExampleSeq2Seq() {
	m := graph.NewModel(graph.Float32, 1)
	s, err := transformer.NewSeq2Seq(m, transformer.Seq2SeqConfig{
		SourceVocab: 10, TargetVocab: 10, MaxLen: 6, Dim: 16, Heads: 2, Layers: 1,
		PadID: 0, BOSID: 1, EOSID: 2, SharedEmbeddings: true, TiedOutput: true,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	loss, err := s.Loss(2, 5, 6) // sources [2,5], decoder inputs and targets [2,6]
	if err != nil {
		fmt.Println(err)
		return
	}
	prog, err := m.Compile(loss)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The pairs (3 4 5 → 5 4 3) and (6 7 → 7 6), padded with 0.
	batch := graph.Feeds{
		transformer.S2SSource:    tensor.New(tensor.WithShape(2, 5), tensor.WithBacking([]int{3, 4, 5, 0, 0, 6, 7, 0, 0, 0})),
		transformer.S2STargetIn:  tensor.New(tensor.WithShape(2, 6), tensor.WithBacking([]int{1, 5, 4, 3, 0, 0, 1, 7, 6, 0, 0, 0})),
		transformer.S2STargetOut: tensor.New(tensor.WithShape(2, 6), tensor.WithBacking([]int{5, 4, 3, 2, 0, 0, 7, 6, 2, 0, 0, 0})),
	}
	l, err := prog.Step(batch, optim.NewAdam(optim.Constant(1e-3)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("first loss %.2f, ln 10 = %.2f\n", l, math.Log(10))
	greedy, err := s.Greedy([][]int{{3, 4, 5}, {6, 7}}, 6)
	if err != nil {
		fmt.Println(err)
		return
	}
	beam, err := s.Beam([]int{3, 4, 5}, 3, 0.6, 6)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(greedy), "greedy outputs; beam output of at most 6 tokens:", len(beam) <= 6)
	// Output:
	// first loss 2.74, ln 10 = 2.30
	// 2 greedy outputs; beam output of at most 6 tokens: true
}
