package datasets

import (
	"io"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// BPETokenizer is a byte-pair-encoding tokenizer over runes (Sennrich, Haddow
// & Birch 2016, "Neural Machine Translation of Rare Words with Subword
// Units"). Its vocabulary is the special tokens, the runes of the training
// text (in code-point order) and one token per learned merge, in the order
// the merges were learned. Text is first cut into chunks as GPT-2 does (a
// word with its leading space, a run of digits or of punctuation, a run of
// white space; at most 64 runes) and merges never cross chunks.
//
// Build one with TrainBPE; Decode(Encode(x)) == x whenever every rune of x
// was in the training text.
type BPETokenizer struct {
	vocab
	runes  map[rune]int   // base symbols
	ranks  map[uint64]int // pair key → merge index
	merges [][2]int       // merge i makes token firstMerge+i
	first  int            // id of the first merged token
}

// pairKey packs an ordered pair of ids into a map key.
func pairKey(a, b int) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// bpeFromFile builds a BPETokenizer from a full vocabulary (special tokens,
// base runes, merged tokens) and its merges, checking their consistency.
func bpeFromFile(tokens []string, merges [][2]int) (*BPETokenizer, error) {
	first := len(tokens) - len(merges)
	if first < NumSpecial {
		return nil, errors.Errorf("%d merges but only %d tokens", len(merges), len(tokens))
	}
	t := &BPETokenizer{
		vocab:  vocab{tokens: append([]string(nil), tokens...)},
		runes:  make(map[rune]int, first),
		ranks:  make(map[uint64]int, len(merges)),
		merges: append([][2]int(nil), merges...),
		first:  first,
	}
	for id := NumSpecial; id < first; id++ {
		r, size := utf8.DecodeRuneInString(tokens[id])
		if size != len(tokens[id]) || (r == utf8.RuneError && size <= 1) {
			return nil, errors.Errorf("bpe base token %d %q is not a single rune", id, tokens[id])
		}
		t.runes[r] = id
	}
	for i, m := range merges {
		id := first + i
		a, b := m[0], m[1]
		if a < NumSpecial || b < NumSpecial || a >= id || b >= id {
			return nil, errors.Errorf("merge %d [%d %d] refers to an id outside [%d, %d)", i, a, b, NumSpecial, id)
		}
		if tokens[id] != tokens[a]+tokens[b] {
			return nil, errors.Errorf("merge %d makes token %d %q, which is not %q+%q", i, id, tokens[id], tokens[a], tokens[b])
		}
		if _, dup := t.ranks[pairKey(a, b)]; dup {
			return nil, errors.Errorf("merge %d [%d %d] repeats an earlier merge", i, a, b)
		}
		t.ranks[pairKey(a, b)] = i
	}
	return t, nil
}

// Kind returns "bpe".
func (t *BPETokenizer) Kind() string { return "bpe" }

// NumMerges returns the number of learned merges.
func (t *BPETokenizer) NumMerges() int { return len(t.merges) }

// Encode returns the BPE ids of text.
func (t *BPETokenizer) Encode(text string) []int {
	ids := make([]int, 0, len(text)/3+1)
	var syms []int
	forEachChunk(text, bpeChunk, func(chunk string) {
		syms = t.symbols(chunk, syms[:0])
		ids = append(ids, t.applyMerges(syms)...)
	})
	return ids
}

// symbols returns the base ids of chunk's runes, appended to dst.
func (t *BPETokenizer) symbols(chunk string, dst []int) []int {
	for len(chunk) > 0 {
		r, size, ok := decodeRune(chunk)
		id, known := t.runes[r]
		if !ok || !known {
			id = UnkID
		}
		dst = append(dst, id)
		chunk = chunk[size:]
	}
	return dst
}

// applyMerges merges syms in place, lowest-ranked pair first, each pair at
// all its non-overlapping occurrences from the left (the order in which
// TrainBPE applied it), and returns the merged prefix. Chunks hold at most
// 64 symbols, so the quadratic search is bounded.
func (t *BPETokenizer) applyMerges(syms []int) []int {
	for len(syms) > 1 {
		best := -1
		for i := 0; i+1 < len(syms); i++ {
			if r, ok := t.ranks[pairKey(syms[i], syms[i+1])]; ok && (best < 0 || r < best) {
				best = r
			}
		}
		if best < 0 {
			break
		}
		m := t.merges[best]
		syms = mergePair(syms, m[0], m[1], t.first+best)
	}
	return syms
}

// mergePair replaces, from the left, each non-overlapping occurrence of the
// pair (a, b) in syms by id, in place, and returns the shortened slice.
func mergePair(syms []int, a, b, id int) []int {
	out := syms[:0]
	for i := 0; i < len(syms); i++ {
		if i+1 < len(syms) && syms[i] == a && syms[i+1] == b {
			out = append(out, id)
			i++
			continue
		}
		out = append(out, syms[i])
	}
	return out
}

// Save writes the tokenizer and its merges as JSON.
func (t *BPETokenizer) Save(w io.Writer) error {
	return writeTokenizerFile(w, tokenizerFile{Kind: t.Kind(), Tokens: t.tokens, Merges: t.merges})
}

// chunk cuts text for streaming at chunk boundaries.
func (t *BPETokenizer) chunk(s string) int { return bpeChunk(s) }
