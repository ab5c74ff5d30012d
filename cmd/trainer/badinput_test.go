package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/safetensors"
	"gorgonia.org/tensor"
)

// badInput is one bad input of the README's table: what is run, the exit
// status and a part of the message expected on the standard error.
type badInput struct {
	name  string
	setup func(t *testing.T, env *badEnv) []string // returns the arguments
	stdin string
	code  int
	want  string
}

// badEnv holds the files the bad-input cases share: a good language-model
// run and a good seq2seq run, whose files no case may change.
type badEnv struct {
	dir, data, lmRun, s2sRun string
}

// copyCheckpoint copies the LM run's last checkpoint to a new file, to be
// damaged by a case.
func (e *badEnv) copyCheckpoint(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e.lmRun, "ckpt-000010.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, e.dir, name, string(data))
}

func trainArgs(e *badEnv, out string, sets ...string) []string {
	return append([]string{"train", "--out", filepath.Join(e.dir, out)}, tinyLM(e.data, 10, sets...)...)
}

var badInputs = []badInput{
	{"missing data file", func(t *testing.T, e *badEnv) []string {
		return trainArgs(e, "r", "data.path="+filepath.Join(e.dir, "missing.txt"))
	}, "", 1, "no such file or directory"},
	{"empty data file", func(t *testing.T, e *badEnv) []string {
		return trainArgs(e, "r", "data.path="+writeFile(t, e.dir, "empty.txt", ""))
	}, "", 1, "empty corpus"},
	{"binary data file (invalid UTF-8)", func(t *testing.T, e *badEnv) []string {
		return trainArgs(e, "r", "data.path="+writeFile(t, e.dir, "img.bin", "\x89PNG\r\n\x1a\n\xff\xfe\xfd"))
	}, "", 1, "invalid UTF-8"},
	{"binary data file (NUL bytes)", func(t *testing.T, e *badEnv) []string {
		return trainArgs(e, "r", "data.path="+writeFile(t, e.dir, "zeros.bin", "abc\x00\x00\x01\x02"+strings.Repeat("x", 100)))
	}, "", 1, "binary file (NUL byte at offset 3)"},
	{"data shorter than the context", func(t *testing.T, e *badEnv) []string {
		return trainArgs(e, "r", "data.path="+writeFile(t, e.dir, "short.txt", "abc"))
	}, "", 1, "fewer than one window of model.context+1"},
	{"unknown model kind", func(t *testing.T, e *badEnv) []string {
		return trainArgs(e, "r", "model.kind=gpt5")
	}, "", 1, `model.kind: unknown value "gpt5" (want one of transformer_lm`},
	{"--set without =", func(t *testing.T, e *badEnv) []string {
		return []string{"train", "--set", "model.d_model"}
	}, "", 1, `override "model.d_model" is not of the form key=value`},
	{"--set of an unknown key", func(t *testing.T, e *badEnv) []string {
		return []string{"train", "--set", "model.dmodel=32"}
	}, "", 1, "unknown key model.dmodel; did you mean model.d_model?"},
	{"--set of a value of the wrong type", func(t *testing.T, e *badEnv) []string {
		return []string{"train", "--set", "train.steps=many"}
	}, "", 1, `key train.steps: invalid value "many"`},
	{"negative size", func(t *testing.T, e *badEnv) []string {
		return trainArgs(e, "r", "model.d_model=-16")
	}, "", 1, "model.d_model: must be positive, got -16"},
	{"d_model not divisible by heads", func(t *testing.T, e *badEnv) []string {
		return trainArgs(e, "r", "model.d_model=30", "model.heads=4")
	}, "", 1, "model.d_model: 30 is not divisible by model.heads 4"},
	{"dropout out of range", func(t *testing.T, e *badEnv) []string {
		return trainArgs(e, "r", "model.dropout=1.5")
	}, "", 1, "model.dropout: 1.5 outside [0, 1)"},
	{"missing config file", func(t *testing.T, e *badEnv) []string {
		return []string{"train", "--config", filepath.Join(e.dir, "nope.json")}
	}, "", 1, "no such file or directory"},
	{"config file with an unknown key", func(t *testing.T, e *badEnv) []string {
		return []string{"train", "--config", writeFile(t, e.dir, "bad.json", `{"model": {"kind": "rnn_lm", "layer": 2}}`)}
	}, "", 1, "unknown key model.layer; did you mean model.layers?"},
	{"malformed JSON config", func(t *testing.T, e *badEnv) []string {
		return []string{"train", "--config", writeFile(t, e.dir, "broken.json", `{"model": {"kind": }`)}
	}, "", 1, "invalid JSON"},
	{"YAML config with a list", func(t *testing.T, e *badEnv) []string {
		return []string{"train", "--config", writeFile(t, e.dir, "list.yaml", "model:\n  layers:\n    - 1\n    - 2\n")}
	}, "", 1, `list.yaml:2: key model.layers: invalid value "[1,2]": expected an integer (int)`},
	{"YAML config with a key written twice", func(t *testing.T, e *badEnv) []string {
		return []string{"train", "--config", writeFile(t, e.dir, "dup.yaml", "model:\n  d_model: 32\n  d_model: 64\n")}
	}, "", 1, `dup.yaml:3: mapping key "d_model" already defined at [2:3]`},
	{"run directory exists (no --force)", func(t *testing.T, e *badEnv) []string {
		return []string{"train", "--out", e.lmRun, "--set", "data.path=" + e.data}
	}, "", 1, "is not empty"},
	{"unwritable output directory", func(t *testing.T, e *badEnv) []string {
		return trainArgs(e, "notadir.txt/run")
	}, "", 1, "not a directory"},
	{"corrupted checkpoint", func(t *testing.T, e *badEnv) []string {
		p := e.copyCheckpoint(t, "corrupt.safetensors")
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt([]byte("\x00garbage{{{"), 8); err != nil {
			t.Fatal(err)
		}
		return []string{"sample", p}
	}, "", 1, "corrupt or truncated?"},
	{"truncated checkpoint", func(t *testing.T, e *badEnv) []string {
		p := e.copyCheckpoint(t, "truncated.safetensors")
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, info.Size()/2); err != nil {
			t.Fatal(err)
		}
		return []string{"eval", p}
	}, "", 1, "corrupt or truncated?"},
	{"safetensors file not written by the trainer", func(t *testing.T, e *badEnv) []string {
		p := filepath.Join(e.dir, "plain.safetensors")
		w := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))
		if err := safetensors.WriteFile(p, []safetensors.NamedTensor{{Name: "w", T: w}}, nil); err != nil {
			t.Fatal(err)
		}
		return []string{"inspect", p}
	}, "", 1, "not a trainer checkpoint"},
	{"language-model checkpoint given to translate", func(t *testing.T, e *badEnv) []string {
		return []string{"translate", e.lmRun}
	}, "abc\n", 1, "translate needs a seq2seq model"},
	{"seq2seq checkpoint given to sample", func(t *testing.T, e *badEnv) []string {
		return []string{"sample", e.s2sRun}
	}, "", 1, "sample needs a language model"},
	{"seq2seq checkpoint given to inspect --attention", func(t *testing.T, e *badEnv) []string {
		return []string{"inspect", e.s2sRun, "--attention", filepath.Join(e.dir, "a.png")}
	}, "", 1, "--attention needs a transformer_lm checkpoint"},
	{"missing checkpoint", func(t *testing.T, e *badEnv) []string {
		return []string{"sample", filepath.Join(e.dir, "nothing-here")}
	}, "", 1, "no such file or directory"},
	{"run directory without checkpoints", func(t *testing.T, e *badEnv) []string {
		d := filepath.Join(e.dir, "emptyrun")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return []string{"eval", d}
	}, "", 1, "holds no checkpoint"},
	{"resume changing the model", func(t *testing.T, e *badEnv) []string {
		return []string{"resume", e.lmRun, "--set", "model.d_model=32", "--set", "train.steps=40"}
	}, "", 1, "model.d_model is 16 in the checkpoint and cannot change on resume"},
	{"sampling flag out of range", func(t *testing.T, e *badEnv) []string {
		return []string{"sample", e.lmRun, "--top-p", "2"}
	}, "", 2, "--top-p 2 outside [0, 1]"},
	{"source line longer than the context", func(t *testing.T, e *badEnv) []string {
		return []string{"translate", e.s2sRun}
	}, "abc\n" + strings.Repeat("abcd", 10) + "\n", 1, "line 2 has 40 tokens, more than the model's model.context 6"},
	{"unknown command", func(t *testing.T, e *badEnv) []string {
		return []string{"fit"}
	}, "", 2, `unknown command "fit"`},
	{"unknown flag", func(t *testing.T, e *badEnv) []string {
		return []string{"sample", e.lmRun, "--temp", "1"}
	}, "", 2, "flag provided but not defined: -temp"},
	{"loss becomes NaN", func(t *testing.T, e *badEnv) []string {
		return trainArgs(e, "nan", "optim.name=sgd", "optim.schedule=constant", "optim.lr=1e30", "optim.clip=0", "train.save_every=1")
	}, "", 1, "the last good checkpoint"},
}

