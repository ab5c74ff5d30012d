package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/datasets"
)

// corpusText reads the text of data.path (a UTF-8 file or folder), or of
// the built-in Opticks when path is empty, and returns it with a description
// of where it came from. Binary files (a NUL byte or invalid UTF-8) and empty
// files are errors naming the file.
func corpusText(path string) (string, string, error) {
	var c *datasets.Corpus
	var err error
	if path == "" {
		c, err = datasets.DefaultCorpus()
	} else {
		c, err = datasets.OpenCorpus(path)
	}
	if err != nil {
		return "", "", errors.Wrap(err, "data.path")
	}
	text, err := c.Text(0)
	if err != nil {
		return "", "", errors.Wrap(err, "data.path")
	}
	if i := strings.IndexByte(text, 0); i >= 0 {
		return "", "", errors.Errorf("data.path %s: looks like a binary file (NUL byte at offset %d); the trainer reads UTF-8 text", c.Path, i)
	}
	if strings.TrimSpace(text) == "" {
		return "", "", errors.Errorf("data.path %s: holds only white space", c.Path)
	}
	desc := c.Path
	if len(c.Files) > 1 {
		desc = fmt.Sprintf("%s (%d files)", c.Path, len(c.Files))
	}
	return text, desc, nil
}

// buildTokenizer makes the tokenizer that data.tokenizer names from text;
// training a BPE tokenizer stops when ctx is cancelled.
func buildTokenizer(ctx context.Context, d DataConfig, text string) (datasets.Tokenizer, error) {
	switch d.Tokenizer {
	case "char":
		return datasets.NewCharTokenizer(text), nil
	case "word":
		tok, err := datasets.NewWordTokenizer(text, datasets.WordOptions{MinFreq: d.WordMinFreq, MaxSize: d.VocabSize})
		return tok, errors.Wrap(err, "data.tokenizer")
	case "bpe":
		tok, err := datasets.TrainBPEContext(ctx, text, d.BPEMerges)
		return tok, errors.Wrap(err, "data.tokenizer")
	case "gpt2":
		tok, err := datasets.LoadGPT2Tokenizer(d.VocabFile, d.MergesFile)
		return tok, errors.Wrap(err, "data.vocab_file, data.merges_file")
	}
	return nil, keyError("data.tokenizer", "unknown tokenizer %q", d.Tokenizer)
}

// lmData is a tokenised corpus split for language modelling.
type lmData struct {
	tok        datasets.Tokenizer
	train, val []int
	source     string
}

// loadLMData reads and tokenises the corpus of cfg with tok, or with a
// tokenizer built from the text when tok is nil, and splits it. The training
// part must hold at least one window of model.context+1 tokens.
func loadLMData(ctx context.Context, cfg Config, tok datasets.Tokenizer) (*lmData, error) {
	text, desc, err := corpusText(cfg.Data.Path)
	if err != nil {
		return nil, err
	}
	if tok == nil {
		if tok, err = buildTokenizer(ctx, cfg.Data, text); err != nil {
			return nil, err
		}
	}
	ids := tok.Encode(text)
	train, val, err := datasets.SplitIDs(ids, cfg.Data.ValFraction)
	if err != nil {
		return nil, errors.Wrap(err, "data.val_fraction")
	}
	if need := cfg.Model.Context + 1; len(train) < need {
		return nil, errors.Errorf("data.path %s: %d training tokens, fewer than one window of model.context+1 = %d; use more text or a smaller model.context",
			desc, len(train), need)
	}
	if len(val) < 2 {
		val = nil // too short to predict anything: no validation
	}
	return &lmData{tok: tok, train: train, val: val, source: desc}, nil
}

// s2sData is a set of sequence pairs split for training and validation.
type s2sData struct {
	tok        datasets.Tokenizer // shared by sources and targets
	train, val []datasets.Pair
	source     string
}

// loadPairs reads data.path as TSV pairs, or generates the built-in task.
func loadPairs(cfg Config) ([]datasets.Pair, string, error) {
	d := cfg.Data
	if d.Path == "" {
		task, err := taskConfig(d.Task, cfg.Model.Context)
		if err != nil {
			return nil, "", err
		}
		pairs, err := task.Generate(d.TaskPairs, cfg.Train.Seed)
		return pairs, fmt.Sprintf("built-in %s task (%d pairs)", d.Task, d.TaskPairs), errors.Wrap(err, "data.task")
	}
	data, err := os.ReadFile(d.Path)
	if err != nil {
		return nil, "", errors.Wrap(err, "data.path")
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, "", errors.Errorf("data.path %s: looks like a binary file (NUL byte at offset %d); seq2seq data is UTF-8 source<TAB>target lines", d.Path, i)
	}
	pairs, err := datasets.DecodePairs(bytes.NewReader(data), d.Path)
	return pairs, d.Path, errors.Wrap(err, "data.path")
}

// taskConfig returns the built-in synthetic task whose sequences fit a
// model of the given maximum length.
func taskConfig(name string, context int) (datasets.TaskConfig, error) {
	tasks := map[string]datasets.Task{"copy": datasets.TaskCopy, "reverse": datasets.TaskReverse,
		"sort": datasets.TaskSort, "addition": datasets.TaskAddition}
	t, ok := tasks[name]
	if !ok {
		return datasets.TaskConfig{}, keyError("data.task", "unknown task %q (want copy, reverse, sort or addition)", name)
	}
	if t == datasets.TaskAddition {
		digits := min(4, (context-1)/2)
		if digits < 1 {
			return datasets.TaskConfig{}, keyError("model.context", "%d is too short for the addition task", context)
		}
		return datasets.TaskConfig{Task: t, MinLen: 1, MaxLen: digits}, nil
	}
	return datasets.TaskConfig{Task: t, MinLen: 1, MaxLen: min(8, context-1)}, nil
}

// loadS2SData reads (or generates) the pairs of cfg, builds the tokenizer
// from every source and target when tok is nil, and splits the pairs.
func loadS2SData(ctx context.Context, cfg Config, tok datasets.Tokenizer) (*s2sData, error) {
	pairs, desc, err := loadPairs(cfg)
	if err != nil {
		return nil, err
	}
	if tok == nil {
		var b strings.Builder
		for _, p := range pairs {
			b.WriteString(p.Source)
			b.WriteByte('\n')
			b.WriteString(p.Target)
			b.WriteByte('\n')
		}
		if tok, err = buildTokenizer(ctx, cfg.Data, b.String()); err != nil {
			return nil, err
		}
	}
	train, val, err := datasets.SplitPairs(pairs, cfg.Data.ValFraction, cfg.Train.Seed)
	if err != nil {
		return nil, errors.Wrap(err, "data.val_fraction")
	}
	return &s2sData{tok: tok, train: train, val: val, source: desc}, nil
}
