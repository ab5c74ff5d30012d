package main

import (
	"encoding/json"
	"fmt"
	"github.com/gorgonet/gorgonet/models/sampling"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/internal/config"
	"github.com/gorgonet/gorgonet/layers"
)

// Config is the trainer's whole configuration: what a run trains, on what,
// how, and how it samples. Its JSON form (snake_case keys, dotted on the
// command line: model.d_model) is what --config files hold, what --set
// overrides and what every checkpoint stores.
type Config struct {
	Model  ModelConfig  `json:"model"`
	Data   DataConfig   `json:"data"`
	Optim  OptimConfig  `json:"optim"`
	Train  TrainConfig  `json:"train"`
	Sample SampleConfig `json:"sample"`
}

// Model kinds.
const (
	kindTransformerLM  = "transformer_lm"
	kindTransformerS2S = "transformer_seq2seq"
	kindRNNLM          = "rnn_lm"
	kindRNNS2S         = "rnn_seq2seq"
)

var modelKinds = []string{kindTransformerLM, kindTransformerS2S, kindRNNLM, kindRNNS2S}

// ModelConfig says which model is trained and its sizes.
type ModelConfig struct {
	Kind    string  `json:"kind"`    // transformer_lm, transformer_seq2seq, rnn_lm or rnn_seq2seq
	Dtype   string  `json:"dtype"`   // float32 or float64
	DModel  int     `json:"d_model"` // Transformer width; RNN embedding size
	Heads   int     `json:"heads"`   // attention heads (Transformer)
	Layers  int     `json:"layers"`  // blocks (LM), encoder and decoder layers (seq2seq), stacked recurrent layers (RNN)
	Hidden  int     `json:"hidden"`  // Transformer feed-forward width (0: 4·d_model); RNN hidden size (0: d_model)
	Context int     `json:"context"` // LM context length; longest source and target of seq2seq
	Dropout float64 `json:"dropout"` // in [0,1)

	Bias             bool    `json:"bias"`              // biases in Linear and LayerNorm (Transformer LM)
	TiedHead         bool    `json:"tied_head"`         // output head tied to the (target) embedding
	Positions        string  `json:"positions"`         // learned or sinusoidal (Transformer LM)
	InitStd          float64 `json:"init_std"`          // weight init std (Transformer LM); 0 means 0.02
	Activation       string  `json:"activation"`        // feed-forward activation: gelu, gelu_tanh, relu, tanh, sigmoid; "" = the model's default
	Norm             string  `json:"norm"`              // post_ln or pre_ln (Transformer seq2seq)
	SharedEmbeddings bool    `json:"shared_embeddings"` // one source/target embedding (Transformer seq2seq)
	Cell             string  `json:"cell"`              // rnn, lstm or gru (RNN models)
	Attention        string  `json:"attention"`         // none, bahdanau or luong (RNN seq2seq)
	Bidirectional    bool    `json:"bidirectional"`     // bidirectional encoder (RNN seq2seq)
	AttentionSize    int     `json:"attention_size"`    // hidden size of bahdanau attention; 0 means model.hidden
	LengthPenalty    float64 `json:"length_penalty"`    // beam-search length penalty α (seq2seq)
}

// DataConfig says where the text comes from and how it is tokenised.
type DataConfig struct {
	// Path is a UTF-8 text file or a folder of them (LMs) or a TSV file of
	// source<TAB>target lines (seq2seq). Empty means the built-in data:
	// Newton's Opticks for LMs, the synthetic task Task for seq2seq.
	Path        string  `json:"path"`
	Tokenizer   string  `json:"tokenizer"`     // char, word, bpe or gpt2
	VocabFile   string  `json:"vocab_file"`    // gpt2: encoder.json or vocab.json
	MergesFile  string  `json:"merges_file"`   // gpt2: vocab.bpe or merges.txt
	BPEMerges   int     `json:"bpe_merges"`    // merges learned by the bpe tokenizer
	WordMinFreq int     `json:"word_min_freq"` // word tokenizer: drop rarer words
	VocabSize   int     `json:"vocab_size"`    // word tokenizer: cap on the vocabulary (0: none)
	ValFraction float64 `json:"val_fraction"`  // held out for validation, in [0,1)
	Task        string  `json:"task"`          // built-in seq2seq task: copy, reverse, sort or addition
	TaskPairs   int     `json:"task_pairs"`    // pairs generated for the built-in task
}

