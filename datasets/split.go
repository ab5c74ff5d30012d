package datasets

import (
	"math"

	"github.com/pkg/errors"
)

// SplitIDs splits a token stream into training and validation parts: the
// first 1−valFraction of ids train, the rest validate (the nanoGPT
// convention, contiguous so that validation windows never overlap training
// text). The parts share ids' backing array.
func SplitIDs(ids []int, valFraction float64) (train, val []int, err error) {
	n, err := splitPoint(len(ids), valFraction)
	if err != nil {
		return nil, nil, err
	}
	return ids[:n], ids[n:], nil
}

// SplitPairs splits pairs into training and validation parts after a
// shuffle drawn from seed, so the split is the same on every run; the last
// round(valFraction·len(pairs)) pairs of the shuffled order validate. pairs is
// not modified.
func SplitPairs(pairs []Pair, valFraction float64, seed uint64) (train, val []Pair, err error) {
	n, err := splitPoint(len(pairs), valFraction)
	if err != nil {
		return nil, nil, err
	}
	shuffled := append([]Pair(nil), pairs...)
	rng := newRNG(seed)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	return shuffled[:n], shuffled[n:], nil
}

// splitPoint returns the number of training items of n.
func splitPoint(n int, valFraction float64) (int, error) {
	if !(valFraction >= 0 && valFraction < 1) {
		return 0, errors.Errorf("datasets: validation fraction %v must be in [0, 1)", valFraction)
	}
	return n - int(math.Round(valFraction*float64(n))), nil
}
