package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// randomDense returns a tensor of dt and shape with entries uniform in
// [−1,1).
func randomDense(dt tensor.Dtype, seed uint64, shape ...int) *tensor.Dense {
	r := rand.New(rand.NewPCG(seed, 1))
	n := tensor.Shape(shape).TotalSize()
	if dt == tensor.Float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(2*r.Float64() - 1)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
	}
	v := make([]float64, n)
	for i := range v {
		v[i] = 2*r.Float64() - 1
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}

// floats returns the elements of a float tensor as float64s.
func floats(t *tensor.Dense) []float64 {
	if v, ok := t.Data().([]float32); ok {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	return append([]float64(nil), t.Float64s()...)
}

// TestDecoderLayerStep checks incremental decoding against the full layer:
// for every position t of a causal self-attention (with and without
// cross-attention, pre- and post-LN, float64 and float32), Step on x[:,t]
// with the cache holding SelfKeysValues of all positions but Len = t (the
// rows from t on hold other positions' values, which Step must not read)
// gives Forward's output at t and the keys and values at t.
func TestDecoderLayerStep(t *testing.T) {
	const b, tl, dim, src = 2, 5, 8, 3
	for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
		for _, norm := range []NormPlacement{PreLN, PostLN} {
			for _, cross := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v norm%d cross=%v", dt, norm, cross), func(t *testing.T) {
					m := graph.NewModel(dt, 3)
					l, err := NewDecoderLayer(m, "dec", BlockConfig{Dim: dim, Heads: 2, Hidden: 12, Norm: norm}, cross,
						WeightInit(graph.Normal(0.5)), BiasInit(graph.Normal(0.2)))
					if err != nil {
						t.Fatal(err)
					}
					x, _ := m.Input("x", b, tl, dim)
					xt, _ := m.Input("xt", b, 1, dim)
					ck, _ := m.Input("cache.k", b, tl, dim)
					cv, _ := m.Input("cache.v", b, tl, dim)
					n, _ := m.IndexInput("cache.len", 1)
					var mem *gorgonia.Node
					feeds := graph.Feeds{"x": randomDense(dt, 1, b, tl, dim)}
					if cross {
						mem, _ = m.Input("memory", b, src, dim)
						feeds["memory"] = randomDense(dt, 2, b, src, dim)
					}
					full, err := l.Forward(x, mem, Mask{Causal: true}, Mask{})
					if err != nil {
						t.Fatal(err)
					}
					keys, values, err := l.SelfKeysValues(x)
					if err != nil {
						t.Fatal(err)
					}
					y, k, v, err := l.Step(xt, KVCache{Keys: ck, Values: cv, Len: n}, mem, Mask{})
					if err != nil {
						t.Fatal(err)
					}
					fullProg, err := m.CompileForward(full, keys, values)
					if err != nil {
						t.Fatal(err)
					}
					stepProg, err := m.CompileForward(y, k, v)
					if err != nil {
						t.Fatal(err)
					}
					ref, err := fullProg.Forward(feeds)
					if err != nil {
						t.Fatal(err)
					}
					want := [3][]float64{floats(ref[0]), floats(ref[1]), floats(ref[2])}
					tol := 1e-12
					if dt == graph.Float32 {
						tol = 2e-5
					}
					xs := floats(feeds["x"].(*tensor.Dense))
					for pos := 0; pos < tl; pos++ {
						row := make([]float64, b*dim)
						for r := 0; r < b; r++ {
							copy(row[r*dim:], xs[(r*tl+pos)*dim:(r*tl+pos+1)*dim])
						}
						sf := graph.Feeds{"xt": denseOf(dt, tensor.Shape{b, 1, dim}, row), "cache.k": ref[1], "cache.v": ref[2],
							"cache.len": tensor.New(tensor.WithShape(1), tensor.WithBacking([]int{pos}))}
						if cross {
							sf["memory"] = feeds["memory"]
						}
						got, err := stepProg.Forward(sf)
						if err != nil {
							t.Fatal(err)
						}
						for i, name := range []string{"output", "key", "value"} {
							g := floats(got[i])
							for r := 0; r < b; r++ {
								for j := 0; j < dim; j++ {
									w := want[i][(r*tl+pos)*dim+j]
									if d := math.Abs(g[r*dim+j] - w); d > tol*(1+math.Abs(w)) {
										t.Fatalf("position %d row %d: step %s[%d] = %v, full layer %v", pos, r, name, j, g[r*dim+j], w)
									}
								}
							}
						}
					}
				})
			}
		}
	}
}

// TestStepErrors checks that Step names a wrong cache or input.
func TestStepErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	a, err := NewMultiHeadAttention(m, "attn", 4, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := m.Input("x", 2, 1, 4)
	x2, _ := m.Input("x2", 2, 2, 4)
	ck, _ := m.Input("k", 2, 6, 4)
	cv, _ := m.Input("v", 2, 6, 4)
	bad, _ := m.Input("bad", 3, 6, 4)
	n, _ := m.IndexInput("n", 1)
	for _, c := range []struct {
		x     *gorgonia.Node
		cache KVCache
	}{
		{x2, KVCache{ck, cv, n}},
		{x, KVCache{bad, cv, n}},
		{x, KVCache{ck, nil, n}},
		{x, KVCache{ck, cv, nil}},
	} {
		if _, _, _, err := a.Step(c.x, c.cache); err == nil {
			t.Fatalf("Step(%v, %+v): no error", c.x.Shape(), c.cache)
		}
	}
}
