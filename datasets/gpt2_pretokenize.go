package datasets

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// gpt2Contractions are the suffixes GPT-2's pattern matches after an
// apostrophe, in the pattern's order.
var gpt2Contractions = [...]string{"s", "t", "re", "ve", "m", "ll", "d"}

// gpt2Class is the class of a rune in GPT-2's pre-tokenization pattern.
type gpt2Class int

const (
	gpt2Letter gpt2Class = iota // \p{L}
	gpt2Number                  // \p{N}
	gpt2Space                   // \s
	gpt2Other                   // [^\s\p{L}\p{N}], and every byte of invalid UTF-8
)

// gpt2ClassOf classifies a rune (ok false: an invalid UTF-8 byte). \s is
// Unicode's White_Space property (unicode.IsSpace), as in Python's regex
// module and tiktoken; JavaScript's \s differs on U+0085 (not space) and
// U+FEFF (space).
func gpt2ClassOf(r rune, ok bool) gpt2Class {
	switch {
	case !ok:
		return gpt2Other
	case unicode.IsLetter(r):
		return gpt2Letter
	case unicode.IsNumber(r):
		return gpt2Number
	case unicode.IsSpace(r):
		return gpt2Space
	}
	return gpt2Other
}

// gpt2Run returns the byte length of the longest prefix of s whose runes
// are all of class c.
func gpt2Run(s string, c gpt2Class) int {
	n := 0
	for n < len(s) {
		r, size, ok := decodeRune(s[n:])
		if gpt2ClassOf(r, ok) != c {
			break
		}
		n += size
	}
	return n
}

// gpt2Chunk returns the byte length of the first chunk of s (len(s) > 0)
// under GPT-2's pre-tokenization pattern (Radford et al. 2019, the encoder
// of github.com/openai/gpt-2):
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// Go's regexp has no lookahead, so this scanner tries the alternatives in
// the pattern's order by hand. \s+(?!\S) takes a run of white space but its
// last rune when a non-space follows (that rune, if a plain space, then
// starts the next word), and the whole run at the end of s; a run of one
// rune before a non-space is matched by the final \s+. An invalid UTF-8
// byte is one rune of [^\s\p{L}\p{N}] (Python and JavaScript strings cannot
// hold one; here it stays a byte of its own and round-trips exactly).
func gpt2Chunk(s string) int {
	if s[0] == '\'' {
		for _, c := range gpt2Contractions {
			if strings.HasPrefix(s[1:], c) {
				return 1 + len(c)
			}
		}
	}
	if s[0] == ' ' && len(s) > 1 {
		r, _, ok := decodeRune(s[1:])
		if c := gpt2ClassOf(r, ok); c != gpt2Space {
			return 1 + gpt2Run(s[1:], c)
		}
	}
	r, size, ok := decodeRune(s)
	c := gpt2ClassOf(r, ok)
	n := gpt2Run(s, c)
	if c != gpt2Space || n == len(s) || n == size {
		return n
	}
	_, last := utf8.DecodeLastRuneInString(s[:n]) // white space is valid UTF-8
	return n - last
}

// gpt2StreamCut returns the length of the longest prefix of s that encodes
// alone into the chunks it has within s whatever text follows s: it ends at
// the start of a chunk (not the last one) that follows a chunk ending in a
// non-space rune (a run of white space at the end of a text is one chunk,
// within a text its last rune may go with what follows) and not an
// apostrophe in the last three bytes (more text could make it 're, 've or
// 'll). It returns 0 when no such start lies among the last few chunks.
func gpt2StreamCut(s string) int {
	type chunkEnd struct {
		start int
		space bool // the chunk ends in white space
	}
	const keep = 8
	var last [keep]chunkEnd
	n := 0
	for off := 0; off < len(s); n++ {
		size := gpt2Chunk(s[off:])
		r, _ := utf8.DecodeLastRuneInString(s[off : off+size])
		last[n%keep] = chunkEnd{start: off, space: unicode.IsSpace(r)}
		off += size
	}
	for k := n - 1; k >= 1 && k > n-keep; k-- {
		prev := last[(k-1)%keep]
		if !prev.space && !(s[prev.start] == '\'' && prev.start > len(s)-4) {
			return last[k%keep].start
		}
	}
	return 0
}
