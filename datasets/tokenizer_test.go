package datasets

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// mixedScripts covers Latin with accents (precomposed and combining), Greek,
// Cyrillic, Arabic, Hebrew, Devanagari, CJK, Hangul, emoji, tabs, CRLF and
// runs of spaces.
const mixedScripts = "Hello, world!  Ça va? naïve cafe\u0301\r\n" +
	"Ελληνικά — Русский текст; العربية עברית हिन्दी\n" +
	"中文字符：你好，世界。日本語のかなカナ 한국어 🙂👍🏽\t tab\n\n" +
	"numbers 3.14159 and 1,000,000; x²+y²=z² ∑∫ ≤ ≥ <pad> <unk>\n"

// buildAll returns the three tokenizers built on text.
func buildAll(t *testing.T, text string, merges int) []Tokenizer {
	t.Helper()
	word, err := NewWordTokenizer(text, WordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bpe, err := TrainBPE(text, merges)
	if err != nil {
		t.Fatal(err)
	}
	return []Tokenizer{NewCharTokenizer(text), word, bpe}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		text   func(t *testing.T) string
		merges int
	}{
		{"mixed scripts", func(*testing.T) string { return mixedScripts }, 100},
		{"tang300 Chinese", func(t *testing.T) string { return readShared(t, "tang300.txt") }, 500},
		{"tiny shakespeare head", func(t *testing.T) string { return readShared(t, "tinyshakespeare.txt")[:100000] }, 300},
		{"single rune", func(*testing.T) string { return "字" }, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.text(t)
			for _, tok := range buildAll(t, text, tc.merges) {
				ids := tok.Encode(text)
				for i, id := range ids {
					if id < NumSpecial || id >= tok.VocabSize() {
						t.Fatalf("%s: id %d at %d outside the ordinary range [%d, %d)", tok.Kind(), id, i, NumSpecial, tok.VocabSize())
					}
				}
				got, err := tok.Decode(ids)
				if err != nil {
					t.Fatal(err)
				}
				if got != text {
					t.Errorf("%s: Decode(Encode(x)) != x (%d ids)", tok.Kind(), len(ids))
				}
				if tok.Encode("") == nil || len(tok.Encode("")) != 0 {
					t.Errorf("%s: Encode(\"\") = %v, want empty", tok.Kind(), tok.Encode(""))
				}
			}
		})
	}
}

func TestCharTokenizerChinese(t *testing.T) {
	text := readShared(t, "tang300.txt")
	tok := NewCharTokenizer(text)
	distinct := map[rune]bool{}
	for _, r := range text {
		distinct[r] = true
	}
	if tok.VocabSize() != NumSpecial+len(distinct) {
		t.Fatalf("vocabulary %d, want %d specials + %d distinct runes", tok.VocabSize(), NumSpecial, len(distinct))
	}
	if n := len(tok.Encode(text)); n != utf8.RuneCountInString(text) {
		t.Errorf("%d ids for %d runes", n, utf8.RuneCountInString(text))
	}
	t.Logf("tang300: %d runes, vocabulary %d", utf8.RuneCountInString(text), tok.VocabSize())
}

func TestUnknownAndSpecial(t *testing.T) {
	for _, tok := range buildAll(t, "ab ab ab", 5) {
		ids := tok.Encode("ab\xffz")
		got, err := tok.Decode(ids)
		if err != nil {
			t.Fatal(err)
		}
		// 'z' and the invalid byte are unknown to every tokenizer.
		if !strings.HasPrefix(got, "ab") || strings.Count(got, UnknownText) < 1 || strings.Contains(got, "z") {
			t.Errorf("%s: Decode(Encode(\"ab\\xffz\")) = %q, want ab then U+FFFD", tok.Kind(), got)
		}
		got, err = tok.Decode([]int{BOSID, PadID, UnkID, EOSID})
		if err != nil || got != UnknownText {
			t.Errorf("%s: Decode(specials) = %q, %v; want only %q", tok.Kind(), got, err, UnknownText)
		}
		for _, bad := range []int{-1, tok.VocabSize()} {
			if _, err := tok.Decode([]int{NumSpecial, bad}); err == nil || !strings.Contains(err.Error(), "position 1") {
				t.Errorf("%s: Decode of id %d: error %v, want one naming position 1", tok.Kind(), bad, err)
			}
		}
		if toks := tok.Tokens(); toks[PadID] != PadToken || toks[BOSID] != BOSToken || toks[EOSID] != EOSToken || toks[UnkID] != UnkToken {
			t.Errorf("%s: special tokens %q", tok.Kind(), toks[:NumSpecial])
		}
	}
}

