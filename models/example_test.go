package models_test

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/models/sampling"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/optim"
)

// train runs steps training steps of any language model on windows of the
// stream 0, 1, …, 7, 0, 1, … and returns the first and the last loss: the
// same loop serves a Transformer (independent windows) and a recurrent
// model (state carried from window to window).
func train(lm models.LanguageModel, steps int) (first, last float64, err error) {
	obj, err := lm.NewObjective(2, 8)
	if err != nil {
		return 0, 0, err
	}
	prog, err := lm.Model().Compile(obj.Loss, obj.Outputs()...)
	if err != nil {
		return 0, 0, err
	}
	opt := optim.NewAdam(optim.Constant(1e-2))
	for step := 0; step < steps; step++ {
		in, tg := make([]int, 16), make([]int, 16)
		for i := range in {
			pos := step*8 + i%8 + i/8*3 // row 1 is 3 tokens ahead of row 0
			in[i], tg[i] = pos%8, (pos+1)%8
		}
		feeds, err := obj.Feeds(tensor.New(tensor.WithShape(2, 8), tensor.WithBacking(in)),
			tensor.New(tensor.WithShape(2, 8), tensor.WithBacking(tg)))
		if err != nil {
			return 0, 0, err
		}
		loss, err := prog.Step(feeds, opt)
		if err != nil {
			return 0, 0, err
		}
		outs, err := prog.Outputs()
		if err != nil {
			return 0, 0, err
		}
		if err := obj.Carry(outs); err != nil {
			return 0, 0, err
		}
		if step == 0 {
			first = loss
		}
		last = loss
	}
	return first, last, nil
}

// Example trains a Transformer and an LSTM language model with one loop
// written against models.LanguageModel, then continues a prompt past the
// Transformer's context.
func Example() {
	gpt, err := transformer.NewLM(graph.NewModel(graph.Float32, 1), transformer.LMConfig{Vocab: 8, Context: 8, Dim: 16, Heads: 2, Layers: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	lstm, err := rnn.NewLM(graph.NewModel(graph.Float32, 1), rnn.LMConfig{Vocab: 8, Embed: 8, Hidden: 16, Cell: layers.LSTM})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, lm := range []models.LanguageModel{gpt, lstm} {
		first, last, err := train(lm, 150)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("context %d: loss fell %v\n", lm.Context(), last < first/4)
	}
	next, err := gpt.Generate([]int{0, 1, 2, 3, 4, 5, 6, 7, 0, 1}, 12, sampling.Sampling{})
	fmt.Println(next, err)
	// Output:
	// context 8: loss fell true
	// context 0: loss fell true
	// [2 3 4 5 6 7 0 1 2 3 4 5] <nil>
}
