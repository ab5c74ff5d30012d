package datasets

import (
	"math"
	"sort"

	"github.com/pkg/errors"
)

// Vectors is a table of pretrained word vectors (word2vec, Mikolov et al.
// 2013; GloVe, Pennington et al. 2014): Words[i] has the vector
// Values[i·Dim : (i+1)·Dim], a row-major [len(Words), Dim] matrix.
type Vectors struct {
	Words  []string
	Dim    int
	Values []float64
	index  map[string]int
}

// NewVectors returns the table of words and their row-major values
// (len(values) == len(words)·dim); a repeated word keeps its first vector.
func NewVectors(words []string, dim int, values []float64) (*Vectors, error) {
	if dim <= 0 || len(values) != len(words)*dim {
		return nil, errors.Errorf("datasets: %d words of dimension %d need %d values, got %d", len(words), dim, len(words)*dim, len(values))
	}
	v := &Vectors{Words: words, Dim: dim, Values: values, index: make(map[string]int, len(words))}
	for i, w := range words {
		if _, dup := v.index[w]; !dup {
			v.index[w] = i
		}
	}
	return v, nil
}

// Len returns the number of words.
func (v *Vectors) Len() int { return len(v.Words) }

// Vector returns the vector of word (a slice of Values, not a copy).
func (v *Vectors) Vector(word string) ([]float64, bool) {
	i, ok := v.index[word]
	if !ok {
		return nil, false
	}
	return v.Values[i*v.Dim : (i+1)*v.Dim], true
}

// Cosine returns the cosine similarity of the vectors of words a and b.
func (v *Vectors) Cosine(a, b string) (float64, error) {
	x, ok := v.Vector(a)
	y, ok2 := v.Vector(b)
	if !ok || !ok2 {
		return 0, errors.Errorf("datasets: cosine of %q and %q: word not in the vectors", a, b)
	}
	return cosine(x, y), nil
}

// cosine returns x·y / (|x| |y|), 0 when either is the zero vector.
func cosine(x, y []float64) float64 {
	var dot, nx, ny float64
	for i := range x {
		dot += x[i] * y[i]
		nx += x[i] * x[i]
		ny += y[i] * y[i]
	}
	if nx == 0 || ny == 0 {
		return 0
	}
	return dot / math.Sqrt(nx*ny)
}

// Neighbor is a word and its cosine similarity to a query.
type Neighbor struct {
	Word   string
	Cosine float64
}

// Nearest returns the k words whose vectors have the highest cosine
// similarity to word's, most similar first (ties in table order), word
// itself excluded.
func (v *Vectors) Nearest(word string, k int) ([]Neighbor, error) {
	q, ok := v.Vector(word)
	if !ok {
		return nil, errors.Errorf("datasets: nearest neighbours: %q not in the vectors", word)
	}
	if k < 0 {
		return nil, errors.Errorf("datasets: nearest neighbours: negative k %d", k)
	}
	self := v.index[word]
	all := make([]Neighbor, 0, len(v.Words)-1)
	for i, w := range v.Words {
		if i != self {
			all = append(all, Neighbor{Word: w, Cosine: cosine(q, v.Values[i*v.Dim:(i+1)*v.Dim])})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Cosine > all[j].Cosine })
	return all[:min(k, len(all))], nil
}
