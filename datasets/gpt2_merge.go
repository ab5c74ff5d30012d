package datasets

import "container/heap"

// gpt2Cand is a candidate merge: the pair of symbols starting at pos, which
// merge rank would join.
type gpt2Cand struct {
	rank int32
	pos  int32
}

// gpt2Cands is a min-heap of candidates by rank, then position.
type gpt2Cands []gpt2Cand

func (h gpt2Cands) Len() int { return len(h) }
func (h gpt2Cands) Less(i, j int) bool {
	return h[i].rank < h[j].rank || (h[i].rank == h[j].rank && h[i].pos < h[j].pos)
}
func (h gpt2Cands) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *gpt2Cands) Push(x any)   { *h = append(*h, x.(gpt2Cand)) }
func (h *gpt2Cands) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// applyMerges merges the symbols syms (ids) of one chunk in place and
// returns the merged prefix. GPT-2's encoder repeatedly takes the
// lowest-ranked adjacent pair and merges all its occurrences from the left;
// because every merge only joins tokens made by earlier merges, a pair it
// creates always ranks above the one just merged, so merging one occurrence
// at a time, lowest (rank, position) first, gives the same result in
// O(n log n) instead of O(n²) for a chunk of n bytes.
func (t *GPT2Tokenizer) applyMerges(syms []int) []int {
	n := len(syms)
	if n < 2 {
		return syms
	}
	// A doubly linked list over positions; a merged-away symbol has id −1.
	next := make([]int32, n)
	prev := make([]int32, n)
	for i := range syms {
		next[i], prev[i] = int32(i+1), int32(i-1)
	}
	var cands gpt2Cands
	push := func(i int32) {
		if i < 0 || next[i] >= int32(n) {
			return
		}
		if r, ok := t.ranks[pairKey(syms[i], syms[next[i]])]; ok {
			heap.Push(&cands, gpt2Cand{rank: r, pos: i})
		}
	}
	for i := 0; i+1 < n; i++ {
		if r, ok := t.ranks[pairKey(syms[i], syms[i+1])]; ok {
			cands = append(cands, gpt2Cand{rank: r, pos: int32(i)})
		}
	}
	heap.Init(&cands)
	for cands.Len() > 0 {
		c := heap.Pop(&cands).(gpt2Cand)
		i := c.pos
		if syms[i] < 0 || next[i] >= int32(n) {
			continue
		}
		j := next[i]
		m := t.merges[c.rank]
		if syms[i] != m[0] || syms[j] != m[1] {
			continue // stale: a symbol of the pair was merged since
		}
		syms[i], syms[j] = t.merged[c.rank], -1
		next[i] = next[j]
		if next[j] < int32(n) {
			prev[next[j]] = i
		}
		push(prev[i])
		push(i)
	}
	out := syms[:0]
	for i := int32(0); i < int32(n); i = next[i] {
		out = append(out, syms[i])
	}
	return out
}
