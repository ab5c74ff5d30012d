package datasets

import (
	"io"
	"strings"
	"sync"

	"github.com/pkg/errors"
)

// EndOfTextToken is GPT-2's special token, which separates documents.
const EndOfTextToken = "<|endoftext|>"

// gpt2CacheSize bounds the number of chunks whose ids GPT2Tokenizer caches
// (the cache is emptied when full), and gpt2CacheChunk the length of a
// cached chunk in bytes.
const (
	gpt2CacheSize  = 1 << 16
	gpt2CacheChunk = 64
)

// GPT2Tokenizer is GPT-2's byte-level byte-pair encoding (Radford et al.
// 2019, "Language Models are Unsupervised Multitask Learners", §2.2), read
// from OpenAI's encoder.json and vocab.bpe or Hugging Face's vocab.json and
// merges.txt (LoadGPT2Tokenizer). Text is cut by GPT-2's pre-tokenization
// pattern (gpt2Chunk), each chunk's UTF-8 bytes start as one symbol per
// byte, and merges apply lowest rank first within a chunk. Every byte
// sequence encodes, invalid UTF-8 included, and Decode(Encode(x)) == x
// exactly.
//
// Unlike the tokenizers trained by this package it keeps GPT-2's ids: there
// are no <pad>, <bos>, <eos> or <unk> tokens (ids 0–3 are "!", "\"", "#",
// "$"), and EndOfText is the id of <|endoftext|> (50256 in GPT-2). Encode
// reads "<|endoftext|>" in the text as plain text, as GPT-2's own encoder
// does; EncodeSpecial reads it as the special token. It is safe for
// concurrent use.
type GPT2Tokenizer struct {
	texts   []string         // printable token texts, by id (the vocabulary file's keys)
	raw     []string         // the bytes of each token
	byteID  [256]int         // the id of each single byte
	ranks   map[uint64]int32 // (left, right) pair → merge rank
	merged  []int            // merged[rank]: the id the merge makes
	merges  [][2]int         // the merges, by rank
	special map[string]int   // tokens made neither of one byte nor by a merge
	eot     int              // id of <|endoftext|>
	mu      sync.Mutex       // guards cache
	cache   map[string][]int // chunk → ids
}

// newGPT2Tokenizer builds the tokenizer from the printable token texts in id
// order and the merges, by rank, as pairs of ids. Every byte must have a
// token, every merge must join two tokens that exist before it (single bytes
// or tokens of earlier merges) into the token whose text is theirs joined,
// and the vocabulary must hold <|endoftext|>.
func newGPT2Tokenizer(texts []string, merges [][2]int) (*GPT2Tokenizer, error) {
	t := &GPT2Tokenizer{
		texts:   append([]string(nil), texts...),
		raw:     make([]string, len(texts)),
		ranks:   make(map[uint64]int32, len(merges)),
		merged:  make([]int, len(merges)),
		merges:  append([][2]int(nil), merges...),
		special: map[string]int{},
		eot:     -1,
		cache:   map[string][]int{},
	}
	byID := make(map[string]int, len(texts))
	for i := range t.byteID {
		t.byteID[i] = -1
	}
	for id, text := range texts {
		if prev, dup := byID[text]; dup {
			return nil, errors.Errorf("token %d %q repeats token %d", id, text, prev)
		}
		byID[text] = id
		raw, ok := gpt2TokenBytes(text)
		if !ok || raw == "" {
			return nil, errors.Errorf("token %d %q is empty or has a rune outside GPT-2's byte alphabet", id, text)
		}
		t.raw[id] = raw
		if len(raw) == 1 {
			t.byteID[raw[0]] = id
		}
	}
	for b, id := range t.byteID {
		if id < 0 {
			return nil, errors.Errorf("no token for byte 0x%02x (%q); a byte-level vocabulary needs all 256", b, string(gpt2ByteRune[b]))
		}
	}
	made := make([]bool, len(texts)) // single bytes and merge results so far
	for _, id := range t.byteID {
		made[id] = true
	}
	for rank, m := range merges {
		a, b := m[0], m[1]
		if a < 0 || b < 0 || a >= len(texts) || b >= len(texts) {
			return nil, errors.Errorf("merge %d [%d %d] refers to an id outside [0, %d)", rank, a, b, len(texts))
		}
		if !made[a] || !made[b] {
			return nil, errors.Errorf("merge %d (%q %q) uses a token that no earlier merge makes", rank, texts[a], texts[b])
		}
		id, ok := byID[texts[a]+texts[b]]
		if !ok {
			return nil, errors.Errorf("merge %d (%q %q) makes %q, which is not in the vocabulary", rank, texts[a], texts[b], texts[a]+texts[b])
		}
		key := pairKey(a, b)
		if _, dup := t.ranks[key]; dup {
			return nil, errors.Errorf("merge %d (%q %q) repeats an earlier merge", rank, texts[a], texts[b])
		}
		t.ranks[key], t.merged[rank], made[id] = int32(rank), id, true
	}
	for id, text := range texts {
		if !made[id] {
			t.special[text] = id
		}
	}
	var ok bool
	if t.eot, ok = t.special[EndOfTextToken]; !ok {
		return nil, errors.Errorf("the vocabulary has no special token %s", EndOfTextToken)
	}
	return t, nil
}

