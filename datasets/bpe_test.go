package datasets

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestBPEShakespeare trains 1,000 merges on the whole of tiny shakespeare:
// it must compress below 0.6 tokens per character and round-trip exactly.
func TestBPEShakespeare(t *testing.T) {
	text := readShared(t, "tinyshakespeare.txt")
	start := time.Now()
	tok, err := TrainBPE(text, 1000)
	if err != nil {
		t.Fatal(err)
	}
	trained := time.Since(start)
	if tok.NumMerges() != 1000 || tok.VocabSize() != NumSpecial+65+1000 {
		t.Fatalf("%d merges, vocabulary %d; want 1000 and %d", tok.NumMerges(), tok.VocabSize(), NumSpecial+65+1000)
	}
	ids := tok.Encode(text)
	ratio := float64(len(ids)) / float64(utf8.RuneCountInString(text))
	if ratio >= 0.6 {
		t.Errorf("%.4f tokens per character, want < 0.6", ratio)
	}
	back, err := tok.Decode(ids)
	if err != nil || back != text {
		t.Fatalf("round trip failed (err %v)", err)
	}
	t.Logf("1000 merges on %d bytes: trained in %v, %d tokens, %.4f tokens per character", len(text), trained, len(ids), ratio)
	if trained > 10*time.Second {
		t.Errorf("training took %v, want under 10 s", trained)
	}
}

// naiveBPE is the textbook algorithm, recounting every pair of every chunk
// at each merge: a reference for the incremental trainer. It returns the
// merges and the training segmentation: the ids of every chunk of text, in
// order, after the last merge.
func naiveBPE(text string, numMerges int) ([][2]int, []int) {
	base := NewCharTokenizer(text)
	var words [][]int
	forEachChunk(text, bpeChunk, func(c string) { words = append(words, base.Encode(c)) })
	next := base.VocabSize()
	var merges [][2]int
	for len(merges) < numMerges {
		counts := map[uint64]int{}
		for _, w := range words {
			for i := 0; i+1 < len(w); i++ {
				if w[i] != UnkID && w[i+1] != UnkID {
					counts[pairKey(w[i], w[i+1])]++
				}
			}
		}
		var best uint64
		bestN := 0
		for k, n := range counts {
			if n > bestN || (n == bestN && k < best) {
				best, bestN = k, n
			}
		}
		if bestN < 2 {
			break
		}
		a, b := int(best>>32), int(uint32(best))
		merges = append(merges, [2]int{a, b})
		for i, w := range words {
			words[i] = mergePair(w, a, b, next)
		}
		next++
	}
	var segmentation []int
	for _, w := range words {
		segmentation = append(segmentation, w...)
	}
	return merges, segmentation
}

// naiveEncode is the textbook BPE encoder, a reference for Encode: in each
// chunk of text, starting from the ids of its runes (UnkID for a rune
// outside the vocabulary or an invalid byte), merge the leftmost occurrence
// of the adjacent pair with the lowest-ranked merge, until no pair has one.
func naiveEncode(tok *BPETokenizer, text string) []int {
	base := map[string]int{}
	for id, s := range tok.Tokens()[:tok.VocabSize()-tok.NumMerges()] {
		if id >= NumSpecial {
			base[s] = id
		}
	}
	var ids []int
	forEachChunk(text, bpeChunk, func(chunk string) {
		var syms []int
		for i, r := range chunk {
			id, ok := base[string(r)]
			if !ok || (r == utf8.RuneError && !strings.HasPrefix(chunk[i:], string(utf8.RuneError))) {
				id = UnkID
			}
			syms = append(syms, id)
		}
		for {
			at, rank := -1, len(tok.merges)
			for i := 0; i+1 < len(syms); i++ {
				for r, m := range tok.merges[:rank] {
					if m == [2]int{syms[i], syms[i+1]} {
						at, rank = i, r
						break
					}
				}
			}
			if at < 0 {
				break
			}
			merged := tok.VocabSize() - tok.NumMerges() + rank
			syms = append(append(syms[:at:at], merged), syms[at+2:]...)
		}
		ids = append(ids, syms...)
	})
	return ids
}

