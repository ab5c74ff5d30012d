package rnn_test

import (
	"fmt"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/rnn"
)

// A character-level LSTM language model, stepped over windows of a stream
// with its hidden state carried from one window to the next.
func ExampleLM() {
	m := graph.NewModel(graph.Float32, 1)
	lm, err := rnn.NewLM(m, rnn.LMConfig{Vocab: 65, Embed: 32, Hidden: 64, Cell: layers.LSTM})
	if err != nil {
		panic(err)
	}
	w, err := lm.NewWindow(8, 16) // 8 streams, 16 steps of truncated BPTT
	if err != nil {
		panic(err)
	}
	fmt.Println("logits", w.Logits.Shape(), "carried", w.State.Names())
	for _, p := range m.Params() {
		fmt.Println(p.Name(), p.Shape())
	}
	// Output:
	// logits (128, 65) carried [window0.state.0.h window0.state.0.c]
	// embedding.weight (65, 32)
	// rnn.weight_x_l0 (32, 256)
	// rnn.weight_h_l0 (64, 256)
	// rnn.bias_x_l0 (256)
	// rnn.bias_h_l0 (256)
	// head.weight (64, 65)
	// head.bias (65)
}
