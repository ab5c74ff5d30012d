package datasets

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets. Their seed corpora run with every `go test`; CI runs each for
// a short fixed time, e.g.
//
//	go test ./datasets/ -run '^$' -fuzz '^FuzzBPETokenizer$' -fuzztime 30s

var textSeeds = []string{
	"", " ", "a", "hello world", mixedScripts, "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。",
	"  leading and trailing  ", "\xff\xfe invalid \xc3", "x\u0301\u0302", "a\tb\r\nc", strings.Repeat("ab", 100),
	strings.Repeat(" ", 70) + "x", "<pad><bos>", "\uFFFD real replacement char",
}

// checkTokenizer checks the properties every tokenizer must have on any
// input: ids in range, exact round trip on covered text, and chunk stability
// (encoding a text in two pieces cut at its last chunk gives the same ids as
// encoding it whole; this is what streaming relies on).
func checkTokenizer(t *testing.T, tok Tokenizer, text string) {
	ids := tok.Encode(text)
	for _, id := range ids {
		if id < 0 || id >= tok.VocabSize() || (IsSpecial(id) && id != UnkID) {
			t.Fatalf("%s: id %d out of range [0,%d) or special", tok.Kind(), id, tok.VocabSize())
		}
	}
	back, err := tok.Decode(ids)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ids, UnkID) && back != text {
		t.Fatalf("%s: Decode(Encode(%q)) = %q", tok.Kind(), text, back)
	}
	if ct, ok := tok.(interface{ chunk(string) int }); ok && utf8.ValidString(text) {
		cut := lastChunkStart(text, ct.chunk)
		if joined := append(tok.Encode(text[:cut]), tok.Encode(text[cut:])...); !slices.Equal(joined, ids) {
			t.Fatalf("%s: encoding %q cut at %d differs from encoding it whole", tok.Kind(), text, cut)
		}
	}
}

func FuzzCharTokenizer(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s)
	}
	fixed := NewCharTokenizer(mixedScripts)
	f.Fuzz(func(t *testing.T, text string) {
		tok := NewCharTokenizer(text)
		if utf8.ValidString(text) && slices.Contains(tok.Encode(text), UnkID) {
			t.Fatalf("valid text %q not covered by its own tokenizer", text)
		}
		checkTokenizer(t, tok, text)
		checkTokenizer(t, fixed, text)
	})
}

func FuzzWordTokenizer(f *testing.F) {
	for i, s := range textSeeds {
		f.Add(s, uint8(i%3))
	}
	fixed, _ := NewWordTokenizer(mixedScripts, WordOptions{})
	f.Fuzz(func(t *testing.T, text string, minFreq uint8) {
		tok, err := NewWordTokenizer(text, WordOptions{MinFreq: int(minFreq % 4)})
		if err != nil {
			t.Fatal(err)
		}
		if minFreq%4 <= 1 && utf8.ValidString(text) && slices.Contains(tok.Encode(text), UnkID) {
			t.Fatalf("valid text %q not covered by its own tokenizer", text)
		}
		checkTokenizer(t, tok, text)
		checkTokenizer(t, fixed, text)
	})
}

