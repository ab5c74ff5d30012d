package datasets

import (
	"math/big"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestSyntheticTasks(t *testing.T) {
	tests := []struct {
		cfg   TaskConfig
		check func(p Pair) bool
	}{
		{TaskConfig{Task: TaskCopy, MinLen: 1, MaxLen: 9}, func(p Pair) bool { return p.Target == p.Source }},
		{TaskConfig{Task: TaskReverse, MinLen: 1, MaxLen: 9, Symbols: 26}, func(p Pair) bool {
			r := []byte(p.Source)
			slices.Reverse(r)
			return p.Target == string(r)
		}},
		{TaskConfig{Task: TaskSort, MinLen: 2, MaxLen: 9, Symbols: 5}, func(p Pair) bool {
			r := []byte(p.Source)
			sort.Slice(r, func(i, j int) bool { return r[i] < r[j] })
			return p.Target == string(r)
		}},
		{TaskConfig{Task: TaskDelayedCopy, MinLen: 3, MaxLen: 6, Delay: 2}, func(p Pair) bool {
			n := len(p.Source)
			return n == len(p.Target) && p.Source[n-2:] == "__" && p.Target[:2] == "__" && p.Target[2:] == p.Source[:n-2]
		}},
		{TaskConfig{Task: TaskAddition, MinLen: 1, MaxLen: 30}, func(p Pair) bool {
			a, b, ok := strings.Cut(p.Source, "+")
			x, ok1 := new(big.Int).SetString(a, 10)
			y, ok2 := new(big.Int).SetString(b, 10)
			return ok && ok1 && ok2 && new(big.Int).Add(x, y).String() == p.Target &&
				(len(a) == 1 || a[0] != '0') && (len(b) == 1 || b[0] != '0')
		}},
	}
	for _, tc := range tests {
		t.Run(tc.cfg.Task.String(), func(t *testing.T) {
			pairs, err := tc.cfg.Generate(300, 42)
			if err != nil {
				t.Fatal(err)
			}
			tok := NewCharTokenizer(tc.cfg.Alphabet())
			lengths := map[int]bool{}
			for _, p := range pairs {
				if !tc.check(p) {
					t.Fatalf("wrong pair %q", p)
				}
				if slices.Contains(tok.Encode(p.Source+p.Target), UnkID) {
					t.Fatalf("pair %q outside the alphabet %q", p, tc.cfg.Alphabet())
				}
				lengths[len(p.Source)] = true
			}
			if len(lengths) < 2 {
				t.Error("every source has the same length")
			}
			again, _ := tc.cfg.Generate(300, 42)
			other, _ := tc.cfg.Generate(300, 43)
			if !slices.Equal(pairs, again) || slices.Equal(pairs, other) {
				t.Error("generation is not a function of the seed")
			}
		})
	}
	for _, bad := range []TaskConfig{
		{Task: TaskCopy, MinLen: 0, MaxLen: 3},
		{Task: TaskCopy, MinLen: 4, MaxLen: 3},
		{Task: TaskSort, MinLen: 1, MaxLen: 3, Symbols: 27},
		{Task: TaskDelayedCopy, MinLen: 1, MaxLen: 3},
		{Task: Task(99), MinLen: 1, MaxLen: 3},
	} {
		if _, err := bad.Generate(1, 0); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
