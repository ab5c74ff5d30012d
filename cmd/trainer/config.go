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
	Kind    string  `json:"kind" help:"the model: a GPT-style LM, the encoder–decoder of Vaswani et al. (2017), or their recurrent counterparts" enum:"transformer_lm|transformer_seq2seq|rnn_lm|rnn_seq2seq"`
	Dtype   string  `json:"dtype" help:"element type of parameters and computations" enum:"float32|float64"`
	DModel  int     `json:"d_model" help:"Transformer width; RNN embedding size" range:"positive"`
	Heads   int     `json:"heads" help:"attention heads (Transformer)" range:"positive" kinds:"transformer_lm|transformer_seq2seq"`
	Layers  int     `json:"layers" help:"blocks (LM), encoder and decoder layers (seq2seq), stacked recurrent layers (RNN)" range:"positive"`
	Hidden  int     `json:"hidden" help:"Transformer feed-forward width (0: 4·d_model); RNN hidden size (0: d_model)" range:"nonneg"`
	Context int     `json:"context" help:"LM context length; longest source and target of seq2seq" range:"positive"`
	Dropout float64 `json:"dropout" help:"dropout probability on embeddings, attention weights and sub-layer outputs" range:"unit"`

	Bias             bool    `json:"bias" help:"biases in Linear and LayerNorm layers" kinds:"transformer_lm"`
	TiedHead         bool    `json:"tied_head" help:"output head tied to the (target) embedding" kinds:"transformer_lm|transformer_seq2seq"`
	Positions        string  `json:"positions" help:"positional encoding: a learned table or sinusoids" enum:"learned|sinusoidal" kinds:"transformer_lm"`
	InitStd          float64 `json:"init_std" help:"std of the normal weight initialisation; 0 means 0.02" range:"nonneg" kinds:"transformer_lm"`
	Activation       string  `json:"activation" help:"feed-forward activation; empty: the model's default (GELU for the LM, ReLU for seq2seq)" enum:"|gelu|gelu_tanh|relu|tanh|sigmoid" kinds:"transformer_lm|transformer_seq2seq"`
	Norm             string  `json:"norm" help:"LayerNorm after (post_ln, the paper) or before (pre_ln) each sub-layer" enum:"post_ln|pre_ln" kinds:"transformer_seq2seq"`
	SharedEmbeddings bool    `json:"shared_embeddings" help:"one embedding table for source and target" kinds:"transformer_seq2seq"`
	Cell             string  `json:"cell" help:"recurrent cell: Elman rnn, lstm or gru" enum:"rnn|lstm|gru" kinds:"rnn_lm|rnn_seq2seq"`
	Attention        string  `json:"attention" help:"decoder attention over the encoder states" enum:"none|bahdanau|luong" kinds:"rnn_seq2seq"`
	Bidirectional    bool    `json:"bidirectional" help:"bidirectional encoder" kinds:"rnn_seq2seq"`
	AttentionSize    int     `json:"attention_size" help:"hidden size of bahdanau attention; 0 means model.hidden" range:"nonneg" kinds:"rnn_seq2seq"`
	LengthPenalty    float64 `json:"length_penalty" help:"beam-search length penalty α (Wu et al. 2016)" range:"nonneg" kinds:"transformer_seq2seq|rnn_seq2seq"`
}

// DataConfig says where the text comes from and how it is tokenised.
type DataConfig struct {
	// Path is a UTF-8 text file or a folder of them (LMs) or a TSV file of
	// source<TAB>target lines (seq2seq). Empty means the built-in data:
	// Newton's Opticks for LMs, the synthetic task Task for seq2seq.
	Path        string  `json:"path" help:"text file or folder (LMs), source<TAB>target TSV (seq2seq); empty: Opticks, or data.task"`
	Tokenizer   string  `json:"tokenizer" help:"runes (char), words, learned BPE merges, or GPT-2's byte-level BPE files" enum:"char|word|bpe|gpt2"`
	VocabFile   string  `json:"vocab_file" help:"gpt2: encoder.json or vocab.json"`
	MergesFile  string  `json:"merges_file" help:"gpt2: vocab.bpe or merges.txt"`
	BPEMerges   int     `json:"bpe_merges" help:"merges learned by the bpe tokenizer" range:"nonneg"`
	WordMinFreq int     `json:"word_min_freq" help:"word tokenizer: drop rarer words" range:"nonneg"`
	VocabSize   int     `json:"vocab_size" help:"word tokenizer: cap on the vocabulary (0: none)" range:"nonneg"`
	ValFraction float64 `json:"val_fraction" help:"held out for validation, in [0,1)" range:"unit"`
	Task        string  `json:"task" help:"built-in seq2seq task when data.path is empty" enum:"copy|reverse|sort|addition" kinds:"transformer_seq2seq|rnn_seq2seq"`
	TaskPairs   int     `json:"task_pairs" help:"pairs generated for the built-in task" range:"positive" kinds:"transformer_seq2seq|rnn_seq2seq"`
}

