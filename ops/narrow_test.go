package ops

import (
	"fmt"
	"github.com/gorgonet/gorgonet/graph"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// naiveNarrow reads every element of the narrowed result from x by its
// coordinates: out[…, i, …] = x[…, start+i, …] along axis.
func naiveNarrow(t *testing.T, x *tensor.Dense, axis, start, length int) []float64 {
	t.Helper()
	shape := x.Shape().Clone()
	shape[axis] = length
	out := make([]float64, 0, shape.TotalSize())
	for i := 0; i < shape.TotalSize(); i++ {
		idx := unravel(i, shape)
		idx[axis] += start
		v, err := x.At(idx...)
		if err != nil {
			t.Fatal(err)
		}
		switch f := v.(type) {
		case float64:
			out = append(out, f)
		case float32:
			out = append(out, float64(f))
		}
	}
	return out
}

var narrowCases = []struct {
	shape                      tensor.Shape
	axis, start, length, naxis int // naxis: axis after normalising a negative one
}{
	{tensor.Shape{2, 600}, 1, 0, 256, 1},
	{tensor.Shape{2, 600}, 1, 256, 256, 1},
	{tensor.Shape{2, 600}, -1, 300, 300, 1},
	{tensor.Shape{520, 3}, 0, 300, 200, 0},
	{tensor.Shape{2, 530, 2}, -2, 256, 270, 1},
	{tensor.Shape{3, 4, 5}, 2, 1, 3, 2},
	{tensor.Shape{3, 4, 5}, 0, 2, 1, 0},
	{tensor.Shape{7}, 0, 0, 7, 0},
}

func narrowBuild(axis, start, length int) opBuild {
	return func(_ *graph.Model, x *gorgonia.Node) (*gorgonia.Node, error) { return Narrow(x, axis, start, length) }
}

func TestNarrowForward(t *testing.T) {
	for _, tc := range narrowCases {
		for _, dt := range []tensor.Dtype{graph.Float64, graph.Float32} {
			t.Run(fmt.Sprintf("%v/%v/axis%d/%d+%d", dt, tc.shape, tc.axis, tc.start, tc.length), func(t *testing.T) {
				m := graph.NewModel(dt, 2)
				x := opParam(t, m, tc.shape, 1)
				y, err := Narrow(x.Node(), tc.axis, tc.start, tc.length)
				if err != nil {
					t.Fatal(err)
				}
				want := tc.shape.Clone()
				want[tc.naxis] = tc.length
				if !y.Shape().Eq(want) {
					t.Fatalf("shape %v, want %v", y.Shape(), want)
				}
				got := runForward(t, m, nil, y)[0]
				ref := naiveNarrow(t, x.Value(), tc.naxis, tc.start, tc.length)
				if i := firstMismatch(got, ref, 0); i >= 0 {
					t.Fatalf("element %d: %v, want %v", i, got[i], ref[i])
				}
			})
		}
	}
}

// TestNarrowOffsetsNotMerged guards against gorgonia's Slice trap (slices of
// one node at offsets 256 apart merge; traps_test.go): Narrow's hash holds
// start and length at full width.
func TestNarrowOffsetsNotMerged(t *testing.T) {
	m := graph.NewModel(graph.Float64, 4)
	x := opParam(t, m, tensor.Shape{2, 812}, 1)
	starts := []int{0, 256, 300, 512, 556}
	nodes := make([]*gorgonia.Node, len(starts))
	for i, s := range starts {
		var err error
		if nodes[i], err = Narrow(x.Node(), 1, s, 256); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < i; j++ {
			if nodes[j] == nodes[i] {
				t.Fatalf("Narrow at %d and at %d were merged", starts[j], s)
			}
		}
	}
	if again, _ := Narrow(x.Node(), 1, 256, 256); again != nodes[1] {
		t.Error("two identical Narrows of one node were not shared")
	}
	out := runForward(t, m, nil, nodes...)
	for i, s := range starts {
		ref := naiveNarrow(t, x.Value(), 1, s, 256)
		if j := firstMismatch(out[i], ref, 0); j >= 0 {
			t.Errorf("Narrow at %d, element %d: %v, want %v", s, j, out[i][j], ref[j])
		}
	}
}

func TestNarrowGradient(t *testing.T) {
	for _, tc := range narrowCases {
		t.Run(fmt.Sprintf("%v/axis%d/%d+%d", tc.shape, tc.axis, tc.start, tc.length), func(t *testing.T) {
			build := narrowBuild(tc.axis, tc.start, tc.length)
			t.Log(checkOpGradient(t, tc.shape, 1, build))
			checkFloat32(t, tc.shape, 1, build)
		})
	}
	// Two parts of one node at offsets 256 apart, multiplied: each element's
	// gradient is the other part, which a merged node would get wrong.
	t.Run("product of parts", func(t *testing.T) {
		build := func(m *graph.Model, x *gorgonia.Node) (*gorgonia.Node, error) {
			a, err := Narrow(x, 1, 0, 256)
			if err != nil {
				return nil, err
			}
			b, err := Narrow(x, 1, 256, 256)
			if err != nil {
				return nil, err
			}
			return gorgonia.HadamardProd(a, b)
		}
		t.Log(checkOpGradient(t, tensor.Shape{2, 512}, 1, build))
	})
}

func TestNarrowErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	x, err := m.Input("x", 4, 600)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := m.IndexInput("ids", 4)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                string
		x                   *gorgonia.Node
		axis, start, length int
		want                string
	}{
		{"nil", nil, 0, 0, 1, "nil input"},
		{"int", ids, 0, 0, 1, "want float32 or float64"},
		{"axis too large", x, 2, 0, 1, "axis 2 out of range"},
		{"axis too negative", x, -3, 0, 1, "axis -3 out of range"},
		{"negative start", x, 1, -1, 2, "[-1, -1+2)"},
		{"zero length", x, 1, 3, 0, "non-empty"},
		{"past the end", x, 1, 300, 301, "axis 1 (size 600)"},
		{"past the end of axis 0", x, 0, 4, 1, "axis 0 (size 4)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Narrow(tc.x, tc.axis, tc.start, tc.length)
			wantErr(t, err, "Narrow", tc.want)
		})
	}
}

// ExampleNarrow splits a [2,6] node into three [2,2] parts along its last
// axis, as one would split the gates of a recurrent cell.
func ExampleNarrow() {
	m := graph.NewModel(graph.Float64, 1)
	x := m.Const("x", tensor.New(tensor.WithShape(2, 6), tensor.WithBacking([]float64{
		0, 1, 2, 3, 4, 5,
		6, 7, 8, 9, 10, 11,
	})))
	var parts []*gorgonia.Node
	for i := range 3 {
		p, err := Narrow(x, -1, 2*i, 2)
		if err != nil {
			fmt.Println(err)
			return
		}
		parts = append(parts, p)
	}
	prog, err := m.CompileForward(parts...)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := prog.Forward(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range out {
		fmt.Println(p.Shape(), p.Data())
	}
	// Output:
	// (2, 2) [0 1 6 7]
	// (2, 2) [2 3 8 9]
	// (2, 2) [4 5 10 11]
}
