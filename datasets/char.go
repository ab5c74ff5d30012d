package datasets

import (
	"io"
	"sort"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// CharTokenizer maps each Unicode code point (rune) to one id, so that text
// in any script, Chinese included, tokenises symbol by symbol. Its ordinary
// tokens are the distinct runes of the text it was built from, in code-point
// order, with ids NumSpecial and up.
type CharTokenizer struct {
	vocab
	ids map[rune]int
}

// NewCharTokenizer returns the tokenizer of the distinct runes of text
// (bytes of invalid UTF-8 are skipped: they encode as UnkID).
func NewCharTokenizer(text string) *CharTokenizer {
	set := map[rune]bool{}
	for s := text; len(s) > 0; {
		r, size, ok := decodeRune(s)
		if ok {
			set[r] = true
		}
		s = s[size:]
	}
	runes := make([]rune, 0, len(set))
	for r := range set {
		runes = append(runes, r)
	}
	sort.Slice(runes, func(i, j int) bool { return runes[i] < runes[j] })
	tokens := make([]string, len(runes))
	for i, r := range runes {
		tokens[i] = string(r)
	}
	t, _ := charFromTokens(append(specialTokens[:], tokens...)) // cannot fail: distinct single runes
	return t
}

// charFromTokens builds a CharTokenizer from a full vocabulary (special
// tokens first), checking that each ordinary token is one rune.
func charFromTokens(tokens []string) (*CharTokenizer, error) {
	t := &CharTokenizer{vocab: vocab{tokens: append([]string(nil), tokens...)}, ids: make(map[rune]int, len(tokens))}
	for id, tok := range tokens[NumSpecial:] {
		r, size := utf8.DecodeRuneInString(tok)
		if size != len(tok) || (r == utf8.RuneError && size <= 1) {
			return nil, errors.Errorf("char token %d %q is not a single rune", id+NumSpecial, tok)
		}
		t.ids[r] = id + NumSpecial
	}
	return t, nil
}

// Kind returns "char".
func (t *CharTokenizer) Kind() string { return "char" }

// Encode returns one id per rune of text (UnkID for a rune outside the
// vocabulary and for each invalid byte).
func (t *CharTokenizer) Encode(text string) []int {
	ids := make([]int, 0, len(text))
	for len(text) > 0 {
		r, size, ok := decodeRune(text)
		id, known := t.ids[r]
		if !ok || !known {
			id = UnkID
		}
		ids = append(ids, id)
		text = text[size:]
	}
	return ids
}

// Save writes the tokenizer as JSON.
func (t *CharTokenizer) Save(w io.Writer) error {
	return writeTokenizerFile(w, tokenizerFile{Kind: t.Kind(), Tokens: t.tokens})
}

// chunk cuts text for streaming: any rune boundary will do.
func (t *CharTokenizer) chunk(s string) int {
	_, size, _ := decodeRune(s)
	return size
}
