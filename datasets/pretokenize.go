package datasets

import (
	"unicode"
	"unicode/utf8"
)

// maxChunkRunes caps the length of a pre-tokenizer chunk, so that a run of
// letters without spaces (a hostile or binary-looking file) cannot make BPE
// encoding quadratic, and streaming never has to hold back more than a few
// hundred bytes.
const maxChunkRunes = 64

// A chunker returns the byte length of the first chunk of s (len(s) > 0).
// Chunks are decided from the left: every chunk but the last of a text is
// final whatever follows it, which lets Corpus.Encode stream a file in blocks
// and still produce exactly the ids of encoding it whole.
type chunker func(s string) int

// forEachChunk calls fn with the chunks of s in order; their concatenation
// is s.
func forEachChunk(s string, next chunker, fn func(chunk string)) {
	for len(s) > 0 {
		n := next(s)
		fn(s[:n])
		s = s[n:]
	}
}

// lastChunkStart returns the byte offset of the last chunk of s (0 when s is
// empty or one chunk).
func lastChunkStart(s string, next chunker) int {
	start := 0
	for off := 0; off < len(s); {
		start = off
		off += next(s[off:])
	}
	return start
}

// runeClass is the class of a rune used to cut text into chunks.
type runeClass int

const (
	classAlnum     runeClass = iota // letters, combining marks and digits
	classIdeograph                  // Han, Hiragana, Katakana: scripts written without spaces
	classSpace                      // white space
	classOther                      // punctuation, symbols, and invalid UTF-8 bytes
)

// decodeRune decodes the first rune of s; ok is false for an invalid byte
// (which then counts as one byte of classOther and encodes as UnkID).
func decodeRune(s string) (r rune, size int, ok bool) {
	r, size = utf8.DecodeRuneInString(s)
	return r, size, !(r == utf8.RuneError && size == 1)
}

func classOf(r rune, ok bool) runeClass {
	switch {
	case !ok:
		return classOther
	case unicode.IsSpace(r):
		return classSpace
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana):
		return classIdeograph
	case unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r):
		return classAlnum
	}
	return classOther
}

// runLength returns the byte length of the longest prefix of s, at most
// maxRunes runes, whose runes all satisfy same.
func runLength(s string, maxRunes int, same func(runeClass) bool) int {
	n := 0
	for i := 0; i < maxRunes && n < len(s); i++ {
		r, size, ok := decodeRune(s[n:])
		if !same(classOf(r, ok)) {
			break
		}
		n += size
	}
	return n
}

// wordChunk cuts words for WordTokenizer in the manner of GPT-2's
// pre-tokenizer (Radford et al. 2019): a run of letters and digits, or one
// single other rune (punctuation, a Han character), with the single space
// before it ("␣word"); white space not followed by a word is a run of its
// own, leaving its last space to the word that follows. A context of n
// tokens so holds about n words of running text, not n/2 words and n/2
// spaces.
func wordChunk(s string) int {
	return spaceLed(s, func(s string, maxRunes int) int {
		r, size, ok := decodeRune(s)
		if classOf(r, ok) == classAlnum {
			return runLength(s, maxRunes, func(k runeClass) bool { return k == classAlnum })
		}
		return size
	})
}

// bpeChunk cuts chunks for BPE, in the manner of GPT-2's pre-tokenizer
// (Radford et al. 2019): an optional single leading space followed by a run
// of letters (ideographs included), of digits-and-letters, or of other
// symbols; or a run of white space, leaving its last space to the word that
// follows. Merges never cross chunks.
func bpeChunk(s string) int {
	return spaceLed(s, func(s string, maxRunes int) int {
		r, _, ok := decodeRune(s)
		c := bpeClass(classOf(r, ok))
		return runLength(s, maxRunes, func(k runeClass) bool { return bpeClass(k) == c })
	})
}

// spaceLed cuts the first chunk of s: piece(s, maxRunes), the length of a
// chunk of at most maxRunes runes that does not begin with white space,
// preceded by one space when s begins with a single space; or a run of white
// space, whose last space goes with the piece that follows it.
func spaceLed(s string, piece func(s string, maxRunes int) int) int {
	r, size, ok := decodeRune(s)
	if classOf(r, ok) != classSpace {
		return piece(s, maxChunkRunes)
	}
	if r == ' ' && size < len(s) {
		if r2, _, ok2 := decodeRune(s[size:]); classOf(r2, ok2) != classSpace {
			return size + piece(s[size:], maxChunkRunes-1)
		}
	}
	n := runLength(s, maxChunkRunes, func(k runeClass) bool { return k == classSpace })
	if n < len(s) && n > 1 && s[n-1] == ' ' {
		if r2, _, ok2 := decodeRune(s[n:]); classOf(r2, ok2) != classSpace {
			n-- // the last space goes with the next word
		}
	}
	return n
}

// bpeClass merges ideographs into letters: BPE learns multi-character Chinese
// words, where WordTokenizer keeps one character per token.
func bpeClass(c runeClass) runeClass {
	if c == classIdeograph {
		return classAlnum
	}
	return c
}
