package transformer

import (
	"fmt"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
)

// kvCache holds the key/value caches of every decoder layer for incremental
// decoding of batch rows: keys and values [batch,size,Dim] per layer, of
// which the first length rows of every row are filled, and the inputs that
// a step program reads them from.
type kvCache struct {
	batch, size, dim int
	keys, values     []*tensor.Dense // per layer
	spare            []*tensor.Dense // as many buffers of the same shape, for reorder
	length           []int           // [1], the backing array of the fed length
	names            []string        // inputs: keys and values of layer l at 2l and 2l+1, then the length
	caches           []layers.KVCache
}

// newKVCache declares the inputs "<prefix>.<l>.k", "<prefix>.<l>.v" and
// "<prefix>.len" of the caches of n layers in m and allocates them.
func newKVCache(m *graph.Model, prefix string, n, batch, size, dim int) (*kvCache, error) {
	c := &kvCache{batch: batch, size: size, dim: dim, length: make([]int, 1)}
	lenName := prefix + ".len"
	length, err := m.IndexInput(lenName, 1)
	if err != nil {
		return nil, err
	}
	for l := 0; l < n; l++ {
		var nodes [2]*gorgonia.Node
		for i, part := range []string{"k", "v"} {
			name := fmt.Sprintf("%s.%d.%s", prefix, l, part)
			if nodes[i], err = m.Input(name, batch, size, dim); err != nil {
				return nil, err
			}
			c.names = append(c.names, name)
		}
		for _, list := range []*[]*tensor.Dense{&c.keys, &c.values, &c.spare, &c.spare} {
			*list = append(*list, tensor.New(tensor.Of(m.Dtype()), tensor.WithShape(batch, size, dim)))
		}
		c.caches = append(c.caches, layers.KVCache{Keys: nodes[0], Values: nodes[1], Len: length})
	}
	c.names = append(c.names, lenName)
	return c, nil
}

// feed adds the caches and their length to feeds.
func (c *kvCache) feed(feeds graph.Feeds) {
	for l := range c.keys {
		feeds[c.names[2*l]] = c.keys[l]
		feeds[c.names[2*l+1]] = c.values[l]
	}
	feeds[c.names[len(c.names)-1]] = tensor.New(tensor.WithShape(1), tensor.WithBacking(c.length))
}

// push appends the keys and values of one position, kv[2l] and kv[2l+1]
// [batch,1,Dim] for layer l, to every row.
func (c *kvCache) push(kv []*tensor.Dense) error {
	if c.length[0] >= c.size {
		return errors.Errorf("key/value cache full (%d positions)", c.size)
	}
	return c.write(kv, 1)
}

// fill replaces the caches by the first n positions of kv[2l] and
// kv[2l+1] [batch,T,Dim] (T ≥ n) for layer l.
func (c *kvCache) fill(kv []*tensor.Dense, n int) error {
	if n > c.size {
		return errors.Errorf("%d positions for a key/value cache of %d", n, c.size)
	}
	c.length[0] = 0
	return c.write(kv, n)
}

// write copies n positions of kv (of rows of any length ≥ n) after the
// filled ones and counts them.
func (c *kvCache) write(kv []*tensor.Dense, n int) error {
	if len(kv) != 2*len(c.keys) {
		return errors.Errorf("%d key/value tensors for %d layers", len(kv), len(c.keys))
	}
	at := c.length[0]
	for i, src := range kv {
		dst := c.keys[i/2]
		if i%2 == 1 {
			dst = c.values[i/2]
		}
		s := src.Shape()
		if s.Dims() != 3 || s[0] != c.batch || s[1] < n || s[2] != c.dim || src.Dtype() != dst.Dtype() {
			return errors.Errorf("key/value tensor %v %v, want %v [%d,≥%d,%d]", src.Dtype(), s, dst.Dtype(), c.batch, n, c.dim)
		}
		for b := 0; b < c.batch; b++ {
			copyPositions(dst, src, (b*c.size+at)*c.dim, b*s[1]*c.dim, n*c.dim)
		}
	}
	c.length[0] += n
	return nil
}

// reorder makes row r of every cache a copy of row from[r] (beam search:
// a surviving hypothesis continues another row's prefix), for r <
// len(from).
func (c *kvCache) reorder(from []int) {
	filled := c.length[0] * c.dim
	for i := range c.keys {
		for _, pair := range [][2]**tensor.Dense{{&c.keys[i], &c.spare[2*i]}, {&c.values[i], &c.spare[2*i+1]}} {
			cur, spare := *pair[0], *pair[1]
			for r, f := range from {
				copyPositions(spare, cur, r*c.size*c.dim, f*c.size*c.dim, filled)
			}
			*pair[0], *pair[1] = spare, cur
		}
	}
}

// copyPositions copies n elements of src from offset so into dst at offset
// do; both are Float32 or both Float64.
func copyPositions(dst, src *tensor.Dense, do, so, n int) {
	switch d := dst.Data().(type) {
	case []float32:
		copy(d[do:do+n], src.Float32s()[so:so+n])
	case []float64:
		copy(d[do:do+n], src.Float64s()[so:so+n])
	}
}
