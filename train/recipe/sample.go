package recipe

import (
	"context"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/models"
)

// Sample returns s.Prompt (a line break when empty, left out of the text)
// followed by s.Length tokens that lm generates after it, and the number of
// symbols of the prompt outside tok's vocabulary, read as
// datasets.UnkToken. It stops with ctx's error once ctx is done.
func Sample(ctx context.Context, lm models.LanguageModel, tok datasets.Tokenizer, s SampleConfig) (text string, unknown int, err error) {
	prompt := s.Prompt
	if prompt == "" {
		prompt = "\n"
	}
	ids := tok.Encode(prompt)
	_, byteLevel := tok.(*datasets.GPT2Tokenizer) // reads every byte; its id 3 is "$"
	for _, id := range ids {
		if id == datasets.UnkID && !byteLevel {
			unknown++
		}
	}
	out, err := lm.GenerateContext(ctx, ids, s.Length, s.Sampling())
	if err != nil {
		return "", unknown, errors.Wrap(err, "sampling")
	}
	if text, err = tok.Decode(out); err != nil {
		return "", unknown, err
	}
	if s.Prompt == "" {
		return text, unknown, nil
	}
	return s.Prompt + text, unknown, nil
}