// OptimConfig is the optimizer, its schedule and gradient clipping.
type OptimConfig struct {
	Name        string  `json:"name"`         // adamw, adam, sgd, momentum, nesterov, rmsprop or adagrad
	LR          float64 `json:"lr"`           // peak learning rate (the factor of the noam schedule)
	MinLR       float64 `json:"min_lr"`       // floor of warmup_cosine
	Schedule    string  `json:"schedule"`     // warmup_cosine, constant, step or noam
	Warmup      int     `json:"warmup"`       // warm-up steps (warmup_cosine, noam); -1 means train.steps/10
	DecaySteps  int     `json:"decay_steps"`  // step where warmup_cosine reaches min_lr; 0 means train.steps
	StepEvery   int     `json:"step_every"`   // step schedule: multiply by gamma every step_every steps
	Gamma       float64 `json:"gamma"`        // step schedule factor
	WeightDecay float64 `json:"weight_decay"` // decoupled (adamw) or L2 (the others)
	Beta1       float64 `json:"beta1"`        // adam, adamw
	Beta2       float64 `json:"beta2"`        // adam, adamw
	Eps         float64 `json:"eps"`          // adam, adamw, rmsprop, adagrad
	Momentum    float64 `json:"momentum"`     // momentum, nesterov
	Alpha       float64 `json:"alpha"`        // rmsprop smoothing
	Clip        float64 `json:"clip"`         // largest global gradient norm; 0 turns clipping off
}

// TrainConfig is the training loop.
type TrainConfig struct {
	Steps       int    `json:"steps"`        // optimizer steps in all
	BatchSize   int    `json:"batch_size"`   // sequences (or pairs) per step
	Seed        uint64 `json:"seed"`         // parameter init, dropout and batch order
	LogEvery    int    `json:"log_every"`    // steps between metrics records and plain log lines
	EvalEvery   int    `json:"eval_every"`   // steps between validations (and at the end); 0: only at the end
	EvalBatches int    `json:"eval_batches"` // batches per validation; 0: the whole validation split
	SaveEvery   int    `json:"save_every"`   // steps between checkpoints (and at the end); 0: only at the end
	Keep        int    `json:"keep"`         // step checkpoints kept (the newest); best.safetensors is extra
	Accumulate  int    `json:"accumulate"`   // micro-batches of batch_size rows per step (gradient accumulation)
	Patience    int    `json:"patience"`     // validations without a lower loss before stopping early; 0: never
}

// SampleConfig is how text is generated after training and by `sample`.
type SampleConfig struct {
	Prompt      string  `json:"prompt"`      // start of the text; "" means a line break
	Length      int     `json:"length"`      // tokens generated
	Temperature float64 `json:"temperature"` // 0 is greedy
	TopK        int     `json:"top_k"`       // 0 keeps every token
	TopP        float64 `json:"top_p"`       // nucleus; 0 or 1 keeps every token
	Seed        uint64  `json:"seed"`
}

// sampling returns the decoding settings of s for the models' Generate.
func (s SampleConfig) sampling() sampling.Sampling {
	return sampling.Sampling{Temperature: s.Temperature, TopK: s.TopK, TopP: s.TopP, Seed: s.Seed}
}

// defaultConfig is the configuration of `trainer` without arguments: a tiny
// character-level GPT on Newton's Opticks that trains in a few minutes on
// two cores.
func defaultConfig() Config {
	return Config{
		Model: ModelConfig{Kind: kindTransformerLM, Dtype: "float32", DModel: 64, Heads: 4, Layers: 2, Context: 64,
			Bias: true, Positions: "learned", Norm: "post_ln", Cell: "lstm", Attention: "luong", LengthPenalty: 0.6},
		Data: DataConfig{Tokenizer: "char", BPEMerges: 200, ValFraction: 0.1, Task: "reverse", TaskPairs: 2000},
		Optim: OptimConfig{Name: "adamw", LR: 5e-3, MinLR: 5e-4, Schedule: "warmup_cosine", Warmup: -1, Gamma: 0.5,
			WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, Momentum: 0.9, Alpha: 0.99, Clip: 1},
		Train:  TrainConfig{Steps: 600, BatchSize: 16, Seed: 1, LogEvery: 10, EvalEvery: 100, EvalBatches: 8, SaveEvery: 100, Keep: 2, Accumulate: 1},
		Sample: SampleConfig{Length: 300, Temperature: 0.8, Seed: 1},
	}
}