// Kind returns "gpt2".
func (t *GPT2Tokenizer) Kind() string { return "gpt2" }

// VocabSize returns the number of ids (50257 for GPT-2).
func (t *GPT2Tokenizer) VocabSize() int { return len(t.texts) }

// Tokens returns the tokens' printable texts in id order, as the vocabulary
// file writes them ("Ġthe" for " the").
func (t *GPT2Tokenizer) Tokens() []string { return append([]string(nil), t.texts...) }

// NumMerges returns the number of merges (50000 for GPT-2).
func (t *GPT2Tokenizer) NumMerges() int { return len(t.merges) }

// EndOfText returns the id of <|endoftext|>.
func (t *GPT2Tokenizer) EndOfText() int { return t.eot }

// Encode returns the ids of text, reading every byte as text.
func (t *GPT2Tokenizer) Encode(text string) []int {
	ids := make([]int, 0, len(text)/4+1)
	forEachChunk(text, gpt2Chunk, func(chunk string) {
		ids = t.encodeChunk(chunk, ids)
	})
	return ids
}

// EncodeSpecial returns the ids of text, reading each occurrence of a
// special token's text (<|endoftext|>) as that token.
func (t *GPT2Tokenizer) EncodeSpecial(text string) []int {
	var ids []int
	for {
		at, tok := -1, ""
		for s := range t.special {
			if i := strings.Index(text, s); i >= 0 && (at < 0 || i < at || (i == at && len(s) > len(tok))) {
				at, tok = i, s
			}
		}
		if at < 0 {
			return append(ids, t.Encode(text)...)
		}
		ids = append(append(ids, t.Encode(text[:at])...), t.special[tok])
		text = text[at+len(tok):]
	}
}

// Decode returns the bytes of ids' tokens concatenated (special tokens as
// their text); an id outside [0, VocabSize()) is an error.
func (t *GPT2Tokenizer) Decode(ids []int) (string, error) {
	var b strings.Builder
	for i, id := range ids {
		if id < 0 || id >= len(t.raw) {
			return "", errors.Errorf("datasets: decode: id %d at position %d is outside the vocabulary [0, %d)", id, i, len(t.raw))
		}
		b.WriteString(t.raw[id])
	}
	return b.String(), nil
}

// Save writes the tokenizer as JSON: the printable tokens in id order and
// the merges as pairs of ids.
func (t *GPT2Tokenizer) Save(w io.Writer) error {
	return writeTokenizerFile(w, tokenizerFile{Kind: t.Kind(), Tokens: t.texts, Merges: t.merges})
}

// streamCut cuts text for streaming where no later text can move a chunk
// boundary (see Corpus.EncodeTo).
func (t *GPT2Tokenizer) streamCut(s string) int { return gpt2StreamCut(s) }

// encodeChunk appends the ids of one pre-tokenizer chunk to ids, from the
// cache when it holds them.
func (t *GPT2Tokenizer) encodeChunk(chunk string, ids []int) []int {
	cacheable := len(chunk) <= gpt2CacheChunk
	if cacheable {
		t.mu.Lock()
		got, hit := t.cache[chunk]
		t.mu.Unlock()
		if hit {
			return append(ids, got...)
		}
	}
	start := len(ids)
	for i := 0; i < len(chunk); i++ {
		ids = append(ids, t.byteID[chunk[i]])
	}
	ids = append(ids[:start], t.applyMerges(ids[start:])...)
	if cacheable {
		t.mu.Lock()
		if len(t.cache) >= gpt2CacheSize {
			clear(t.cache)
		}
		t.cache[chunk] = append([]int(nil), ids[start:]...)
		t.mu.Unlock()
	}
	return ids
}
