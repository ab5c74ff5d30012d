package main

import (
	"encoding/json"
	"strings"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/train"
)

// initSource is what --init-from starts a run from: weights, and for a
// trainer checkpoint its model configuration and tokenizer.
type initSource struct {
	weights *train.Weights
	model   *ModelConfig       // nil when the weights carry no trainer configuration
	tok     datasets.Tokenizer // nil when they carry no tokenizer
}

// readInitSource reads the weights of --init-from (a run directory, a
// trainer checkpoint or a file of a format registered with
// train.RegisterWeightsFormat).
func readInitSource(arg string) (*initSource, error) {
	w, err := train.ReadWeights(arg)
	if err != nil {
		return nil, errors.Wrap(err, "--init-from")
	}
	src := &initSource{weights: w}
	if js, ok := w.Meta[metaConfig]; ok {
		cfg := defaultConfig()
		if err := json.Unmarshal([]byte(js), &cfg); err != nil {
			return nil, errors.Errorf("--init-from %s: bad configuration metadata: %v", w.Path, err)
		}
		src.model = &cfg.Model
	}
	if js, ok := w.Meta[metaTokenizer]; ok {
		if src.tok, err = datasets.ReadTokenizer(strings.NewReader(js), w.Path+" (tokenizer)"); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// adopt makes cfg a fine-tuning of src: the model is src's (model.* may not
// be set, but model.dropout), and the data is encoded with src's tokenizer,
// which data.tokenizer must name.
func (src *initSource) adopt(cfg *Config, sets []string) error {
	if src.model != nil {
		for _, s := range sets {
			key, _, _ := strings.Cut(s, "=")
			if strings.HasPrefix(key, "model.") && key != "model.dropout" {
				return usagef("--set %s: a run started --init-from keeps the model of %s (only model.dropout may change)", key, src.weights.Path)
			}
		}
		dropout := cfg.Model.Dropout
		cfg.Model = *src.model
		for _, s := range sets {
			if strings.HasPrefix(s, "model.dropout=") {
				cfg.Model.Dropout = dropout
			}
		}
	}
	if src.tok != nil && src.tok.Kind() != cfg.Data.Tokenizer {
		return errors.Errorf("data.tokenizer is %s, but %s was trained with a %s tokenizer of %d ids: a fine-tuned model keeps its tokenizer (set data.tokenizer=%s)",
			cfg.Data.Tokenizer, src.weights.Path, src.tok.Kind(), src.tok.VocabSize(), src.tok.Kind())
	}
	return cfg.validate()
}

// paramElems returns the parameter elements of the weights: the most the
// model may have.
func (src *initSource) paramElems() int {
	n := 0
	for _, t := range src.weights.Params {
		n += t.Shape().TotalSize()
	}
	return max(n, 1)
}