// loadConfig starts from the defaults, applies the file at path (JSON, or
// YAML when it ends in .yaml or .yml; none when path is empty) and then the
// key=value overrides, and returns the resolved, validated configuration.
func loadConfig(path string, sets []string) (Config, error) {
	cfg := defaultConfig()
	if path != "" {
		if err := config.Load(path, &cfg); err != nil {
			return cfg, err
		}
	}
	if err := applySets(&cfg, sets); err != nil {
		return cfg, err
	}
	return cfg, cfg.resolve()
}

// applySets applies --set overrides in order.
func applySets(cfg *Config, sets []string) error {
	for _, s := range sets {
		if err := config.Set(cfg, s); err != nil {
			return errors.Wrap(err, "--set")
		}
	}
	return nil
}

// resolve fills the derived defaults (warm-up and decay steps from
// train.steps, an absolute data.path, so that checkpoints can be resumed
// from any directory) and validates every key, returning an error that
// names the first bad key.
func (c *Config) resolve() error {
	if c.Optim.Warmup == -1 {
		c.Optim.Warmup = c.Train.Steps / 10
	}
	if c.Optim.DecaySteps == 0 {
		c.Optim.DecaySteps = c.Train.Steps
	}
	if c.Data.Path != "" {
		abs, err := filepath.Abs(c.Data.Path)
		if err != nil {
			return errors.Wrap(err, "config: data.path")
		}
		c.Data.Path = abs
	}
	return c.validate()
}

// keyError is an error about one configuration key.
func keyError(key string, format string, args ...interface{}) error {
	return errors.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...))
}

func oneOf(key, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return keyError(key, "unknown value %q (want one of %s)", value, strings.Join(allowed, ", "))
}