func TestWordTokenizerCutoff(t *testing.T) {
	text := "the cat and the dog and the bird"
	tests := []struct {
		opts WordOptions
		want []string // ordinary tokens
	}{
		// Words carry the space before them; the first "the" has none.
		// " " counts once per space-led word (its fallback).
		{WordOptions{}, []string{" ", " and", " the", " bird", " cat", " dog", "the"}},
		{WordOptions{MinFreq: 2}, []string{" ", " and", " the"}},
		{WordOptions{MaxSize: NumSpecial + 2}, []string{" ", " and"}},
	}
	for _, tc := range tests {
		tok, err := NewWordTokenizer(text, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.Tokens()[NumSpecial:]; strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%+v: tokens %q, want %q", tc.opts, got, tc.want)
		}
	}
	tok, _ := NewWordTokenizer(text, WordOptions{MinFreq: 2})
	got, _ := tok.Decode(tok.Encode("the cat and the dog"))
	if want := "\uFFFD \uFFFD and the \uFFFD"; got != want { // rare " cat" → " " + <unk>
		t.Errorf("rare words: %q, want %q", got, want)
	}
	for _, bad := range []WordOptions{{MinFreq: -1}, {MaxSize: NumSpecial}, {MaxSize: -3}} {
		if _, err := NewWordTokenizer(text, bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	for _, tok := range buildAll(t, mixedScripts, 60) {
		var buf bytes.Buffer
		if err := tok.Save(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ReadTokenizer(bytes.NewReader(buf.Bytes()), "mem.json")
		if err != nil {
			t.Fatalf("%s: %v\n%s", tok.Kind(), err, buf.String())
		}
		if back.Kind() != tok.Kind() || strings.Join(back.Tokens(), "\x00") != strings.Join(tok.Tokens(), "\x00") {
			t.Errorf("%s: tokens differ after save/load", tok.Kind())
		}
		probe := mixedScripts + " unseen ☃ text"
		if a, b := tok.Encode(probe), back.Encode(probe); !slices.Equal(a, b) {
			t.Errorf("%s: encodings differ after save/load", tok.Kind())
		}
	}
	path := t.TempDir() + "/tok.json"
	tok, _ := TrainBPE("low lower lowest newer newest", 10)
	if err := SaveTokenizer(path, tok); err != nil {
		t.Fatal(err)
	}
	back, err := LoadTokenizer(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.(*BPETokenizer).NumMerges() != tok.NumMerges() || tok.NumMerges() == 0 {
		t.Errorf("merges %d after load, %d before", back.(*BPETokenizer).NumMerges(), tok.NumMerges())
	}
}

func TestReadTokenizerErrors(t *testing.T) {
	head := `{"format": "gorgonet-tokenizer", "version": 1, `
	specials := `"<pad>", "<bos>", "<eos>", "<unk>"`
	tests := []struct {
		name, file, want string
	}{
		{"plain text", "hello world", "not a gorgonet tokenizer"},
		{"hugging face", `{"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0}}}`, "not a gorgonet tokenizer"},
		{"vocab.txt", "<pad>\n<bos>\n", "not a gorgonet tokenizer"},
		{"json array", `["<pad>"]`, "not a gorgonet tokenizer"},
		{"syntax error", head + "\n\n\"kind\": \"char\",, }", "line 3"},
		{"unknown field", head + `"kind": "char", "tokens": [` + specials + `], "extra": 1}`, "unknown field"},
		{"version", `{"format": "gorgonet-tokenizer", "version": 9, "kind": "char", "tokens": [` + specials + `]}`, "version 9"},
		{"kind", head + `"kind": "sentencepiece", "tokens": [` + specials + `]}`, "unknown tokenizer kind"},
		{"no specials", head + `"kind": "char", "tokens": ["a", "b", "c", "d"]}`, "special token"},
		{"short", head + `"kind": "char", "tokens": ["<pad>"]}`, "fewer than"},
		{"duplicate", head + `"kind": "char", "tokens": [` + specials + `, "a", "a"]}`, "repeats token 4"},
		{"empty token", head + `"kind": "word", "tokens": [` + specials + `, ""]}`, "empty"},
		{"char not rune", head + `"kind": "char", "tokens": [` + specials + `, "ab"]}`, "not a single rune"},
		{"word not word", head + `"kind": "word", "tokens": [` + specials + `, "a b"]}`, "not a single word"},
		{"merges on char", head + `"kind": "char", "tokens": [` + specials + `, "a"], "merges": [[4, 4]]}`, "no merges"},
		{"merge out of range", head + `"kind": "bpe", "tokens": [` + specials + `, "a", "aa"], "merges": [[4, 9]]}`, "outside"},
		{"merge wrong token", head + `"kind": "bpe", "tokens": [` + specials + `, "a", "b", "ba"], "merges": [[4, 5]]}`, "not \"a\"+\"b\""},
		{"merge repeated", head + `"kind": "bpe", "tokens": [` + specials + `, "a", "aa", "aaa"], "merges": [[4, 4], [4, 4]]}`, "not \"a\"+\"a\""},
		{"too many merges", head + `"kind": "bpe", "tokens": [` + specials + `], "merges": [[4, 4]]}`, "merges but only"},
		{"field written twice", head + `"kind": "char", "tokens": [` + specials + `],` + "\n" + `"kind": "word"}`, `line 2: key "kind" appears twice`},
		{"merge of three ids", head + `"kind": "bpe", "tokens": [` + specials + `, "a", "aa"], "merges": [[4, 4, 4]]}`, "merge 0 holds 3 ids [4 4 4]; a merge joins exactly two"},
		{"merge of one id", head + `"kind": "bpe", "tokens": [` + specials + `, "a", "aa"], "merges": [[4]]}`, "merge 0 holds 1 ids"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadTokenizer(strings.NewReader(tc.file), "vocab.json")
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "vocab.json") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want one naming vocab.json and saying %q", err, tc.want)
			}
		})
	}
	if _, err := LoadTokenizer(t.TempDir() + "/missing.json"); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := LoadTokenizer("/dev/zero"); err == nil || !strings.Contains(err.Error(), "/dev/zero is a character device, not a regular file") {
		t.Errorf("LoadTokenizer(/dev/zero): %v, want a not-a-regular-file error", err)
	}
}
