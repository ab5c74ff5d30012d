package datasets

import (
	"io"
	"strings"

	"github.com/pkg/errors"
)

// Tokenizer turns text into integer ids and back.
//
// The tokenizers this package builds from text (char, word, bpe) reserve the
// special ids PadID, BOSID, EOSID and UnkID (0–3) and satisfy
// Decode(Encode(x)) == x for every text x whose symbols are all in their
// vocabulary; a symbol outside it, and every byte of invalid UTF-8, encodes
// as UnkID. GPT2Tokenizer, read from GPT-2's files, keeps GPT-2's ids, has
// no unknown symbol and round-trips every byte sequence. Encode never adds
// <bos> or <eos>; the batchers do.
type Tokenizer interface {
	// Kind names the tokenizer: "char", "word", "bpe" or "gpt2".
	Kind() string
	// Encode returns the ids of text, each in [0, VocabSize()).
	Encode(text string) []int
	// Decode returns the text of ids: the concatenation of their tokens,
	// with nothing for PadID, BOSID and EOSID and UnknownText for UnkID (for
	// the tokenizers that reserve them). An id outside [0, VocabSize()) is
	// an error.
	Decode(ids []int) (string, error)
	// VocabSize is the number of ids, special tokens included.
	VocabSize() int
	// Tokens returns a copy of the vocabulary in id order; the first
	// NumSpecial entries are PadToken, BOSToken, EOSToken and UnkToken (for
	// the tokenizers that reserve them).
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
