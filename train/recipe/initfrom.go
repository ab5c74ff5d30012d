package recipe

import (
	"encoding/json"
	"strings"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/train"
)

// Source is what --init-from starts a run from: weights, and for a
// trainer checkpoint its model configuration and tokenizer.
type Source struct {
	Weights *train.Weights
	Model   *ModelConfig       // nil when the weights carry no trainer configuration
	Tok     datasets.Tokenizer // nil when they carry no tokenizer
}

// ReadSource reads the weights of --init-from (a run directory, a
// trainer checkpoint or a file of a format registered with
// train.RegisterWeightsFormat).
func ReadSource(arg string) (*Source, error) {
	w, err := train.ReadWeights(arg)
	if err != nil {
		return nil, errors.Wrap(err, "--init-from")
	}
	src := &Source{Weights: w}
	if js, ok := w.Meta[MetaConfig]; ok {
		cfg := Default()
		if err := json.Unmarshal([]byte(js), &cfg); err != nil {
			return nil, errors.Errorf("--init-from %s: bad configuration metadata: %v", w.Path, err)
		}
		src.Model = &cfg.Model
	}
	if js, ok := w.Meta[MetaTokenizer]; ok {
		if src.Tok, err = datasets.ReadTokenizer(strings.NewReader(js), w.Path+" (tokenizer)"); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// Adopt makes cfg a fine-tuning of src: the model is src's (its dropout
// cfg's when keepDropout is set), and the data is encoded with src's
// tokenizer, which data.tokenizer must name.
func (src *Source) Adopt(cfg *Config, keepDropout bool) error {
	if src.Model != nil {
		dropout := cfg.Model.Dropout
		cfg.Model = *src.Model
		if keepDropout {
			cfg.Model.Dropout = dropout
		}
	}
	if src.Tok != nil && src.Tok.Kind() != cfg.Data.Tokenizer {
		return errors.Errorf("data.tokenizer is %s, but %s was trained with a %s tokenizer of %d ids: a fine-tuned model keeps its tokenizer (set data.tokenizer=%s)",
			cfg.Data.Tokenizer, src.Weights.Path, src.Tok.Kind(), src.Tok.VocabSize(), src.Tok.Kind())
	}
	return cfg.Validate()
}

// ParamElems returns the parameter elements of the weights: the most the
// model may have.
func (src *Source) ParamElems() int {
	n := 0
	for _, t := range src.Weights.Params {
		n += t.Shape().TotalSize()
	}
	return max(n, 1)
}
