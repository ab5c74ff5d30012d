package datasets

import (
	"fmt"
	"math"
	"strings"

	"github.com/pkg/errors"
)

// OOVInit selects how EmbeddingMatrix initialises the rows of tokens that
// have no pretrained vector.
type OOVInit int

const (
	// OOVRandom draws each value from N(0, Std²).
	OOVRandom OOVInit = iota
	// OOVZero sets the row to zero.
	OOVZero
)

// EmbeddingOptions configures Vectors.EmbeddingMatrix.
type EmbeddingOptions struct {
	// OOV initialises the rows of tokens without a vector.
	OOV OOVInit
	// Std is the standard deviation of OOVRandom rows; 0 means the standard
	// deviation of all the pretrained values, so new rows have the scale of
	// the pretrained ones.
	Std float64
	// Seed seeds OOVRandom.
	Seed uint64
	// FoldCase looks a token up in lower case when it has no vector as
	// written.
	FoldCase bool
}

// Coverage reports how much of a vocabulary pretrained vectors cover.
type Coverage struct {
	// Tokens is the number of ordinary tokens (special tokens excluded) and
	// Found the number of them that have a pretrained vector.
	Tokens, Found int
	// Missing lists the ordinary tokens without a vector, in id order.
	Missing []string
}

// Fraction returns Found/Tokens (0 for an empty vocabulary).
func (c Coverage) Fraction() float64 {
	if c.Tokens == 0 {
		return 0
	}
	return float64(c.Found) / float64(c.Tokens)
}

// String summarises the coverage, e.g. "2412 of 2631 tokens (91.7%) have
// pretrained vectors".
func (c Coverage) String() string {
	return fmt.Sprintf("%d of %d tokens (%.1f%%) have pretrained vectors", c.Found, c.Tokens, 100*c.Fraction())
}

// EmbeddingMatrix maps the vectors onto a vocabulary (tokens in id order, as
// returned by Tokenizer.Tokens): it returns the row-major [len(tokens), Dim]
// matrix whose row i is the pretrained vector of tokens[i], or an OOVInit
// row when there is none, ready for layers.Embedding.SetWeights (frozen or
// trainable). A token with a leading space (WordTokenizer's "␣the") takes
// the vector of the word without it. The row of PadToken (id PadID) is zero;
// the other special tokens are looked up like any token but left out of the
// coverage.
func (v *Vectors) EmbeddingMatrix(tokens []string, opts EmbeddingOptions) ([]float64, Coverage, error) {
	var cov Coverage
	if len(tokens) == 0 {
		return nil, cov, errors.New("datasets: embedding matrix of an empty vocabulary")
	}
	if opts.OOV != OOVRandom && opts.OOV != OOVZero {
		return nil, cov, errors.Errorf("datasets: embedding matrix: unknown OOVInit %d", int(opts.OOV))
	}
	if !(opts.Std >= 0) || math.IsInf(opts.Std, 0) {
		return nil, cov, errors.Errorf("datasets: embedding matrix: Std %v must be finite and ≥ 0", opts.Std)
	}
	std := opts.Std
	if std == 0 {
		std = stdDev(v.Values)
	}
	rng := newRNG(opts.Seed)
	out := make([]float64, len(tokens)*v.Dim)
	for id, tok := range tokens {
		row := out[id*v.Dim : (id+1)*v.Dim]
		special := id < NumSpecial && tok == specialTokens[id]
		if special && id == PadID {
			continue
		}
		word := strings.TrimPrefix(tok, " ")
		vec, ok := v.Vector(word)
		if !ok && opts.FoldCase {
			vec, ok = v.Vector(strings.ToLower(word))
		}
		if !special {
			cov.Tokens++
			if ok {
				cov.Found++
			} else {
				cov.Missing = append(cov.Missing, tok)
			}
		}
		if ok {
			copy(row, vec)
		} else if opts.OOV == OOVRandom {
			for i := range row {
				row[i] = std * rng.NormFloat64()
			}
		}
	}
	return out, cov, nil
}

// stdDev returns the standard deviation of x.
func stdDev(x []float64) float64 {
	var sum, sq float64
	for _, v := range x {
		sum += v
		sq += v * v
	}
	n := float64(len(x))
	mean := sum / n
	return math.Sqrt(max(0, sq/n-mean*mean))
}