func TestBPEMatchesNaive(t *testing.T) {
	tests := []struct {
		name string
		text func(t *testing.T) string
	}{
		{"mixed", func(*testing.T) string { return mixedScripts + strings.ToUpper(mixedScripts) }},
		{"repeats", func(*testing.T) string { return "aaaaaaa aaaa aaa aa abababab ba ba bab aaaab \xff\xffaa" }},
		{"shakespeare 30k", func(t *testing.T) string { return readShared(t, "tinyshakespeare.txt")[:30000] }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.text(t)
			tok, err := TrainBPE(text, 300)
			if err != nil {
				t.Fatal(err)
			}
			want, segmentation := naiveBPE(text, 300)
			if !slices.Equal(tok.merges, want) || len(want) == 0 {
				t.Errorf("incremental merges differ from the naive ones (%d vs %d merges)", len(tok.merges), len(want))
			}
			// Encoding the training text reproduces the training segmentation.
			ids := tok.Encode(text)
			if i := firstDifference(ids, segmentation); i >= 0 {
				t.Errorf("encoding the training text differs from its training segmentation at token %d of %d", i, len(segmentation))
			}
			if back, _ := tok.Decode(ids); back != text && utf8.ValidString(text) {
				t.Error("round trip failed")
			}
		})
	}
}

// firstDifference returns the first index where a and b differ (the
// shorter length when one is a prefix of the other), or −1 when they are
// equal.
func firstDifference(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// TestBPEEncodeMatchesNaive: Encode gives the ids of the textbook encoder
// on texts other than the training text, including unknown runes and
// invalid bytes, with merges learned on tiny shakespeare and on a text of
// many overlapping repeats.
func TestBPEEncodeMatchesNaive(t *testing.T) {
	shakespeare := readShared(t, "tinyshakespeare.txt")
	tokenizers := []struct {
		name   string
		text   string
		merges int
	}{
		{"shakespeare", shakespeare[:100000], 400},
		{"repeats", "aaaaaaa aaaa aaa aa abababab ba ba bab aaaab abba baab aabbaabb", 30},
	}
	texts := []string{
		shakespeare[200000:204000],
		"aaaaaaaaaaa bbbbbb abababababa aabbaabbaabb ba ab a b",
		mixedScripts + "  \t\n\nZ\xff\xfeq 0123456789 ... ?!",
		"KING RICHARD III: Now is the winter of our discontent, made glorious summer.",
	}
	for _, tc := range tokenizers {
		tok, err := TrainBPE(tc.text, tc.merges)
		if err != nil {
			t.Fatal(err)
		}
		for i, text := range texts {
			got, want := tok.Encode(text), naiveEncode(tok, text)
			if j := firstDifference(got, want); j >= 0 {
				t.Errorf("%s tokenizer, text %d: Encode differs from the textbook encoder at token %d (%d and %d tokens)", tc.name, i, j, len(got), len(want))
			}
		}
	}
}

func TestBPEDeterministicAndBounded(t *testing.T) {
	a, _ := TrainBPE(mixedScripts, 50)
	b, _ := TrainBPE(mixedScripts, 50)
	if !slices.Equal(a.Tokens(), b.Tokens()) {
		t.Error("two trainings on the same text differ")
	}
	if _, err := TrainBPE("x", -1); err == nil {
		t.Error("negative merges: no error")
	}
	few, _ := TrainBPE("abc", 10) // no pair occurs twice
	if few.NumMerges() != 0 {
		t.Errorf("%d merges on a text without a repeated pair", few.NumMerges())
	}
	// A long run without spaces is cut into chunks of maxChunkRunes, so
	// encoding stays linear; round trip still holds.
	long := string(slices.Repeat([]byte("ab"), 5000))
	tok, _ := TrainBPE(long, 20)
	start := time.Now()
	if back, _ := tok.Decode(tok.Encode(long)); back != long {
		t.Error("long run: round trip failed")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("encoding a 10,000-rune run took %v", d)
	}
}