func FuzzBPETokenizer(f *testing.F) {
	for i, s := range textSeeds {
		f.Add(s, uint8(10*i))
	}
	f.Fuzz(func(t *testing.T, text string, merges uint8) {
		tok, err := TrainBPE(text, int(merges%64))
		if err != nil {
			t.Fatal(err)
		}
		if utf8.ValidString(text) && slices.Contains(tok.Encode(text), UnkID) {
			t.Fatalf("valid text %q not covered by its own tokenizer", text)
		}
		checkTokenizer(t, tok, text)
		var buf bytes.Buffer
		if err := tok.Save(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ReadTokenizer(&buf, "fuzz.json")
		if err != nil {
			t.Fatalf("a saved tokenizer does not load: %v", err)
		}
		if !slices.Equal(back.Encode(text), tok.Encode(text)) {
			t.Fatal("encodings differ after save/load")
		}
	})
}

func FuzzReadTokenizer(f *testing.F) {
	for _, s := range textSeeds[:5] {
		for _, build := range []func(string) (Tokenizer, error){
			func(s string) (Tokenizer, error) { return NewCharTokenizer(s), nil },
			func(s string) (Tokenizer, error) { return NewWordTokenizer(s, WordOptions{}) },
			func(s string) (Tokenizer, error) { return TrainBPE(s, 20) },
		} {
			tok, _ := build(s)
			var buf bytes.Buffer
			tok.Save(&buf)
			f.Add(buf.Bytes())
		}
	}
	f.Add([]byte(`{"format": "gorgonet-tokenizer", "version": 1, "kind": "bpe", "tokens": ["<pad>","<bos>","<eos>","<unk>","a","aa"], "merges": [[4,4]]}`))
	f.Add([]byte(`{"format": "gorgonet-tokenizer"`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := ReadTokenizer(bytes.NewReader(data), "fuzz.json")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for _, s := range textSeeds {
			checkTokenizer(t, tok, s)
		}
		checkTokenizer(t, tok, strings.Join(tok.Tokens()[NumSpecial:], ""))
		var buf bytes.Buffer
		if err := tok.Save(&buf); err != nil {
			t.Fatal(err)
		}
		back, err := ReadTokenizer(&buf, "again.json")
		if err != nil || !slices.Equal(back.Tokens(), tok.Tokens()) {
			t.Fatalf("save/load of a loaded tokenizer: %v", err)
		}
	})
}

// fuzzVectors checks a vectors reader on arbitrary bytes: no panic, an error
// naming the file, or a consistent table that writes and reads back equal.
func fuzzVectors(t *testing.T, data []byte, format VectorFormat) {
	v, err := DecodeVectors(bytes.NewReader(data), "fuzz.vec", int64(len(data)), format)
	if err != nil {
		if !strings.Contains(err.Error(), "fuzz.vec") {
			t.Fatalf("error %q does not name the file", err)
		}
		return
	}
	if v.Dim < 1 || len(v.Values) != len(v.Words)*v.Dim || len(v.Words) == 0 {
		t.Fatalf("inconsistent table: %d words, dim %d, %d values", len(v.Words), v.Dim, len(v.Values))
	}
	for _, x := range v.Values {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Fatal("non-finite value accepted")
		}
	}
	var buf bytes.Buffer
	if v.Write(&buf, format) != nil {
		return // a word with white space inside: cannot be written
	}
	back, err := DecodeVectors(&buf, "again.vec", int64(buf.Len()), format)
	if err != nil {
		t.Fatalf("written vectors do not read back: %v", err)
	}
	if !slices.Equal(back.Words, v.Words) || !slices.Equal(back.Values, v.Values) {
		t.Fatal("vectors differ after write and read")
	}
}

var vectorTextSeeds = []string{
	"2 3\nthe 0.1 -0.2 3e-5\ncat 1 2 3\n", "1 2\r\nα 1 2\r\n", "3 2\na 1 2\nb 1 2 3\n", "1000000000000 300\nx 1\n",
	"0 0\n", "1 1\nw NaN\n", "1 1\n\n\nw 1\n", "a\xff 1\n", "",
}

func FuzzWord2VecText(f *testing.F) {
	for _, s := range vectorTextSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { fuzzVectors(t, data, Word2VecText) })
}

func FuzzGloVe(f *testing.F) {
	for _, s := range vectorTextSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte("the 0.1 0.2\nof 0.3 0.4\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzVectors(t, data, GloVeText) })
}

func FuzzWord2VecBinary(f *testing.F) {
	var good bytes.Buffer
	good.WriteString("2 2\nthe ")
	binary.Write(&good, binary.LittleEndian, []float32{0.5, -1})
	good.WriteString("\n世界 ")
	binary.Write(&good, binary.LittleEndian, []float32{1e-3, 7})
	f.Add(good.Bytes())
	f.Add(good.Bytes()[:good.Len()-3])
	f.Add([]byte("1000000000000 300\nxx"))
	f.Add([]byte("1 1\n\xff \x00\x00\xc0\x7f"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzVectors(t, data, Word2VecBinary) })
}

func FuzzReadPairs(f *testing.F) {
	for _, s := range []string{"a\tb\n", "a\tb\r\nc\td", "no tab\n", "a\tb\tc\n", "\uFEFFx\ty\n\n", "\xff\tx\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pairs, err := DecodePairs(bytes.NewReader(data), "fuzz.tsv")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.tsv") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for _, p := range pairs {
			if strings.ContainsAny(p.Source+p.Target, "\t\n") || !utf8.ValidString(p.Source+p.Target) {
				t.Fatalf("bad pair %q", p)
			}
		}
	})
}
