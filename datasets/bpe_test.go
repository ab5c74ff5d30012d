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
// at each merge: a reference for the incremental trainer.
func naiveBPE(text string, numMerges int) [][2]int {
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
	return merges
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
			want := naiveBPE(text, 300)
			if !slices.Equal(tok.merges, want) || len(want) == 0 {
				t.Errorf("incremental merges differ from the naive ones (%d vs %d merges)", len(tok.merges), len(want))
			}
			// Encoding the training text reproduces the training segmentation.
			if back, _ := tok.Decode(tok.Encode(text)); back != text && utf8.ValidString(text) {
				t.Error("round trip failed")
			}
		})
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
