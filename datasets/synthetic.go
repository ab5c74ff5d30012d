package datasets

import (
	"sort"
	"strings"

	"github.com/pkg/errors"
)

// Task is a synthetic sequence-to-sequence task for tests and demos, the
// classic probes of whether a recurrent or attention model can carry
// information across a sequence (Graves 2014, "Neural Turing Machines";
// Sutskever et al. 2014; Zaremba & Sutskever 2014, "Learning to Execute").
type Task int

const (
	// TaskCopy: target = source, e.g. "cab" → "cab".
	TaskCopy Task = iota
	// TaskReverse: target = source reversed, "cab" → "bac".
	TaskReverse
	// TaskSort: target = the source's symbols in order, "cab" → "abc".
	TaskSort
	// TaskDelayedCopy: source = s followed by Delay blanks '_', target =
	// Delay blanks followed by s; the two are aligned position by position,
	// so target[t] = source[t−Delay], for a sequence labeller (an RNN reading
	// the source and emitting one symbol per step) that must remember Delay
	// steps back. "cab" with Delay 2 → source "cab__", target "__cab".
	TaskDelayedCopy
	// TaskAddition: source "a+b" of two decimal numbers, target their sum,
	// "57+8" → "65".
	TaskAddition
)

var taskNames = [...]string{"copy", "reverse", "sort", "delayed-copy", "addition"}

// String returns the task's name, e.g. "delayed-copy".
func (t Task) String() string {
	if t < 0 || int(t) >= len(taskNames) {
		return "unknown task"
	}
	return taskNames[t]
}

// TaskConfig configures a synthetic task.
type TaskConfig struct {
	Task Task
	// MinLen and MaxLen bound the length of each sequence s (for
	// TaskAddition, the number of digits of each operand), drawn uniformly.
	MinLen, MaxLen int
	// Symbols is the alphabet size for the copy, reverse, sort and
	// delayed-copy tasks: the first Symbols of the letters a–z; 0 means 10.
	Symbols int
	// Delay is the delay of TaskDelayedCopy (≥ 1).
	Delay int
}

// Alphabet returns every symbol that can appear in the task's pairs, in
// order; NewCharTokenizer(cfg.Alphabet()) covers the task.
func (c TaskConfig) Alphabet() string {
	switch c.Task {
	case TaskAddition:
		return "+0123456789"
	case TaskDelayedCopy:
		return "_" + letters(c.symbols())
	}
	return letters(c.symbols())
}

func (c TaskConfig) symbols() int {
	if c.Symbols == 0 {
		return 10
	}
	return c.Symbols
}

func letters(n int) string { return "abcdefghijklmnopqrstuvwxyz"[:n] }

// Generate returns n pairs of the task drawn from a generator seeded by seed:
// the same arguments always give the same pairs.
func (c TaskConfig) Generate(n int, seed uint64) ([]Pair, error) {
	switch {
	case c.Task < TaskCopy || c.Task > TaskAddition:
		return nil, errors.Errorf("datasets: unknown synthetic task %d", int(c.Task))
	case n < 0 || c.MinLen < 1 || c.MaxLen < c.MinLen:
		return nil, errors.Errorf("datasets: %v task: need n ≥ 0 and 1 ≤ MinLen ≤ MaxLen, got n=%d MinLen=%d MaxLen=%d", c.Task, n, c.MinLen, c.MaxLen)
	case c.Task != TaskAddition && (c.symbols() < 1 || c.symbols() > 26):
		return nil, errors.Errorf("datasets: %v task: Symbols %d must be in [1, 26]", c.Task, c.Symbols)
	case c.Task == TaskDelayedCopy && c.Delay < 1:
		return nil, errors.Errorf("datasets: delayed-copy task: Delay %d must be ≥ 1", c.Delay)
	}
	rng := newRNG(seed)
	length := func() int { return c.MinLen + rng.IntN(c.MaxLen-c.MinLen+1) }
	pairs := make([]Pair, n)
	for i := range pairs {
		if c.Task == TaskAddition {
			a, b := number(rng, length()), number(rng, length())
			pairs[i] = Pair{Source: a + "+" + b, Target: addDecimal(a, b)}
			continue
		}
		s := make([]byte, length())
		for j := range s {
			s[j] = 'a' + byte(rng.IntN(c.symbols()))
		}
		pairs[i] = c.sequencePair(s)
	}
	return pairs, nil
}

// sequencePair makes the pair of the copy, reverse, sort or delayed-copy
// task for the symbols s.
func (c TaskConfig) sequencePair(s []byte) Pair {
	src := string(s)
	t := append([]byte(nil), s...)
	switch c.Task {
	case TaskReverse:
		for i, j := 0, len(t)-1; i < j; i, j = i+1, j-1 {
			t[i], t[j] = t[j], t[i]
		}
	case TaskSort:
		sort.Slice(t, func(i, j int) bool { return t[i] < t[j] })
	case TaskDelayedCopy:
		blanks := strings.Repeat("_", c.Delay)
		return Pair{Source: src + blanks, Target: blanks + src}
	}
	return Pair{Source: src, Target: string(t)}
}

// number returns a random decimal number of the given number of digits,
// without a leading zero (except the number 0 itself).
func number(rng *seededRNG, digits int) string {
	b := make([]byte, digits)
	for i := range b {
		b[i] = '0' + byte(rng.IntN(10))
	}
	if digits > 1 && b[0] == '0' {
		b[0] = '1' + byte(rng.IntN(9))
	}
	return string(b)
}

// addDecimal returns the sum of two decimal numbers of any length.
func addDecimal(a, b string) string {
	out := make([]byte, max(len(a), len(b))+1)
	carry := 0
	for i := 0; i < len(out); i++ {
		d := carry
		if i < len(a) {
			d += int(a[len(a)-1-i] - '0')
		}
		if i < len(b) {
			d += int(b[len(b)-1-i] - '0')
		}
		out[len(out)-1-i] = byte('0' + d%10)
		carry = d / 10
	}
	if out[0] == '0' && len(out) > 1 {
		out = out[1:]
	}
	return string(out)
}
