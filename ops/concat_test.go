package ops

import (
	"fmt"
	"github.com/gorgonet/gorgonet/graph"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// concatCases split a parameter x of shape into parts of the given sizes
// along axis with Narrow and join them again with Concat in a new order, so
// that the result is a known permutation of x.
var concatCases = []struct {
	shape tensor.Shape
	axis  int
	sizes []int
	order []int // the parts, in the order they are joined
}{
	{tensor.Shape{2, 5}, 1, []int{2, 3}, []int{1, 0}},
	{tensor.Shape{4, 3}, 0, []int{1, 1, 2}, []int{2, 0, 1}},
	{tensor.Shape{2, 3, 4}, -2, []int{1, 2}, []int{1, 0}},
	{tensor.Shape{2, 3, 4}, 2, []int{1, 1, 1, 1}, []int{3, 2, 1, 0}},
	// parts 256 positions apart: gorgonia's Concat would merge their gradients
	{tensor.Shape{2, 768}, 1, []int{256, 256, 256}, []int{2, 0, 1}},
	{tensor.Shape{300, 2}, 0, []int{1, 256, 43}, []int{1, 2, 0}},
}

// concatBuild returns the op build of a concatCases entry.
func concatBuild(axis int, sizes, order []int) opBuild {
	return func(_ *graph.Model, x *gorgonia.Node) (*gorgonia.Node, error) {
		parts := make([]*gorgonia.Node, len(sizes))
		start := 0
		for i, n := range sizes {
			p, err := Narrow(x, axis, start, n)
			if err != nil {
				return nil, err
			}
			parts[i], start = p, start+n
		}
		joined := make([]*gorgonia.Node, len(order))
		for i, k := range order {
			joined[i] = parts[k]
		}
		return Concat(axis, joined...)
	}
}

func TestConcatForward(t *testing.T) {
	for _, tc := range concatCases {
		t.Run(fmt.Sprintf("%v/axis%d/%v", tc.shape, tc.axis, tc.order), func(t *testing.T) {
			m := graph.NewModel(graph.Float64, 2)
			x := opParam(t, m, tc.shape, 1)
			y, err := concatBuild(tc.axis, tc.sizes, tc.order)(m, x.Node())
			if err != nil {
				t.Fatal(err)
			}
			if !y.Shape().Eq(tc.shape) {
				t.Fatalf("shape %v, want %v", y.Shape(), tc.shape)
			}
			got := runForward(t, m, nil, y)[0]
			// Expected: element by element, from the coordinates in x.
			axis := tc.axis
			if axis < 0 {
				axis += len(tc.shape)
			}
			offsets := make([]int, len(tc.sizes))
			for i := 1; i < len(tc.sizes); i++ {
				offsets[i] = offsets[i-1] + tc.sizes[i-1]
			}
			for i := range got {
				idx := unravel(i, tc.shape)
				pos := idx[axis]
				for _, k := range tc.order {
					if pos < tc.sizes[k] {
						idx[axis] = offsets[k] + pos
						break
					}
					pos -= tc.sizes[k]
				}
				want, err := x.Value().At(idx...)
				if err != nil {
					t.Fatal(err)
				}
				if got[i] != want.(float64) {
					t.Fatalf("element %d: %v, want x%v = %v", i, got[i], idx, want)
				}
			}
		})
	}
}

func TestConcatGradient(t *testing.T) {
	for _, tc := range concatCases {
		t.Run(fmt.Sprintf("%v/axis%d/%v", tc.shape, tc.axis, tc.order), func(t *testing.T) {
			build := concatBuild(tc.axis, tc.sizes, tc.order)
			t.Log(checkOpGradient(t, tc.shape, 1, build))
			checkFloat32(t, tc.shape, 1, build)
		})
	}
}

func TestConcatErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	a, _ := m.Input("a", 2, 3)
	b, _ := m.Input("b", 3, 3)
	c, _ := m.Input("c", 2, 3, 1)
	ids, _ := m.IndexInput("ids", 2, 3)
	for _, tc := range []struct {
		axis int
		xs   []*gorgonia.Node
		want string
	}{
		{0, nil, "no inputs"},
		{2, []*gorgonia.Node{a, a}, "axis 2 out of range"},
		{1, []*gorgonia.Node{a, b}, `input 1 "b" of shape (3, 3)`},
		{0, []*gorgonia.Node{a, c}, `input 1 "c"`},
		{0, []*gorgonia.Node{a, ids}, "float"},
	} {
		_, err := Concat(tc.axis, tc.xs...)
		wantErr(t, err, tc.want)
	}
	if y, err := Concat(0, a); err != nil || y != a {
		t.Errorf("Concat of one input: %v, %v; want the input itself", y, err)
	}
}