// OptimConfig is the optimizer, its schedule and gradient clipping.
type OptimConfig struct {
	Name        string  `json:"name" help:"optimizer" enum:"adamw|adam|sgd|momentum|nesterov|rmsprop|adagrad"`
	LR          float64 `json:"lr" help:"peak learning rate (the factor of the noam schedule)" range:"positive"`
	MinLR       float64 `json:"min_lr" help:"floor of warmup_cosine" range:"nonneg"`
	Schedule    string  `json:"schedule" help:"learning-rate schedule (warmup_cosine: nanoGPT's)" enum:"warmup_cosine|constant|step|noam"`
	Warmup      int     `json:"warmup" help:"warm-up steps (warmup_cosine, noam); -1 means train.steps/10" range:"nonneg"`
	DecaySteps  int     `json:"decay_steps" help:"step where warmup_cosine reaches min_lr; 0 means train.steps"`
	StepEvery   int     `json:"step_every" help:"step schedule: multiply by gamma every step_every steps" range:"nonneg"`
	Gamma       float64 `json:"gamma" help:"step schedule factor" range:"nonneg"`
	WeightDecay float64 `json:"weight_decay" help:"decoupled (adamw) or L2 (the others)" range:"nonneg"`
	Beta1       float64 `json:"beta1" help:"first-moment decay (adam, adamw)" range:"unit"`
	Beta2       float64 `json:"beta2" help:"second-moment decay (adam, adamw)" range:"unit"`
	Eps         float64 `json:"eps" help:"added to the denominator (adam, adamw, rmsprop, adagrad)" range:"positive"`
	Momentum    float64 `json:"momentum" help:"velocity decay (momentum, nesterov)" range:"nonneg"`
	Alpha       float64 `json:"alpha" help:"rmsprop smoothing" range:"unit"`
	Clip        float64 `json:"clip" help:"largest global gradient norm; 0 turns clipping off" range:"nonneg"`
}

// TrainConfig is the training loop.
type TrainConfig struct {
	Steps       int     `json:"steps" help:"optimizer steps in all" range:"positive"`
	BatchSize   int     `json:"batch_size" help:"sequences (or pairs) per step" range:"positive"`
	Seed        uint64  `json:"seed" help:"parameter init, dropout and batch order"`
	LogEvery    int     `json:"log_every" help:"steps between metrics records and plain log lines" range:"positive"`
	EvalEvery   int     `json:"eval_every" help:"steps between validations (and at the end); 0: only at the end" range:"nonneg"`
	EvalBatches int     `json:"eval_batches" help:"batches per validation; 0: the whole validation split" range:"nonneg"`
	SaveEvery   int     `json:"save_every" help:"steps between checkpoints (and at the end); 0: only at the end" range:"nonneg"`
	Keep        int     `json:"keep" help:"step checkpoints kept (the newest); best.safetensors is extra" range:"positive"`
	Accumulate  int     `json:"accumulate" help:"micro-batches of batch_size rows per step (gradient accumulation)" range:"positive"`
	MemoryLimit float64 `json:"memory_limit" help:"largest estimated memory of a run, in GiB; 0: the memory available to the process" range:"nonneg"`
	Patience    int     `json:"patience" help:"validations without a lower loss before stopping early; 0: never" range:"nonneg"`
}

// SampleConfig is how text is generated after training and by `sample`.
type SampleConfig struct {
	Prompt      string  `json:"prompt" help:"start of the text; '' means a line break"`
	Length      int     `json:"length" help:"tokens generated" range:"nonneg"`
	Temperature float64 `json:"temperature" help:"softmax temperature; 0 is greedy" range:"nonneg"`
	TopK        int     `json:"top_k" help:"sample among the k most likely tokens; 0 keeps every token" range:"nonneg"`
	TopP        float64 `json:"top_p" help:"nucleus sampling mass; 0 or 1 keeps every token" range:"prob"`
	Seed        uint64  `json:"seed" help:"seed of the sampler"`
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

// validate checks every key that can be checked without the data: each by
// the rules of its tags (validateKeys), then the rules between keys.
func (c *Config) validate() error {
	m, d := c.Model, c.Data
	checks := []func() error{
		c.validateKeys,
		c.validateKind,
		c.validateGPT2Files,
		func() error {
			if d.VocabSize != 0 && d.VocabSize <= 4 {
				return keyError("data.vocab_size", "%d leaves no room beside the 4 special tokens", d.VocabSize)
			}
			return nil
		},
		c.validateSchedule,
		func() error {
			if isTransformer(m.Kind) && m.DModel%m.Heads != 0 {
				return keyError("model.d_model", "%d is not divisible by model.heads %d", m.DModel, m.Heads)
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

// validateKind checks what the model kind needs beyond its keys' rules.
func (c *Config) validateKind() error {
	if isSeq2Seq(c.Model.Kind) && c.Model.Context < 2 {
		return keyError("model.context", "%d: a seq2seq model needs room for a token and the end mark", c.Model.Context)
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

func isTransformer(kind string) bool { return strings.HasPrefix(kind, "transformer") }
func isSeq2Seq(kind string) bool     { return strings.HasSuffix(kind, "seq2seq") }

// resumableKeys are the groups and keys that `resume` may change; every
// other key must equal the checkpoint's, or the run would not continue the
// same training.
var resumableKeys = []string{"train.steps", "train.log_every", "train.eval_every", "train.eval_batches",
	"train.save_every", "train.keep", "train.patience", "train.memory_limit", "sample"}

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
