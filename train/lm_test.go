package train

import "testing"

// TestEvalWindowsPredictEveryTokenOnce checks the layout of evaluation
// windows: each position of ids with a next token is predicted exactly once,
// with the right target, and padding is marked −1.
func TestEvalWindowsPredictEveryTokenOnce(t *testing.T) {
	for _, c := range []struct{ n, B, T int }{{2, 1, 1}, {10, 3, 4}, {100, 4, 8}, {17, 16, 5}, {33, 2, 16}} {
		ids := make([]int, c.n)
		for i := range ids {
			ids[i] = 1000 + i // the value tells the position
		}
		window, count := EvalWindows(ids, c.B, c.T, 0)
		seen := map[int]int{}
		for k := 0; k < count; k++ {
			b := window(k)
			in, tg := b.Inputs.Ints(), b.Targets.Ints()
			for i := range tg {
				if tg[i] == -1 {
					continue
				}
				if tg[i] != in[i]+1 {
					t.Fatalf("%+v: window %d position %d: input %d, target %d", c, k, i, in[i], tg[i])
				}
				seen[in[i]-1000]++
			}
		}
		for p := 0; p < c.n-1; p++ {
			if seen[p] != 1 {
				t.Errorf("%+v: position %d predicted %d times", c, p, seen[p])
			}
		}
		if len(seen) != c.n-1 {
			t.Errorf("%+v: %d positions predicted, want %d", c, len(seen), c.n-1)
		}
	}
	_, count := EvalWindows(make([]int, 1000), 4, 10, 3)
	if count != 3 {
		t.Errorf("limit 3 gave %d windows", count)
	}
}
