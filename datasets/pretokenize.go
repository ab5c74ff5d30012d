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

// wordChunk cuts words for WordTokenizer: a run of letters and digits, a run
// of white space, or one single other rune (punctuation, a Han character).
func wordChunk(s string) int {
	r, size, ok := decodeRune(s)
	switch c := classOf(r, ok); c {
	case classAlnum, classSpace:
		return runLength(s, maxChunkRunes, func(k runeClass) bool { return k == c })
	}
	return size
}

// bpeChunk cuts chunks for BPE, in the manner of GPT-2's pre-tokenizer
// (Radford et al. 2019): an optional single leading space followed by a run
// of letters (ideographs included), of digits-and-letters, or of other
// symbols; or a run of white space, leaving its last space to the word that
// follows. Merges never cross chunks.
func bpeChunk(s string) int {
	r, size, ok := decodeRune(s)
	c := bpeClass(classOf(r, ok))
	if c == classSpace {
		if r == ' ' && size < len(s) {
			r2, _, ok2 := decodeRune(s[size:])
			if c2 := bpeClass(classOf(r2, ok2)); c2 != classSpace {
				return size + runLength(s[size:], maxChunkRunes-1, func(k runeClass) bool { return bpeClass(k) == c2 })
			}
		}
		n := runLength(s, maxChunkRunes, func(k runeClass) bool { return k == classSpace })
		if n < len(s) && n > 1 && s[n-1] == ' ' {
			r2, _, ok2 := decodeRune(s[n:])
			if classOf(r2, ok2) != classSpace {
				n-- // the last space goes with the next word
			}
		}
		return n
	}
	return runLength(s, maxChunkRunes, func(k runeClass) bool { return bpeClass(k) == c })
}

// bpeClass merges ideographs into letters: BPE learns multi-character Chinese
// words, where WordTokenizer keeps one character per token.
func bpeClass(c runeClass) runeClass {
	if c == classIdeograph {
		return classAlnum
	}
	return c
}
