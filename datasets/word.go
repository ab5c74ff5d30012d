package datasets

import (
	"io"
	"sort"

	"github.com/pkg/errors"
)

// WordOptions configures NewWordTokenizer.
type WordOptions struct {
	// MinFreq drops tokens seen fewer than MinFreq times in the training
	// text; they encode as UnkID. 0 and 1 keep every token.
	MinFreq int
	// MaxSize caps the vocabulary size, special tokens included, keeping the
	// most frequent tokens; 0 means no cap.
	MaxSize int
}

// WordTokenizer is a word-level tokenizer. Text is cut into words (runs of
// letters and digits, at most 64 runes) and single other runes (punctuation,
// symbols, and each Han, Hiragana or Katakana character), each with the
// single space before it, as GPT-2's pre-tokenizer does ("␣the"), and runs
// of other white space (line breaks, several spaces). A space-led word
// outside the vocabulary encodes as the space and the bare word (UnkID when
// that is unknown too), so spaces survive unknown words. Decode(Encode(x))
// == x exactly, spaces and line breaks included, when every piece of x is in
// the vocabulary. Ids are assigned by decreasing frequency in the training
// text (ties in byte order); the single space is always in the vocabulary.
type WordTokenizer struct {
	vocab
	ids map[string]int
}

// NewWordTokenizer builds the vocabulary of text's words, keeping those seen
// at least opts.MinFreq times and at most opts.MaxSize ids in all.
func NewWordTokenizer(text string, opts WordOptions) (*WordTokenizer, error) {
	if opts.MinFreq < 0 || opts.MaxSize < 0 || (opts.MaxSize > 0 && opts.MaxSize <= NumSpecial) {
		return nil, errors.Errorf("datasets: word tokenizer: MinFreq %d must be ≥ 0 and MaxSize %d must be 0 or > %d",
			opts.MinFreq, opts.MaxSize, NumSpecial)
	}
	counts := map[string]int{}
	forEachChunk(text, wordChunk, func(w string) {
		if _, _, ok := decodeRune(w); ok {
			counts[w]++
		}
		if len(w) > 1 && w[0] == ' ' {
			counts[" "]++ // the fallback of the word when it is unknown
		}
	})
	words := make([]string, 0, len(counts))
	for w, c := range counts {
		if c >= opts.MinFreq {
			words = append(words, w)
		}
	}
	sort.Slice(words, func(i, j int) bool {
		ci, cj := counts[words[i]], counts[words[j]]
		return ci > cj || (ci == cj && words[i] < words[j])
	})
	if opts.MaxSize > 0 && len(words) > opts.MaxSize-NumSpecial {
		words = words[:opts.MaxSize-NumSpecial]
	}
	return wordFromTokens(append(specialTokens[:], words...))
}

// wordFromTokens builds a WordTokenizer from a full vocabulary (special
// tokens first), checking that each ordinary token is exactly one word.
func wordFromTokens(tokens []string) (*WordTokenizer, error) {
	t := &WordTokenizer{vocab: vocab{tokens: append([]string(nil), tokens...)}}
	for id, w := range tokens[NumSpecial:] {
		if wordChunk(w) != len(w) {
			return nil, errors.Errorf("word token %d %q is not a single word", id+NumSpecial, w)
		}
	}
	t.ids = t.indexOf()
	return t, nil
}

// Kind returns "word".
func (t *WordTokenizer) Kind() string { return "word" }

// Encode returns the ids of text's words (see WordTokenizer for words
// outside the vocabulary).
func (t *WordTokenizer) Encode(text string) []int {
	ids := make([]int, 0, len(text)/4+1)
	forEachChunk(text, wordChunk, func(w string) {
		if id, ok := t.ids[w]; ok {
			ids = append(ids, id)
			return
		}
		if len(w) > 1 && w[0] == ' ' {
			ids = append(ids, t.idOr(" "))
			w = w[1:]
		}
		ids = append(ids, t.idOr(w))
	})
	return ids
}

// idOr returns the id of w, or UnkID when w is outside the vocabulary.
func (t *WordTokenizer) idOr(w string) int {
	if id, ok := t.ids[w]; ok {
		return id
	}
	return UnkID
}

// Save writes the tokenizer as JSON.
func (t *WordTokenizer) Save(w io.Writer) error {
	return writeTokenizerFile(w, tokenizerFile{Kind: t.Kind(), Tokens: t.tokens})
}

// chunk cuts text for streaming at word boundaries.
func (t *WordTokenizer) chunk(s string) int { return wordChunk(s) }
