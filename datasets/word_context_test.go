package datasets

import (
	"os"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/internal/shareddata"
)

// TestWordTokensPerWord checks on tiny Shakespeare that the word tokenizer
// spends about one token per word of running text (a space belongs to the
// word after it), not two (a word and a space token), and that the text
// round-trips exactly.
func TestWordTokensPerWord(t *testing.T) {
	data, err := os.ReadFile(shareddata.Path(t, "tinyshakespeare.txt"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	tok, err := NewWordTokenizer(text, WordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := tok.Encode(text)
	back, err := tok.Decode(ids)
	if err != nil || back != text {
		t.Fatalf("Decode(Encode(tiny Shakespeare)) differs from the text (err %v)", err)
	}
	words := len(strings.Fields(text))
	ratio := float64(len(ids)) / float64(words)
	t.Logf("%d tokens for %d white-space separated words (%.3f per word), vocabulary %d", len(ids), words, ratio, tok.VocabSize())
	// Punctuation and line breaks are tokens of their own, so the ratio is
	// above 1; a space token between every two words would put it above 2.
	if ratio > 1.6 {
		t.Errorf("%.3f tokens per word; want at most 1.6", ratio)
	}
}