// validate checks every key that can be checked without the data.
func (c *Config) validate() error {
	m, d, o, t, s := c.Model, c.Data, c.Optim, c.Train, c.Sample
	checks := []func() error{
		func() error { return oneOf("model.kind", m.Kind, modelKinds...) },
		func() error { return oneOf("model.dtype", m.Dtype, "float32", "float64") },
		func() error {
			return positiveInts("model.d_model", m.DModel, "model.layers", m.Layers, "model.context", m.Context)
		},
		func() error {
			return nonNegativeInts("model.hidden", m.Hidden, "model.attention_size", m.AttentionSize)
		},
		func() error { return unitInterval("model.dropout", m.Dropout) },
		func() error {
			return nonNegativeFloats("model.init_std", m.InitStd, "model.length_penalty", m.LengthPenalty)
		},
		func() error {
			if m.Activation == "" {
				return nil
			}
			_, err := layers.ActivationByName(m.Activation)
			return errors.Wrap(err, "config: model.activation")
		},
		func() error { return c.validateKind() },
		func() error { return oneOf("data.tokenizer", d.Tokenizer, "char", "word", "bpe", "gpt2") },
		func() error { return c.validateGPT2Files() },
		func() error {
			return nonNegativeInts("data.bpe_merges", d.BPEMerges, "data.word_min_freq", d.WordMinFreq, "data.vocab_size", d.VocabSize)
		},
		func() error {
			if d.VocabSize != 0 && d.VocabSize <= 4 {
				return keyError("data.vocab_size", "%d leaves no room beside the 4 special tokens", d.VocabSize)
			}
			return nil
		},
		func() error { return unitInterval("data.val_fraction", d.ValFraction) },
		func() error {
			return oneOf("optim.name", o.Name, "adamw", "adam", "sgd", "momentum", "nesterov", "rmsprop", "adagrad")
		},
		func() error { return oneOf("optim.schedule", o.Schedule, "warmup_cosine", "constant", "step", "noam") },
		func() error { return positiveFloats("optim.lr", o.LR) },
		func() error {
			return nonNegativeFloats("optim.min_lr", o.MinLR, "optim.weight_decay", o.WeightDecay, "optim.eps", o.Eps,
				"optim.momentum", o.Momentum, "optim.clip", o.Clip, "optim.gamma", o.Gamma)
		},
		func() error { return nonNegativeInts("optim.warmup", o.Warmup, "optim.step_every", o.StepEvery) },
		func() error { return unitInterval("optim.beta1", o.Beta1) },
		func() error { return unitInterval("optim.beta2", o.Beta2) },
		func() error { return unitInterval("optim.alpha", o.Alpha) },
		func() error { return c.validateSchedule() },
		func() error {
			return positiveInts("train.steps", t.Steps, "train.batch_size", t.BatchSize, "train.log_every", t.LogEvery, "train.keep", t.Keep,
				"train.accumulate", t.Accumulate)
		},
		func() error {
			return nonNegativeInts("train.eval_every", t.EvalEvery, "train.eval_batches", t.EvalBatches, "train.save_every", t.SaveEvery,
				"train.patience", t.Patience)
		},
		func() error { return nonNegativeInts("sample.length", s.Length, "sample.top_k", s.TopK) },
		func() error { return nonNegativeFloats("sample.temperature", s.Temperature) },
		func() error {
			if !(s.TopP >= 0 && s.TopP <= 1) {
				return keyError("sample.top_p", "%v outside [0, 1]", s.TopP)
			}
			return nil
		},
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// validateKind checks the keys that depend on the model kind.
func (c *Config) validateKind() error {
	m := c.Model
	if isTransformer(m.Kind) {
		if err := positiveInts("model.heads", m.Heads); err != nil {
			return err
		}
		if m.DModel%m.Heads != 0 {
			return keyError("model.d_model", "%d is not divisible by model.heads %d", m.DModel, m.Heads)
		}
		if err := oneOf("model.positions", m.Positions, "learned", "sinusoidal"); err != nil {
			return err
		}
		if err := oneOf("model.norm", m.Norm, "post_ln", "pre_ln"); err != nil {
			return err
		}
	} else {
		if err := oneOf("model.cell", m.Cell, "rnn", "lstm", "gru"); err != nil {
			return err
		}
		if err := oneOf("model.attention", m.Attention, "none", "bahdanau", "luong"); err != nil {
			return err
		}
	}
	if isSeq2Seq(m.Kind) {
		if m.Context < 2 {
			return keyError("model.context", "%d: a seq2seq model needs room for a token and the end mark", m.Context)
		}
		if c.Data.Path == "" {
			if err := oneOf("data.task", c.Data.Task, "copy", "reverse", "sort", "addition"); err != nil {
				return err
			}
			if err := positiveInts("data.task_pairs", c.Data.TaskPairs); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateSchedule checks the schedule's own constraints.
func (c *Config) validateSchedule() error {
	o := c.Optim
	switch o.Schedule {
	case "warmup_cosine":
		if o.DecaySteps <= o.Warmup {
			return keyError("optim.decay_steps", "%d must exceed optim.warmup %d (decay_steps defaults to train.steps)", o.DecaySteps, o.Warmup)
		}
		if o.MinLR > o.LR {
			return keyError("optim.min_lr", "%v exceeds optim.lr %v", o.MinLR, o.LR)
		}
	case "step":
		if o.StepEvery <= 0 {
			return keyError("optim.step_every", "must be positive for the step schedule, got %d", o.StepEvery)
		}
	case "noam":
		if o.Warmup <= 0 {
			return keyError("optim.warmup", "must be positive for the noam schedule, got %d", o.Warmup)
		}
	}
	if o.Name == "nesterov" && o.Momentum <= 0 {
		return keyError("optim.momentum", "nesterov needs a positive momentum, got %v", o.Momentum)
	}
	return nil
}

// positiveInts checks name/value pairs: each value must be > 0.
func positiveInts(kv ...interface{}) error {
	for i := 0; i < len(kv); i += 2 {
		if v := kv[i+1].(int); v <= 0 {
			return keyError(kv[i].(string), "must be positive, got %d", v)
		}
	}
	return nil
}

// nonNegativeInts checks name/value pairs: each value must be ≥ 0.
func nonNegativeInts(kv ...interface{}) error {
	for i := 0; i < len(kv); i += 2 {
		if v := kv[i+1].(int); v < 0 {
			return keyError(kv[i].(string), "must not be negative, got %d", v)
		}
	}
	return nil
}

// positiveFloats checks name/value pairs: each value must be > 0.
func positiveFloats(kv ...interface{}) error {
	for i := 0; i < len(kv); i += 2 {
		if v := kv[i+1].(float64); !(v > 0) {
			return keyError(kv[i].(string), "must be positive, got %v", v)
		}
	}
	return nil
}

// nonNegativeFloats checks name/value pairs: each value must be ≥ 0.
func nonNegativeFloats(kv ...interface{}) error {
	for i := 0; i < len(kv); i += 2 {
		if v := kv[i+1].(float64); !(v >= 0) {
			return keyError(kv[i].(string), "must not be negative, got %v", v)
		}
	}
	return nil
}

// unitInterval checks that v lies in [0,1).
func unitInterval(key string, v float64) error {
	if !(v >= 0 && v < 1) {
		return keyError(key, "%v outside [0, 1)", v)
	}
	return nil
}

func isTransformer(kind string) bool { return strings.HasPrefix(kind, "transformer") }
func isSeq2Seq(kind string) bool     { return strings.HasSuffix(kind, "seq2seq") }

// resumableKeys are the groups and keys that `resume` may change; every
// other key must equal the checkpoint's, or the run would not continue the
// same training.
var resumableKeys = []string{"train.steps", "train.log_every", "train.eval_every", "train.eval_batches",
	"train.save_every", "train.keep", "train.patience", "sample"}

// checkResumable returns an error naming the first key on which now differs
// from saved outside resumableKeys.
func checkResumable(saved, now Config) error {
	a, err := flatten(saved)
	if err != nil {
		return err
	}
	b, err := flatten(now)
	if err != nil {
		return err
	}
	for _, k := range sortedStringKeys(a) {
		if isResumable(k) || reflect.DeepEqual(a[k], b[k]) {
			continue
		}
		return errors.Errorf("config: %s is %v in the checkpoint and cannot change on resume (got %v); only %s may change",
			k, a[k], b[k], strings.Join(resumableKeys, ", "))
	}
	return nil
}

func isResumable(key string) bool {
	for _, r := range resumableKeys {
		if key == r || strings.HasPrefix(key, r+".") {
			return true
		}
	}
	return false
}

// flatten maps the dotted keys of c to their JSON values.
func flatten(c Config) (map[string]interface{}, error) {
	js, err := json.Marshal(c)
	if err != nil {
		return nil, errors.Wrap(err, "config")
	}
	var tree map[string]interface{}
	if err := json.Unmarshal(js, &tree); err != nil {
		return nil, errors.Wrap(err, "config")
	}
	out := map[string]interface{}{}
	var walk func(prefix string, v interface{})
	walk = func(prefix string, v interface{}) {
		if m, ok := v.(map[string]interface{}); ok {
			for k, e := range m {
				walk(strings.TrimPrefix(prefix+"."+k, "."), e)
			}
			return
		}
		out[prefix] = v
	}
	walk("", tree)
	return out, nil
}

func sortedStringKeys(m map[string]interface{}) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validateGPT2Files checks that data.tokenizer=gpt2 names its two files, that
// no other tokenizer does, and that it serves a language model: GPT-2's ids
// 0–2 are ordinary tokens, not the padding and sequence marks seq2seq needs.
func (c *Config) validateGPT2Files() error {
	d := c.Data
	if d.Tokenizer != "gpt2" {
		if d.VocabFile != "" || d.MergesFile != "" {
			return keyError("data.vocab_file", "data.vocab_file and data.merges_file are read by data.tokenizer=gpt2 only (data.tokenizer is %s)", d.Tokenizer)
		}
		return nil
	}
	if d.VocabFile == "" || d.MergesFile == "" {
		return keyError("data.tokenizer", "gpt2 needs data.vocab_file (encoder.json or vocab.json) and data.merges_file (vocab.bpe or merges.txt)")
	}
	if c.Model.Kind != "transformer_lm" && c.Model.Kind != "rnn_lm" {
		return keyError("data.tokenizer", "gpt2 serves language models (transformer_lm, rnn_lm), not %s", c.Model.Kind)
	}
	return nil
}
