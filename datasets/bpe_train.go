package datasets

import (
	"container/heap"
	"context"
	"sort"

	"github.com/pkg/errors"
)

// TrainBPE learns up to numMerges byte-pair merges from text and returns the
// tokenizer. Each step merges the most frequent adjacent pair of symbols
// within a chunk (ties broken by the smaller pair of ids, so training is
// deterministic); training stops early when no pair occurs twice.
//
// Pair counts are kept incrementally (Sennrich et al. 2016, section 3.2): the
// text is reduced to its distinct chunks with their counts, an index records
// which chunks contain each pair, and a merge only revisits the chunks that
// hold the merged pair, so the cost of a merge is proportional to the
// occurrences it changes, not to the corpus. 1,000 merges on tiny
// shakespeare (1.1 MB) take well under a second.
func TrainBPE(text string, numMerges int) (*BPETokenizer, error) {
	return TrainBPEContext(context.Background(), text, numMerges)
}

// TrainBPEContext is TrainBPE stopping with ctx's error once ctx is done
// (checked before each merge).
func TrainBPEContext(ctx context.Context, text string, numMerges int) (*BPETokenizer, error) {
	if numMerges < 0 {
		return nil, errors.Errorf("datasets: TrainBPE: negative number of merges %d", numMerges)
	}
	counts := map[string]int{}
	forEachChunk(text, bpeChunk, func(c string) { counts[c]++ })
	chunks := make([]string, 0, len(counts))
	for c := range counts {
		chunks = append(chunks, c)
	}
	sort.Strings(chunks)

	base := NewCharTokenizer(text)
	tr := &bpeTrainer{
		tokens: base.Tokens(),
		counts: map[uint64]int{},
		where:  map[uint64][]int32{},
		words:  make([][]int, len(chunks)),
		freq:   make([]int, len(chunks)),
		stamp:  make([]int, len(chunks)),
	}
	for w, c := range chunks {
		tr.words[w] = base.Encode(c)
		tr.freq[w] = counts[c]
		tr.addPairs(w, tr.words[w], 1, -1, tr.counts)
	}
	for key, n := range tr.counts {
		tr.queue = append(tr.queue, pairCount{key: key, n: n})
	}
	heap.Init(&tr.queue)
	for len(tr.merges) < numMerges {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !tr.mergeBest() {
			break
		}
	}
	return bpeFromFile(tr.tokens, tr.merges)
}

// bpeTrainer holds the incremental state of TrainBPE.
type bpeTrainer struct {
	tokens []string
	merges [][2]int
	words  [][]int            // each distinct chunk as its current symbols
	freq   []int              // occurrences of each chunk in the text
	counts map[uint64]int     // pair → occurrences in the text
	where  map[uint64][]int32 // pair → chunks that held it when it was added (may repeat or be stale)
	queue  pairQueue          // max-heap of (count, pair), with stale entries skipped on pop
	stamp  []int              // last merge that visited each chunk
}

// addPairs adds sign·freq to delta for every adjacent pair of syms in chunk
// w. When track ≥ 0, chunk w is also indexed under each pair holding id track.
func (tr *bpeTrainer) addPairs(w int, syms []int, sign, track int, delta map[uint64]int) {
	for i := 0; i+1 < len(syms); i++ {
		a, b := syms[i], syms[i+1]
		if a == UnkID || b == UnkID {
			continue // invalid bytes are never merged
		}
		key := pairKey(a, b)
		delta[key] += sign * tr.freq[w]
		if sign > 0 && (track < 0 || a == track || b == track) {
			tr.where[key] = append(tr.where[key], int32(w))
		}
	}
}

// mergeBest performs the most frequent merge; it returns false when no pair
// occurs at least twice.
func (tr *bpeTrainer) mergeBest() bool {
	var best pairCount
	for {
		if tr.queue.Len() == 0 {
			return false
		}
		best = heap.Pop(&tr.queue).(pairCount)
		if tr.counts[best.key] == best.n {
			break // an up-to-date entry
		}
	}
	if best.n < 2 {
		return false
	}
	a, b := int(best.key>>32), int(uint32(best.key))
	id := len(tr.tokens)
	tr.tokens = append(tr.tokens, tr.tokens[a]+tr.tokens[b])
	tr.merges = append(tr.merges, [2]int{a, b})
	delta := map[uint64]int{}
	for _, w32 := range tr.where[best.key] {
		w := int(w32)
		if tr.stamp[w] == id {
			continue
		}
		tr.stamp[w] = id
		syms := tr.words[w]
		if !hasPair(syms, a, b) {
			continue
		}
		tr.addPairs(w, syms, -1, -1, delta)
		syms = mergePair(syms, a, b, id)
		tr.addPairs(w, syms, 1, id, delta)
		tr.words[w] = syms
	}
	delete(tr.where, best.key)
	for key, d := range delta {
		if d == 0 {
			continue
		}
		n := tr.counts[key] + d
		if n <= 0 {
			delete(tr.counts, key)
			delete(tr.where, key)
			continue
		}
		tr.counts[key] = n
		heap.Push(&tr.queue, pairCount{key: key, n: n})
	}
	return true
}

// hasPair reports whether (a, b) occurs in syms.
func hasPair(syms []int, a, b int) bool {
	for i := 0; i+1 < len(syms); i++ {
		if syms[i] == a && syms[i+1] == b {
			return true
		}
	}
	return false
}

// pairCount is a heap entry: a pair and its count when pushed.
type pairCount struct {
	key uint64
	n   int
}

// pairQueue is a max-heap on count, then min on the pair key.
type pairQueue []pairCount

func (q pairQueue) Len() int { return len(q) }
func (q pairQueue) Less(i, j int) bool {
	return q[i].n > q[j].n || (q[i].n == q[j].n && q[i].key < q[j].key)
}
func (q pairQueue) Swap(i, j int)       { q[i], q[j] = q[j], q[i] }
func (q *pairQueue) Push(x interface{}) { *q = append(*q, x.(pairCount)) }
func (q *pairQueue) Pop() interface{} {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