// TestBadInputs runs every bad input of the README's table: each must end
// with its exit status and a clear message, never a panic, and leave the
// existing runs' files unchanged.
func TestBadInputs(t *testing.T) {
	e := &badEnv{dir: t.TempDir()}
	e.data = writeFile(t, e.dir, "text.txt", corpus())
	writeFile(t, e.dir, "notadir.txt", "a file where a directory should be")
	e.lmRun, e.s2sRun = filepath.Join(e.dir, "lm"), filepath.Join(e.dir, "s2s")
	mustSucceed(t, e.dir, trainArgs(e, "lm")...)
	pairs := writeFile(t, e.dir, "pairs.tsv", strings.Repeat("abc\tcba\nbcd\tdcb\n", 8))
	mustSucceed(t, e.dir, append([]string{"train", "--out", e.s2sRun},
		tinyLM(pairs, 10, "model.kind=transformer_seq2seq", "model.context=6")...)...)
	before := map[string]map[string][32]byte{e.lmRun: hashFiles(t, e.lmRun), e.s2sRun: hashFiles(t, e.s2sRun)}
	for _, c := range badInputs {
		t.Run(c.name, func(t *testing.T) {
			args := c.setup(t, e)
			res := trainer(t, e.dir, c.stdin, args...)
			t.Logf("exit %d: %s", res.code, strings.TrimSpace(res.stderr))
			if res.code != c.code {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, c.code, res.stdout, res.stderr)
			}
			if !strings.Contains(res.stderr, c.want) {
				t.Errorf("stderr lacks %q:\n%s", c.want, res.stderr)
			}
		})
	}
	for dir, hashes := range before {
		after := hashFiles(t, dir)
		for name, h := range hashes {
			if after[name] != h {
				t.Errorf("%s/%s changed", dir, name)
			}
		}
	}
	// The diverged run kept its last good checkpoint, which still loads.
	nan := filepath.Join(e.dir, "nan")
	ckpts, err := stepCheckpoints(nan)
	if err != nil || len(ckpts) == 0 {
		t.Fatalf("the diverged run kept no checkpoint (%v)", err)
	}
	mustSucceed(t, e.dir, "inspect", ckpts[len(ckpts)-1])
}
