package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/safetensors"
)

// Fuzz targets of the trainer's readers of untrusted files: the metadata of
// a checkpoint (configuration, tokenizer, optimizer, batcher and dropout RNG
// state; the safetensors layer below has its own target, graph's
// safetensors.FuzzRead) and configuration files, JSON and YAML. Their seed
// corpora run with every `go test`; CI fuzzes each for a short fixed time:
//
//	go test ./cmd/trainer -run '^$' -fuzz '^FuzzCheckpointMetadata$' -fuzztime 30s

// maxLoadAlloc bounds what reading and loading a fuzzed checkpoint of a tiny
// model may allocate: the real one needs under 20 MB (building and compiling
// its graphs), while a configuration claiming a huge model would need
// gigabytes.
const maxLoadAlloc = 200 << 20

// seedCheckpoint trains a tiny model for two steps in this process and
// returns its data file, its checkpoint's tensors and metadata.
func seedCheckpoint(tb testing.TB, sets ...string) (string, []safetensors.NamedTensor, map[string]string) {
	tb.Helper()
	dir := tb.TempDir()
	data := filepath.Join(dir, "text.txt")
	if err := os.WriteFile(data, []byte(corpus()), 0o644); err != nil {
		tb.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	args := append([]string{"train", "--out", run}, crashSets(data, 2)...)
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	var errb bytes.Buffer
	if code := runMain(args, io.Discard, &errb); code != 0 {
		tb.Fatalf("training the seed checkpoint: exit %d: %s", code, errb.String())
	}
	tensors, meta, err := safetensors.ReadFile(filepath.Join(run, stepCheckpointName(2)))
	if err != nil {
		tb.Fatal(err)
	}
	var list []safetensors.NamedTensor
	for name, t := range tensors {
		list = append(list, safetensors.NamedTensor{Name: name, T: t})
	}
	return data, list, meta
}

// withConfig returns meta with its configuration JSON changed by edit.
func withConfig(tb testing.TB, meta map[string]string, edit func(*Config)) string {
	tb.Helper()
	var cfg Config
	if err := json.Unmarshal([]byte(meta[metaConfig]), &cfg); err != nil {
		tb.Fatal(err)
	}
	edit(&cfg)
	js, err := json.Marshal(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return string(js)
}

// storedKind returns model.kind of a configuration's JSON, "" when there is
// none.
func storedKind(cfgJSON string) string {
	var c struct {
		Model struct{ Kind string }
	}
	json.Unmarshal([]byte(cfgJSON), &c)
	return c.Model.Kind
}

// checkpointMetaKeys are the metadata entries FuzzCheckpointMetadata varies,
// in the order of its arguments.
var checkpointMetaKeys = []string{metaConfig, metaTokenizer, metaOptimizer, metaBatcher, metaDropoutRNG, metaStep}

// loadUntrusted reads the checkpoint at path as `resume` and `sample` do:
// readCheckpoint, then (when it is accepted) building its model and
// loading the parameters, and, when its data is the seed's, the whole run
// state (newRun). It fails the test on a panic (the fuzzing engine reports
// those), on an error that does not name the file, or when it allocates
// more than maxLoadAlloc.
func loadUntrusted(t *testing.T, path, data string) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ck, err := readCheckpoint(path)
	if err == nil {
		_, err = ck.loadNetwork()
	}
	if err == nil && ck.cfg.Data.Path == data {
		_, err = newRun(context.Background(), ck.cfg, ck)
	}
	runtime.ReadMemStats(&after)
	if err != nil && !strings.Contains(err.Error(), path) && !strings.Contains(err.Error(), "resuming from") {
		t.Fatalf("error does not name the checkpoint: %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > maxLoadAlloc {
		t.Fatalf("loading a %d-byte checkpoint allocated %d MB (error: %v)", fileSize(t, path), n>>20, err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

func FuzzCheckpointMetadata(f *testing.F) {
	data, tensors, meta := seedCheckpoint(f)
	seed := func(edit map[string]string) {
		v := make([]string, len(checkpointMetaKeys))
		for i, k := range checkpointMetaKeys {
			var ok bool
			if v[i], ok = edit[k]; !ok {
				v[i] = meta[k]
			}
		}
		f.Add(v[0], v[1], v[2], v[3], v[4], v[5])
	}
	seed(nil)
	seed(map[string]string{metaConfig: withConfig(f, meta, func(c *Config) { c.Model.DModel, c.Model.Layers = 1<<14, 8 })})
	seed(map[string]string{metaConfig: withConfig(f, meta, func(c *Config) { c.Model.Context = 1 << 40 })})
	seed(map[string]string{metaConfig: withConfig(f, meta, func(c *Config) { c.Model.Kind, c.Model.Cell = kindRNNLM, "gru" })})
	seed(map[string]string{metaConfig: withConfig(f, meta, func(c *Config) { c.Model.Heads = 3 })})
	seed(map[string]string{metaTokenizer: `{"kind":"char","chars":"ab"}`})
	seed(map[string]string{metaTokenizer: `{}`, metaStep: "-1"})
	seed(map[string]string{metaOptimizer: `{"kind":"sgd","steps":-5}`})
	seed(map[string]string{metaBatcher: `{"epoch":-1,"pos":99999999999}`})
	seed(map[string]string{metaBatcher: `{`, metaDropoutRNG: "!!"})
	seed(map[string]string{metaDropoutRNG: "AAAA"})
	seed(map[string]string{metaStep: "99999999999999999999"})
	f.Fuzz(func(t *testing.T, cfg, tok, opt, batcher, rng, step string) {
		m := map[string]string{}
		for k, v := range meta {
			m[k] = v
		}
		for i, v := range []string{cfg, tok, opt, batcher, rng, step} {
			m[checkpointMetaKeys[i]] = v
		}
		m[metaKind] = storedKind(cfg) // past the kind check, to the model
		var buf bytes.Buffer
		if err := safetensors.Write(&buf, tensors, m); err != nil {
			return // metadata a safetensors file cannot hold (invalid UTF-8)
		}
		path := filepath.Join(t.TempDir(), "fuzz.safetensors")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		loadUntrusted(t, path, data)
	})
}

// TestCheckpointClaimingAHugeModel is the regression test of a defect the
// checkpoint fuzz target was written for: a 40 kB checkpoint whose stored
// configuration claims d_model 16384 and 8 layers made `resume`, `sample`
// and `eval` allocate about 25 GB of parameters before noticing that the
// file holds none of them. Building the model now stops at the first
// parameter past the checkpoint's own parameter count.
func TestCheckpointClaimingAHugeModel(t *testing.T) {
	data, tensors, meta := seedCheckpoint(t)
	for _, edit := range []func(*Config){
		func(c *Config) { c.Model.DModel, c.Model.Layers = 1<<14, 8 },
		func(c *Config) { c.Model.Hidden = 1 << 30 },
		func(c *Config) { c.Model.Kind, c.Model.Hidden, c.Model.Layers = kindRNNLM, 1<<15, 4 },
		func(c *Config) { c.Model.Kind, c.Model.Context = kindTransformerS2S, 1<<26 },
		func(c *Config) { c.Model.Positions, c.Model.Context = "sinusoidal", 1<<26 },
	} {
		m := map[string]string{}
		for k, v := range meta {
			m[k] = v
		}
		m[metaConfig] = withConfig(t, meta, edit)
		m[metaKind] = storedKind(m[metaConfig])
		path := filepath.Join(t.TempDir(), "huge.safetensors")
		if err := safetensors.WriteFile(path, tensors, m); err != nil {
			t.Fatal(err)
		}
		loadUntrusted(t, path, data)
		ck, err := readCheckpoint(path)
		if err == nil {
			_, err = ck.loadNetwork()
		}
		if err == nil {
			t.Fatalf("a checkpoint with configuration %s loaded", m[metaConfig])
		}
		t.Logf("%v", err)
	}
}

// FuzzConfigFile feeds configuration files, JSON or YAML, to loadConfig:
// every file is accepted or rejected with an error, never a panic, and an
// accepted configuration, dumped as JSON and loaded again, is the same.
func FuzzConfigFile(f *testing.F) {
	def, err := loadConfig("", nil)
	if err != nil {
		f.Fatal(err)
	}
	js, err := json.Marshal(def)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(js), `{}`, `{"model": {"kind": "rnn_lm", "layers": 2}}`, `{"model": {"kind": }`,
		`{"train": {"steps": 1e300}}`, `{"optim": {"lr": -1}}`, `[1,2]`, `{"model": {"d_model": 9223372036854775808}}`} {
		f.Add(s, false)
	}
	for _, s := range []string{"model:\n  kind: rnn_lm\n  layers: 2 # two\n", "model:\n  layers:\n    - 1\n",
		"sample:\n  prompt: \"Of the \"\n", "a:\n\tb: 1\n", "model:\n", "---\ntrain:\n  steps: 10\n", "model: {d_model: 3}\n",
		"sample:\n  prompt: 'it''s'\n", "\uFEFFmodel:\n  dropout: 0.5\n"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, content string, yaml bool) {
		dir := t.TempDir()
		name := "config.json"
		if yaml {
			name = "config.yaml"
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := loadConfig(path, nil)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		dumped, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		again := filepath.Join(dir, "again.json")
		if err := os.WriteFile(again, dumped, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg2, err := loadConfig(again, nil)
		if err != nil {
			t.Fatalf("the accepted configuration, dumped, is rejected: %v\n%s", err, dumped)
		}
		if !reflect.DeepEqual(cfg, cfg2) {
			t.Fatalf("configuration changed in a dump and reload:\n%+v\n%+v", cfg, cfg2)
		}
	})
}
