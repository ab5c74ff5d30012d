package datasets

import (
	"slices"
	"testing"
)

// gpt2Chunks returns the chunks of s under GPT-2's pattern.
func gpt2Chunks(s string) []string {
	var out []string
	forEachChunk(s, gpt2Chunk, func(c string) { out = append(out, c) })
	return out
}

// TestGPT2Chunk checks the hand-written scanner against what GPT-2's pattern
// matches (each row as JavaScript's String.matchAll with the pattern of
// gpt-3-encoder gives it).
func TestGPT2Chunk(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Hello world", []string{"Hello", " world"}},
		{"  hello", []string{" ", " hello"}},
		{"a  b", []string{"a", " ", " b"}},
		{"a\n\nb", []string{"a", "\n", "\n", "b"}},
		{"a \n b", []string{"a", " \n", " b"}},
		{"don't", []string{"don", "'t"}},
		{"'tis", []string{"'t", "is"}},
		{"'re'", []string{"'re", "'"}},
		{"!!'s", []string{"!!'", "s"}},
		{"x'LL", []string{"x", "'", "LL"}}, // contractions are case-sensitive
		{" 123abc", []string{" 123", "abc"}},
		{"  \t x", []string{"  \t", " x"}},
		{"end  ", []string{"end", "  "}},
		{" ", []string{" "}},
		{"\n", []string{"\n"}},
		{"a\t\tb", []string{"a", "\t", "\t", "b"}},
		{" !x", []string{" !", "x"}},
		{"héllo wörld", []string{"héllo", " wörld"}},
		{"ab12", []string{"ab", "12"}},
		{"a1b", []string{"a", "1", "b"}},
		{"3.14", []string{"3", ".", "14"}},
		{"\u00a0x", []string{"\u00a0", "x"}}, // only U+0020 joins the next word
		{"\u3000中文", []string{"\u3000", "中文"}},
		{"🙂 🙂", []string{"🙂", " 🙂"}},
		{"a\u0301b", []string{"a", "\u0301", "b"}}, // a combining mark is not \p{L}
		{" \u0301", []string{" \u0301"}},
		{"x\r\ny", []string{"x", "\r", "\n", "y"}},
		{"' s", []string{"'", " s"}},
		{"\x00\x01 a", []string{"\x00\x01", " a"}},
		{"ab\xffcd", []string{"ab", "\xff", "cd"}},   // an invalid byte is [^\s\p{L}\p{N}]
		{" \xff\xfe!x", []string{" \xff\xfe!", "x"}}, // …and joins the symbols around it
		{"a\u0085b", []string{"a", "\u0085", "b"}},   // NEL is White_Space
		{"a \u0085\u0085 b", []string{"a", " \u0085\u0085", " b"}},
	}
	for _, tc := range tests {
		if got := gpt2Chunks(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("%q: chunks %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestGPT2StreamCut checks that encoding a text cut at every prefix's
// stream cut, the rest after it, gives the chunks of the whole text.
func TestGPT2StreamCut(t *testing.T) {
	text := "It's   here;\n\n they'll  go 'r 're'\t\n\n  x 123 4.5 ''' we've\xff  a\n\nb x \ny p  q\t\tr "
	whole := gpt2Chunks(text)
	for end := 0; end <= len(text); end++ {
		cut := gpt2StreamCut(text[:end])
		if cut > end {
			t.Fatalf("prefix %q: cut %d past its end", text[:end], cut)
		}
		got := append(gpt2Chunks(text[:cut]), gpt2Chunks(text[cut:])...)
		if !slices.Equal(got, whole) {
			t.Fatalf("prefix %q cut at %d (%q | %q): chunks %q, want %q", text[:end], cut, text[:cut], text[cut:end], got, whole)
		}
	}
	// "ab'r" may become "ab're": the apostrophe's chunk stays pending.
	if c := gpt2StreamCut("ab'r"); c != 2 {
		t.Errorf("stream cut of \"ab'r\" = %d, want 2", c)
	}
}
