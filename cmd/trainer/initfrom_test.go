package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/train/recipe"
)

// TestInitFrom fine-tunes a run on other text with another learning rate
// and number of steps: the new run keeps the source's model and tokenizer,
// starts its optimizer afresh and begins at the trained model's loss, far
// below the untrained one's; a model key or another tokenizer is refused
// with a message saying why. (That the first loss is exactly the source
// model's on the same batch is train's TestFineTuneStartsFromTheSourceModel.)
func TestInitFrom(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, dir, "text.txt", corpus())
	other := writeFile(t, dir, "other.txt", strings.Repeat("the colours of the prism part the light of the ray.\n", 40))
	src := filepath.Join(dir, "src")
	mustSucceed(t, dir, append([]string{"train", "--out", src}, tinyLM(data, 60, "train.log_every=1")...)...)
	tuned := filepath.Join(dir, "tuned")
	fine := []string{"train", "--init-from", src, "--out", tuned, "--set", "data.path=" + other, "--set", "optim.lr=1e-3",
		"--set", "train.steps=5", "--set", "train.batch_size=4", "--set", "train.log_every=1", "--set", "model.dropout=0.1"}
	res := mustSucceed(t, dir, fine...)
	if !strings.Contains(res.stdout, "initialised from "+filepath.Join(src, bestFile)) {
		t.Errorf("no initialisation message:\n%s", res.stdout)
	}
	ck, err := recipe.ReadCheckpoint(filepath.Join(tuned, stepCheckpointName(5)))
	if err != nil {
		t.Fatal(err)
	}
	if ck.Optimizer.Steps != 5 || ck.Config.Optim.LR != 1e-3 || ck.Config.Model.DModel != 16 || ck.Config.Model.Dropout != 0.1 || ck.Tok.VocabSize() < 20 {
		t.Errorf("fine-tuned checkpoint: %d optimizer steps, lr %v, d_model %d, dropout %v, %d token ids",
			ck.Optimizer.Steps, ck.Config.Optim.LR, ck.Config.Model.DModel, ck.Config.Model.Dropout, ck.Tok.VocabSize())
	}
	untrained, start := trainLosses(t, src)[0].Loss, trainLosses(t, tuned)[0].Loss
	if !(start < untrained*0.7) {
		t.Errorf("the fine-tuned run starts at loss %v, the untrained source at %v", start, untrained)
	}
	t.Logf("first losses: untrained %.3f, fine-tuned %.3f", untrained, start)
	for _, c := range []struct {
		set  string
		code int
		want string
	}{
		{"model.d_model=32", 2, "keeps the model of"},
		{"data.tokenizer=word", 1, "trained with a char tokenizer of"},
	} {
		res := trainer(t, dir, "", append(fine[:len(fine):len(fine)], "--force", "--set", c.set)...)
		if res.code != c.code || !strings.Contains(res.stderr, c.want) {
			t.Errorf("--set %s: exit %d, want %d with %q:\n%s", c.set, res.code, c.code, c.want, res.stderr)
		}
	}
}
