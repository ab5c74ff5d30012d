package datasets

import (
	"io"
	"strings"

	"github.com/pkg/errors"
)

// Tokenizer turns text into integer ids and back.
//
// Every tokenizer of this package reserves the special ids PadID, BOSID,
// EOSID and UnkID (0–3) and satisfies Decode(Encode(x)) == x for every text x
// whose symbols are all in its vocabulary. Encode never adds <bos> or <eos>;
// the batchers do. A symbol outside the vocabulary, and every byte of invalid
// UTF-8, encodes as UnkID.
type Tokenizer interface {
	// Kind names the tokenizer: "char", "word" or "bpe".
	Kind() string
	// Encode returns the ids of text, each in [0, VocabSize()).
	Encode(text string) []int
	// Decode returns the text of ids: the concatenation of their tokens,
	// with nothing for PadID, BOSID and EOSID and UnknownText for UnkID. An
	// id outside [0, VocabSize()) is an error.
	Decode(ids []int) (string, error)
	// VocabSize is the number of ids, special tokens included.
	VocabSize() int
	// Tokens returns a copy of the vocabulary in id order; the first
	// NumSpecial entries are PadToken, BOSToken, EOSToken and UnkToken.
	Tokens() []string
	// Save writes the tokenizer as JSON, to be read back by ReadTokenizer.
	Save(w io.Writer) error
}

// vocab is the id → token table shared by the tokenizers of this package,
// which all decode by concatenating tokens.
type vocab struct {
	tokens []string
}

// VocabSize returns the number of ids, special tokens included.
func (v *vocab) VocabSize() int { return len(v.tokens) }

// Tokens returns a copy of the vocabulary in id order.
func (v *vocab) Tokens() []string { return append([]string(nil), v.tokens...) }

// Decode returns the concatenated tokens of ids, writing nothing for PadID,
// BOSID and EOSID and UnknownText for UnkID.
func (v *vocab) Decode(ids []int) (string, error) {
	var b strings.Builder
	for i, id := range ids {
		switch {
		case id < 0 || id >= len(v.tokens):
			return "", errors.Errorf("datasets: decode: id %d at position %d is outside the vocabulary [0, %d)", id, i, len(v.tokens))
		case id == UnkID:
			b.WriteString(UnknownText)
		case id >= NumSpecial:
			b.WriteString(v.tokens[id])
		}
	}
	return b.String(), nil
}

// indexOf maps each ordinary token to its id.
func (v *vocab) indexOf() map[string]int {
	m := make(map[string]int, len(v.tokens))
	for id, t := range v.tokens[NumSpecial:] {
		m[t] = id + NumSpecial
	}
	return m
}
