package main

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestYAMLConfigEqualsJSON(t *testing.T) {
	dir := t.TempDir()
	yaml := writeFile(t, dir, "c.yaml", `# a tiny GRU language model
---
model:
  kind: rnn_lm      # comment after a value
  cell: "gru"
  d_model: 32
data:
  path: 'my ''book''.txt'
optim:
  lr: 1e-3
sample:
  prompt: "Of the \"Rays\" #1"
  temperature: 0.5
`)
	json := writeFile(t, dir, "c.json", `{"model": {"kind": "rnn_lm", "cell": "gru", "d_model": 32},
 "data": {"path": "my 'book'.txt"}, "optim": {"lr": 0.001},
 "sample": {"prompt": "Of the \"Rays\" #1", "temperature": 0.5}}`)
	a, err := loadConfig(yaml, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := loadConfig(json, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("YAML and JSON differ:\n%+v\n%+v", a, b)
	}
	if a.Model.DModel != 32 || filepath.Base(a.Data.Path) != "my 'book'.txt" || a.Sample.Prompt != `Of the "Rays" #1` {
		t.Errorf("YAML values: %+v", a)
	}
}

// TestYAMLFeatures reads a configuration written with the YAML a user
// reaches for: a block scalar for a multi-line prompt, a folded scalar, a
// flow mapping, an anchor and its alias.
func TestYAMLFeatures(t *testing.T) {
	p := writeFile(t, t.TempDir(), "features.yaml", `model: {kind: rnn_lm, cell: gru, d_model: &width 48}
optim:
  lr: &peak 2e-3
  min_lr: *peak
sample:
  prompt: |
    First line of the prompt,
    and the second.
  length: *width
data:
  path: >-
    folded
    name.txt
`)
	cfg, err := loadConfig(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Model.Kind != "rnn_lm" || cfg.Model.Cell != "gru" || cfg.Model.DModel != 48 ||
		cfg.Optim.LR != 2e-3 || cfg.Optim.MinLR != 2e-3 ||
		cfg.Sample.Prompt != "First line of the prompt,\nand the second.\n" || cfg.Sample.Length != 48 ||
		filepath.Base(cfg.Data.Path) != "folded name.txt" {
		t.Errorf("config read from YAML:\nmodel %+v\noptim %+v\nsample %+v\ndata.path %q", cfg.Model, cfg.Optim, cfg.Sample, cfg.Data.Path)
	}
}

func TestYAMLErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"list for a value", "model:\n  layers:\n    - 1\n", `:2: key model.layers: invalid value "[1]": expected an integer`},
		{"key written twice", "model:\n  d_model: 32\n  d_model: 64\n", `:3: mapping key "d_model" already defined at [2:3]`},
		{"dotted key", "model.d_model: 32\n", `:1: key "model.d_model" holds a dot; write model.d_model nested`},
		{"tab indentation", "model:\n\tkind: rnn_lm\n", ":2: found character '\t' that cannot start any token"},
		{"unknown key", "model:\n  kindd: rnn_lm\n", ":2: unknown key model.kindd; did you mean model.kind?"},
		{"unknown key in a flow mapping", "model: {kindd: rnn_lm}\n", ":1: unknown key model.kindd; did you mean model.kind?"},
		{"wrong type", "train:\n  steps: ten\n", `:2: key train.steps: invalid value "ten"`},
		{"empty group", "model:\ntrain:\n  steps: 3\n", `:1: model is a group of keys, not a value`},
		{"empty value", "train:\n  steps:\n", `:2: key train.steps: no value`},
		{"no colon", "model\n", "the file must hold a mapping of keys"},
		{"unterminated quote", "sample:\n  prompt: \"abc\n", ":2: could not find end character of double-quoted text"},
		{"empty file", "# nothing\n", "holds no keys"},
		{"value for a group", "model: 3\n", ":1: model is a group of keys"},
		{"second document", "train:\n  steps: 3\n---\ntrain:\n  steps: 4\n", ":4: a second YAML document"},
		{"merge key", "base: &b {steps: 3}\ntrain:\n  <<: *b\n", "unknown key base"},
		{"not UTF-8", "sample:\n  prompt: \xe9\n", ":2: not UTF-8 text (byte 0xe9)"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, dir, strings.ReplaceAll(c.name, " ", "_")+".yml", c.text)
			_, err := loadConfig(p, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestJSONConfigChecks covers what encoding/json lets pass: a key written
// twice and a leading byte-order mark.
func TestJSONConfigChecks(t *testing.T) {
	dir := t.TempDir()
	dup := writeFile(t, dir, "dup.json", "{\"model\": {\"d_model\": 32,\n \"d_model\": 64}}")
	if _, err := loadConfig(dup, nil); err == nil || !strings.Contains(err.Error(), "dup.json:2: key model.d_model appears twice") {
		t.Errorf("repeated key: %v", err)
	}
	bom := writeFile(t, dir, "bom.json", "\uFEFF{\"model\": {\"d_model\": 32}}")
	if cfg, err := loadConfig(bom, nil); err != nil || cfg.Model.DModel != 32 {
		t.Errorf("JSON with a byte-order mark: d_model %d, %v", cfg.Model.DModel, err)
	}
}

// TestSetGroupMerges checks that a JSON object given to a group with --set
// changes only the keys it names, as a configuration file does.
func TestSetGroupMerges(t *testing.T) {
	cfg, err := loadConfig("", []string{`sample={"length":5}`})
	if err != nil {
		t.Fatal(err)
	}
	want := defaultConfig().Sample
	want.Length = 5
	if cfg.Sample != want {
		t.Errorf("sample after --set sample={\"length\":5}: %+v, want %+v", cfg.Sample, want)
	}
}

func TestResolveAndResumableKeys(t *testing.T) {
	cfg, err := loadConfig("", []string{"train.steps=50"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Optim.Warmup != 5 || cfg.Optim.DecaySteps != 50 {
		t.Errorf("warmup %d and decay_steps %d, want 5 and 50 derived from train.steps", cfg.Optim.Warmup, cfg.Optim.DecaySteps)
	}
	longer := cfg
	longer.Train.Steps, longer.Sample.Seed = 500, 9
	if err := checkResumable(cfg, longer); err != nil {
		t.Errorf("more steps and another sample seed refused: %v", err)
	}
	changed := cfg
	changed.Optim.LR = 1
	if err := checkResumable(cfg, changed); err == nil || !strings.Contains(err.Error(), "optim.lr") {
		t.Errorf("changing optim.lr on resume: %v", err)
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	cases := []struct {
		set, want string // want "" means valid
	}{
		{"model.dtype=float16", "model.dtype"},
		{"model.layers=0", "model.layers: must be positive"},
		{"model.hidden=-1", "model.hidden: must not be negative"},
		{"model.heads=0", "model.heads: must be positive"},
		{"model.positions=rotary", "model.positions"},
		{"data.tokenizer=sentencepiece", "data.tokenizer"},
		{"data.val_fraction=1", "data.val_fraction"},
		{"optim.name=lion", "optim.name"},
		{"optim.lr=0", "optim.lr: must be positive"},
		{"optim.beta2=1", "optim.beta2"},
		{"optim.min_lr=1", "optim.min_lr: 1 exceeds optim.lr"},
		{"train.batch_size=0", "train.batch_size"},
		{"train.keep=0", "train.keep"},
		{"sample.top_p=1.5", "sample.top_p"},
		{"model.activation=swish", "model.activation"},
		{"model.cell=transformer", ""}, // a Transformer has no cell: the key is not checked
	}
	for _, c := range cases {
		_, err := loadConfig("", []string{c.set})
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.set, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one naming %q", c.set, err, c.want)
		}
	}
}

// TestJSONConfigNotUTF8: a JSON configuration with a byte that is not UTF-8
// is refused with the line (Go's JSON decoder would read it as U+FFFD).
func TestJSONConfigNotUTF8(t *testing.T) {
	p := writeFile(t, t.TempDir(), "c.json", "{\"sample\": {\n\"prompt\": \"\xff\"}}")
	_, err := loadConfig(p, nil)
	if want := "c.json:2: not UTF-8 text (byte 0xff)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one containing %q", err, want)
	}
}
