package interop

import (
	"path/filepath"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/optim"
	"github.com/gorgonet/gorgonet/safetensors"
	"gorgonia.org/tensor"
)

// rnnLogits runs lm from a zero state on ids [B,T] and returns the logits
// batch-major, [B,T,V], as float32.
func rnnLogits(t *testing.T, lm *rnn.LM, ids []int, B, T int) []float32 {
	t.Helper()
	lm.Model().SetTraining(false)
	w, err := lm.NewWindow(B, T)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := lm.Model().CompileForward(w.Logits)
	if err != nil {
		t.Fatal(err)
	}
	feeds, err := w.Feeds(tensor.New(tensor.WithShape(B, T), tensor.WithBacking(append([]int(nil), ids...))), nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := prog.Forward(feeds)
	if err != nil {
		t.Fatal(err)
	}
	c, err := convert(out[0], tensor.Float32)
	if err != nil {
		t.Fatal(err)
	}
	tm := c.Data().([]float32) // row t·B+b
	V := lm.Config.Vocab
	logits := make([]float32, 0, len(tm))
	for b := 0; b < B; b++ {
		for s := 0; s < T; s++ {
			logits = append(logits, tm[(s*B+b)*V:(s*B+b+1)*V]...)
		}
	}
	return logits
}

// trainedRNN returns a float32 recurrent LM of cfg moved from its
// initialisation by a few Adam steps.
func trainedRNN(t *testing.T, cfg rnn.LMConfig) *rnn.LM {
	t.Helper()
	m := graph.NewModel(graph.Float32, 5)
	lm, err := rnn.NewLM(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	B, T := 3, 6
	w, err := lm.NewWindow(B, T)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := w.CompileTrain()
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.NewAdam(optim.Constant(3e-2))
	ids, tg := make([]int, B*T), make([]int, B*T)
	for step := 0; step < 6; step++ {
		for i := range ids {
			ids[i], tg[i] = (i*7+step)%cfg.Vocab, (i*3+step*5)%cfg.Vocab
		}
		in := tensor.New(tensor.WithShape(B, T), tensor.WithBacking(append([]int(nil), ids...)))
		out := tensor.New(tensor.WithShape(B, T), tensor.WithBacking(append([]int(nil), tg...)))
		if _, err := w.Step(prog, in, out, opt); err != nil {
			t.Fatal(err)
		}
	}
	return lm
}

// TestRNNMatchesPyTorch: for nn.LSTM, nn.GRU and nn.RNN, random PyTorch
// weights import into gorgonet with PyTorch's logits, and a trained gorgonet
// LM exported as pytorch loads into the PyTorch module with strict loading
// and gives gorgonet's logits.
func TestRNNMatchesPyTorch(t *testing.T) {
	needTorch(t)
	for _, cell := range []layers.CellKind{layers.LSTM, layers.GRU, layers.Elman} {
		arch := map[layers.CellKind]string{layers.LSTM: "lstm", layers.GRU: "gru", layers.Elman: "rnn"}[cell]
		t.Run(arch, func(t *testing.T) {
			dir := t.TempDir()
			w, io, out := filepath.Join(dir, "w.safetensors"), filepath.Join(dir, "io.safetensors"), filepath.Join(dir, "out.safetensors")
			torchRef(t, "random", arch, w, io, "--vocab", "30", "--dim", "8", "--hidden", "12", "--layers", "2", "--batch", "2", "--steps", "7")
			ref := readIO(t, io)
			tensors, _, err := safetensors.ReadFile(w)
			if err != nil {
				t.Fatal(err)
			}
			weights, err := ImportRNNLM(tensors)
			if err != nil {
				t.Fatal(err)
			}
			if c := weights.Config; c.Cell != cell || c.Vocab != 30 || c.Embed != 8 || c.Hidden != 12 || c.Layers != 2 {
				t.Fatalf("inferred %+v", c)
			}
			lm, err := weights.NewLM(graph.NewModel(graph.Float32, 1))
			if err != nil {
				t.Fatal(err)
			}
			e := checkLogits(t, arch+" import", rnnLogits(t, lm, ref.ids, ref.B, ref.T), ref.logits)

			// Hidden = embedding size makes every recurrent matrix of an
			// Elman RNN square: a wrong layout would still load.
			trained := trainedRNN(t, cfgSquare(cell))
			ts, meta, err := ExportRNNLM(trained, PyTorch)
			if err != nil {
				t.Fatal(err)
			}
			if err := safetensors.WriteFile(w, ts, meta); err != nil {
				t.Fatal(err)
			}
			ids := make([]int, 2*7)
			for i := range ids {
				ids[i] = (i*11 + 3) % 30
			}
			writeIDs(t, io, ids, nil, 2, 7)
			torchRef(t, "logits", arch, w, io, out)
			e2 := checkLogits(t, arch+" export", rnnLogits(t, trained, ids, 2, 7), readIO(t, out).logits)
			t.Logf("%s: max relative logit error %.2g (import), %.2g (export)", arch, e, e2)
		})
	}
}

// cfgSquare is a 2-layer LM whose hidden size equals its embedding size.
func cfgSquare(cell layers.CellKind) rnn.LMConfig {
	return rnn.LMConfig{Vocab: 30, Embed: 10, Hidden: 10, Layers: 2, Cell: cell}
}
