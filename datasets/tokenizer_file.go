package datasets

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/internal/atomicfile"
	"github.com/gorgonet/gorgonet/internal/inputfile"
	"github.com/gorgonet/gorgonet/internal/strictjson"
)

// tokenizerFormat is the value of the "format" field that marks a JSON file
// as a gorgonet tokenizer.
const tokenizerFormat = "gorgonet-tokenizer"

// tokenizerVersion is the version of the file layout written by Save.
const tokenizerVersion = 1

// maxTokenizerFile bounds the size of a tokenizer file that ReadTokenizer
// accepts (a 100k-token BPE vocabulary takes about 2 MB).
const maxTokenizerFile = 64 << 20

// tokenizerFile is the JSON layout of a saved tokenizer:
//
//	{"format": "gorgonet-tokenizer", "version": 1, "kind": "bpe",
//	 "tokens": ["<pad>", "<bos>", "<eos>", "<unk>", "a", "b", "ab"],
//	 "merges": [[4, 5]]}
//
// tokens lists the vocabulary in id order, special tokens first. For "bpe",
// merges[i] = [left, right] is the i-th merge, which makes the token with id
// len(tokens)-len(merges)+i; the tokens between the special ones and the
// merged ones are single runes. For "gpt2", tokens are GPT-2's printable
// token texts in GPT-2's id order (no special tokens first) and merges[i] is
// the pair of ids that merge rank i joins.
type tokenizerFile struct {
	Format  string   `json:"format"`
	Version int      `json:"version"`
	Kind    string   `json:"kind"`
	Tokens  []string `json:"tokens"`
	Merges  [][2]int `json:"merges,omitempty"`
}

// writeTokenizerFile writes f as indented JSON.
func writeTokenizerFile(w io.Writer, f tokenizerFile) error {
	f.Format, f.Version = tokenizerFormat, tokenizerVersion
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return errors.Wrapf(enc.Encode(f), "datasets: writing %s tokenizer", f.Kind)
}

// SaveTokenizer writes tok to the file at path as JSON, atomically: a reader
// or a crash sees the old file or the complete new one.
func SaveTokenizer(path string, tok Tokenizer) error {
	return errors.Wrap(atomicfile.WriteFile(path, tok.Save), "datasets: saving tokenizer")
}

// LoadTokenizer reads a tokenizer saved by SaveTokenizer. The path must name
// a regular file of at most 64 MiB.
func LoadTokenizer(path string) (Tokenizer, error) {
	f, err := inputfile.Open(context.Background(), path, maxTokenizerFile)
	if err != nil {
		return nil, errors.Wrap(err, "datasets: loading tokenizer")
	}
	defer f.Close()
	return ReadTokenizer(f, path)
}

// ReadTokenizer reads a tokenizer written by Tokenizer.Save; name (a file
// name) is used in error messages. A JSON file of another kind, a field
// written twice, a vocabulary without the special tokens, duplicate tokens,
// a merge of other than two ids or inconsistent merges are errors.
func ReadTokenizer(r io.Reader, name string) (Tokenizer, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxTokenizerFile+1))
	if err != nil {
		return nil, errors.Wrapf(err, "datasets: reading tokenizer %s", name)
	}
	if len(data) > maxTokenizerFile {
		return nil, fileError(name, "tokenizer file larger than %d bytes", maxTokenizerFile)
	}
	var probe struct {
		Format *string `json:"format"`
	}
	if err := json.Unmarshal(data, &probe); err != nil || probe.Format == nil || *probe.Format != tokenizerFormat {
		return nil, fileError(name, "not a gorgonet tokenizer file (want a JSON object with \"format\": %q)%s",
			tokenizerFormat, jsonErrorLine(data, err))
	}
	if err := strictjson.CheckUniqueKeys(data); err != nil {
		return nil, fileError(name, "malformed tokenizer: %v", err)
	}
	var arity struct {
		Merges [][]int `json:"merges"`
	}
	if json.Unmarshal(data, &arity) == nil {
		for i, m := range arity.Merges {
			if len(m) != 2 {
				return nil, fileError(name, "merge %d holds %d ids %v; a merge joins exactly two", i, len(m), m)
			}
		}
	}
	var f tokenizerFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fileError(name, "malformed tokenizer: %v%s", err, jsonErrorLine(data, err))
	}
	if f.Version != tokenizerVersion {
		return nil, fileError(name, "tokenizer file version %d, this program reads version %d", f.Version, tokenizerVersion)
	}
	if f.Kind == "gpt2" {
		tok, err := newGPT2Tokenizer(f.Tokens, f.Merges)
		if err != nil {
			return nil, fileError(name, "%v", err)
		}
		return tok, nil
	}
	if err := checkTokens(f.Tokens); err != nil {
		return nil, fileError(name, "%v", err)
	}
	if f.Kind != "bpe" && len(f.Merges) > 0 {
		return nil, fileError(name, "a %q tokenizer has no merges", f.Kind)
	}
	var tok Tokenizer
	switch f.Kind {
	case "char":
		tok, err = charFromTokens(f.Tokens)
	case "word":
		tok, err = wordFromTokens(f.Tokens)
	case "bpe":
		tok, err = bpeFromFile(f.Tokens, f.Merges)
	default:
		return nil, fileError(name, "unknown tokenizer kind %q (want char, word, bpe or gpt2)", f.Kind)
	}
	if err != nil {
		return nil, fileError(name, "%v", err)
	}
	return tok, nil
}

// checkTokens checks what every vocabulary must satisfy: the special tokens
// first, then distinct, non-empty, valid UTF-8 tokens.
func checkTokens(tokens []string) error {
	if len(tokens) < NumSpecial {
		return errors.Errorf("vocabulary of %d tokens, fewer than the %d special tokens", len(tokens), NumSpecial)
	}
	for id, want := range specialTokens {
		if tokens[id] != want {
			return errors.Errorf("token %d is %q, want the special token %q", id, tokens[id], want)
		}
	}
	seen := make(map[string]int, len(tokens))
	for id, t := range tokens {
		if first, dup := seen[t]; dup {
			return errors.Errorf("token %d %q repeats token %d", id, t, first)
		}
		seen[t] = id
		if t == "" || !utf8.ValidString(t) {
			return errors.Errorf("token %d %q is empty or not valid UTF-8", id, t)
		}
	}
	return nil
}

// jsonErrorLine returns " (line N)" for a JSON syntax or type error, "" for
// other errors.
func jsonErrorLine(data []byte, err error) string {
	var off int64
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	default:
		return ""
	}
	off = min(max(off, 0), int64(len(data)))
	return fmt.Sprintf(" (line %d)", 1+bytes.Count(data[:off], []byte("\n")))
}
