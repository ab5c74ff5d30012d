package datasets

import (
	"math/rand/v2"

	"github.com/pkg/errors"
)

// seededRNG is a PCG generator whose exact state can be saved and restored,
// the source of every random choice of this package.
type seededRNG struct {
	src *rand.PCG
	*rand.Rand
}

// newRNG returns a generator seeded with seed on a stream private to this
// package (a Model's RNGs use other streams).
func newRNG(seed uint64) *seededRNG {
	src := rand.NewPCG(seed, 0xda7a_5e75)
	return &seededRNG{src: src, Rand: rand.New(src)}
}

// state returns the generator's state.
func (g *seededRNG) state() []byte {
	b, _ := g.src.MarshalBinary() // PCG's MarshalBinary never fails
	return b
}

// restore sets the generator to a state returned by state.
func (g *seededRNG) restore(b []byte) error {
	return errors.Wrap(g.src.UnmarshalBinary(b), "datasets: restoring batcher RNG state")
}
