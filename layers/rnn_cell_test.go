package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/ops"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// newTestCell creates a cell of the given kind with the public constructors.
func newTestCell(m *graph.Model, kind CellKind, name string, in, hidden int, opts ...Option) (Cell, error) {
	switch kind {
	case LSTM:
		return NewLSTMCell(m, name, in, hidden, opts...)
	case GRU:
		return NewGRUCell(m, name, in, hidden, opts...)
	default:
		return NewRNNCell(m, name, in, hidden, nil, opts...)
	}
}

// refCell holds a cell's parameters as float64 for computing by hand.
type refCell struct {
	wih, whh, bih, bhh []float64 // [in,G·h], [h,G·h], [G·h], [G·h]
	in, h, g           int
}

func refOf(t *testing.T, c Cell) refCell {
	t.Helper()
	b := c.base()
	r := refCell{in: b.In, h: b.Hidden, g: b.gates}
	r.wih, r.whh = float64s(b.WeightIH.Value()), float64s(b.WeightHH.Value())
	r.bih, r.bhh = make([]float64, r.g*r.h), make([]float64, r.g*r.h)
	if b.BiasIH != nil {
		r.bih, r.bhh = float64s(b.BiasIH.Value()), float64s(b.BiasHH.Value())
	}
	return r
}

// refAffine returns v·W + b for a row vector v and a row-major W [len(v), len(b)].
func refAffine(v, w, b []float64) []float64 {
	out := append([]float64(nil), b...)
	for i, vi := range v {
		for j := range out {
			out[j] += vi * w[i*len(out)+j]
		}
	}
	return out
}

func refSigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// step computes one step of the cell by hand for one sample: the equations of
// Elman (1990), PyTorch's nn.LSTMCell and nn.GRUCell, written out.
func (r refCell) step(kind CellKind, x, h, c []float64) (hNext, cNext []float64) {
	xi := refAffine(x, r.wih, r.bih) // x·W_i* + b_i*, gate blocks side by side
	hh := refAffine(h, r.whh, r.bhh) // h·W_h* + b_h*
	H := r.h
	hNext, cNext = make([]float64, H), make([]float64, H)
	for j := 0; j < H; j++ {
		switch kind {
		case Elman:
			hNext[j] = math.Tanh(xi[j] + hh[j])
		case LSTM:
			i := refSigmoid(xi[j] + hh[j])
			f := refSigmoid(xi[H+j] + hh[H+j])
			g := math.Tanh(xi[2*H+j] + hh[2*H+j])
			o := refSigmoid(xi[3*H+j] + hh[3*H+j])
			cNext[j] = f*c[j] + i*g
			hNext[j] = o * math.Tanh(cNext[j])
		case GRU:
			rg := refSigmoid(xi[j] + hh[j])
			z := refSigmoid(xi[H+j] + hh[H+j])
			n := math.Tanh(xi[2*H+j] + rg*hh[2*H+j])
			hNext[j] = (1-z)*n + z*h[j]
		}
	}
	return hNext, cNext
}

// refRow returns row b of a row-major [B,n] slice.
func refRow(v []float64, b, n int) []float64 { return v[b*n : (b+1)*n] }

// rnnInput declares an input of the given shape holding random values and returns it
// with its value.
func rnnInput(t *testing.T, m *graph.Model, name string, seed uint64, shape ...int) (*gorgonia.Node, *tensor.Dense) {
	t.Helper()
	n, err := m.Input(name, shape...)
	if err != nil {
		t.Fatal(err)
	}
	v := denseOf(m.Dtype(), tensor.Shape(shape), randn(seed, tensor.Shape(shape).TotalSize()))
	return n, v
}

// TestCellForwardMatchesEquations checks each cell's forward pass, two steps
// from a random state, against the equations computed by hand, also at 256
// hidden units, where the gate blocks lie 256 columns apart.
func TestCellForwardMatchesEquations(t *testing.T) {
	for _, kind := range []CellKind{Elman, LSTM, GRU} {
		for _, hidden := range []int{3, 256} {
			t.Run(fmt.Sprintf("%v/H%d", kind, hidden), func(t *testing.T) {
				const batch, in = 2, 5
				m := graph.NewModel(graph.Float64, 3)
				cell, err := newTestCell(m, kind, "cell", in, hidden)
				if err != nil {
					t.Fatal(err)
				}
				x1, x1v := rnnInput(t, m, "x1", 1, batch, in)
				x2, x2v := rnnInput(t, m, "x2", 2, batch, in)
				h0, h0v := rnnInput(t, m, "h0", 3, batch, hidden)
				c0, c0v := rnnInput(t, m, "c0", 4, batch, hidden)
				s := State{H: h0}
				feeds := graph.Feeds{"x1": x1v, "x2": x2v, "h0": h0v}
				if kind == LSTM {
					s.C = c0
					feeds["c0"] = c0v
				}
				if s, err = cell.Forward(x1, s); err != nil {
					t.Fatal(err)
				}
				if s, err = cell.Forward(x2, s); err != nil {
					t.Fatal(err)
				}
				outs := []*gorgonia.Node{s.H}
				if kind == LSTM {
					outs = append(outs, s.C)
				}
				prog, err := m.CompileForward(outs...)
				if err != nil {
					t.Fatal(err)
				}
				got, err := prog.Forward(feeds)
				if err != nil {
					t.Fatal(err)
				}
				ref := refOf(t, cell)
				var maxDiff float64
				for b := 0; b < batch; b++ {
					h, c := refRow(h0v.Float64s(), b, hidden), refRow(c0v.Float64s(), b, hidden)
					h, c = ref.step(kind, refRow(x1v.Float64s(), b, in), h, c)
					h, c = ref.step(kind, refRow(x2v.Float64s(), b, in), h, c)
					maxDiff = math.Max(maxDiff, refMaxDiff(refRow(got[0].Float64s(), b, hidden), h))
					if kind == LSTM {
						maxDiff = math.Max(maxDiff, refMaxDiff(refRow(got[1].Float64s(), b, hidden), c))
					}
				}
				if maxDiff > 1e-12 {
					t.Fatalf("forward differs from the equations by %g", maxDiff)
				}
			})
		}
	}
}

func refMaxDiff(a, b []float64) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(a[i]-b[i]))
	}
	return d
}

// TestCellGradients checks the gradients of every parameter of each cell,
// and of its input and initial state, over two steps.
func TestCellGradients(t *testing.T) {
	for _, c := range []struct {
		kind CellKind
		opts []Option
	}{
		{Elman, nil}, {LSTM, nil}, {GRU, nil}, {LSTM, []Option{NoBias()}}, {GRU, []Option{NoBias()}},
	} {
		t.Run(fmt.Sprintf("%v/bias=%v", c.kind, c.opts == nil), func(t *testing.T) {
			const batch, in, hidden = 2, 3, 4
			m := graph.NewModel(graph.Float64, 5)
			cell, err := newTestCell(m, c.kind, "cell", in, hidden, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			x := inputParam(t, m, batch, in)
			h0, err := m.NewParamFrom("h0", tensor.Shape{batch, hidden}, randn(11, batch*hidden))
			if err != nil {
				t.Fatal(err)
			}
			s := State{H: h0.Node()}
			if c.kind == LSTM {
				c0, err := m.NewParamFrom("c0", tensor.Shape{batch, hidden}, randn(12, batch*hidden))
				if err != nil {
					t.Fatal(err)
				}
				s.C = c0.Node()
			}
			for step := 0; step < 2; step++ {
				if s, err = cell.Forward(x, s); err != nil {
					t.Fatal(err)
				}
			}
			y := s.H
			if c.kind == LSTM {
				if y, err = ops.Concat(1, s.H, s.C); err != nil {
					t.Fatal(err)
				}
			}
			checkGrad(t, m, y, nil)
		})
	}
}

// TestElmanIsTheSeedFormula computes S_t = f(U·X_t + W·S_{t−1}) and
// O_t = g(V·S_t) by hand, with U, W and V as matrices acting on column
// vectors (the transposes of gorgonet's [in,out] weights), f = tanh and
// g = softmax, and compares them with an Elman RNN followed by a Linear
// layer and a softmax over T = 4 steps from S_0 = 0.
func TestElmanIsTheSeedFormula(t *testing.T) {
	const batch, steps, in, hidden, out = 2, 4, 3, 5, 4
	m := graph.NewModel(graph.Float64, 8)
	r, err := NewRNN(m, "rnn", RNNConfig{Cell: Elman, Input: in, Hidden: hidden})
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewLinear(m, "out", hidden, out)
	if err != nil {
		t.Fatal(err)
	}
	x, xv := rnnInput(t, m, "x", 4, batch, steps, in)
	s, _, err := r.Forward(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := v.Forward(s)
	if err != nil {
		t.Fatal(err)
	}
	o, err := ops.Softmax(logits)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := m.CompileForward(s, o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := prog.Forward(graph.Feeds{"x": xv})
	if err != nil {
		t.Fatal(err)
	}
	c := r.Cells[0][0].base()
	// U [hidden,in], W [hidden,hidden], V [out,hidden] act on column vectors.
	U := refMatT(float64s(c.WeightIH.Value()), in, hidden)
	W := refMatT(float64s(c.WeightHH.Value()), hidden, hidden)
	V := refMatT(float64s(v.Weight.Value()), hidden, out)
	bS := refAdd(float64s(c.BiasIH.Value()), float64s(c.BiasHH.Value()))
	bO := float64s(v.Bias.Value())
	var maxDiff float64
	for b := 0; b < batch; b++ {
		S := make([]float64, hidden) // S_0 = 0
		for ts := 0; ts < steps; ts++ {
			X := xv.Float64s()[(b*steps+ts)*in:][:in]
			pre := refAdd(refAdd(refMatVec(U, X), refMatVec(W, S)), bS)
			for j := range S {
				S[j] = math.Tanh(pre[j]) // f = tanh
			}
			O := refSoftmax(refAdd(refMatVec(V, S), bO)) // g = softmax
			maxDiff = math.Max(maxDiff, refMaxDiff(got[0].Float64s()[(b*steps+ts)*hidden:][:hidden], S))
			maxDiff = math.Max(maxDiff, refMaxDiff(got[1].Float64s()[(b*steps+ts)*out:][:out], O))
		}
	}
	if maxDiff > 1e-12 {
		t.Fatalf("Elman RNN differs from S_t = tanh(U·X_t + W·S_{t−1}), O_t = refSoftmax(V·S_t) by %g", maxDiff)
	}
}

// matrixT returns the transpose of the row-major rows×cols w as [cols][rows].
func refMatT(w []float64, rows, cols int) [][]float64 {
	out := make([][]float64, cols)
	for j := range out {
		out[j] = make([]float64, rows)
		for i := range out[j] {
			out[j][i] = w[i*cols+j]
		}
	}
	return out
}

func refMatVec(a [][]float64, v []float64) []float64 {
	out := make([]float64, len(a))
	for i, r := range a {
		for j, x := range r {
			out[i] += x * v[j]
		}
	}
	return out
}

func refAdd(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] + b[i]
	}
	return out
}

func refSoftmax(v []float64) []float64 {
	out := make([]float64, len(v))
	var s float64
	for i, x := range v {
		out[i] = math.Exp(x)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

func TestRNNCellReLU(t *testing.T) {
	m := graph.NewModel(graph.Float64, 2)
	c, err := NewRNNCell(m, "cell", 2, 3, ReLU, WeightInit(graph.Normal(1)))
	if err != nil {
		t.Fatal(err)
	}
	x, xv := rnnInput(t, m, "x", 9, 4, 2)
	s, err := c.Forward(x, State{})
	if err != nil {
		t.Fatal(err)
	}
	got := forward(t, m, s.H, graph.Feeds{"x": xv})
	ref := refOf(t, c)
	for b := 0; b < 4; b++ {
		pre := refAdd(refAffine(refRow(xv.Float64s(), b, 2), ref.wih, ref.bih), ref.bhh)
		for j, p := range pre {
			if want := math.Max(p, 0); math.Abs(got[b*3+j]-want) > 1e-12 {
				t.Fatalf("h[%d,%d] = %v, want relu(%v)", b, j, got[b*3+j], p)
			}
		}
	}
}

// TestCellInit checks PyTorch's default U(−1/√H, 1/√H) and the shapes.
func TestCellInit(t *testing.T) {
	for _, kind := range []CellKind{Elman, LSTM, GRU} {
		m := graph.NewModel(graph.Float32, 1)
		c, err := newTestCell(m, kind, "c", 7, 64)
		if err != nil {
			t.Fatal(err)
		}
		g := c.base().gates
		wantShapes := []tensor.Shape{{7, g * 64}, {64, g * 64}, {g * 64}, {g * 64}}
		a := 1 / math.Sqrt(64)
		for i, p := range c.Params() {
			if !p.Shape().Eq(wantShapes[i]) {
				t.Errorf("%v %s: shape %v, want %v", kind, p.Name(), p.Shape(), wantShapes[i])
			}
			v := float64s(p.Value())
			lo, hi := v[0], v[0]
			for _, x := range v {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
			if lo < -a || hi > a || (len(v) > 100 && (lo > -0.9*a || hi < 0.9*a)) {
				t.Errorf("%v %s: values in [%v, %v], want U(−%v, %v)", kind, p.Name(), lo, hi, a, a)
			}
		}
	}
}

func TestCellErrors(t *testing.T) {
	m := graph.NewModel(graph.Float64, 1)
	_, err := NewLSTMCell(m, "bad", 0, 3)
	wantError(t, err, `LSTMCell "bad"`, "positive")
	c, err := NewGRUCell(m, "gru", 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := m.Input("x", 2, 5)
	_, err = c.Forward(x, State{})
	wantError(t, err, `GRUCell "gru"`, "(2, 5)", "[B,3]")
	x3, _ := m.Input("x3", 2, 3)
	h, _ := m.Input("h", 3, 4)
	_, err = c.Forward(x3, State{H: h})
	wantError(t, err, `GRUCell "gru"`, "state H", "(3, 4)", "(2, 4)")
	_, err = c.Forward(x3, State{H: x3, C: x3})
	wantError(t, err, "state")
	l, err := NewLSTMCell(m, "lstm", 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := m.Input("h2", 2, 4)
	_, err = l.Forward(x3, State{H: h2})
	wantError(t, err, `LSTMCell "lstm"`, "state C is nil")
}

// directionalCheck compares the gradient of loss along random directions with
// central differences of loss, for models too large for GradCheck's
// element-by-element check (a random direction meets every element, so a
// wrong or merged gradient anywhere shows).
func directionalCheck(t *testing.T, m *graph.Model, loss *gorgonia.Node, feeds graph.Feeds, dirs int) {
	t.Helper()
	prog, err := m.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prog.Forward(feeds); err != nil {
		t.Fatal(err)
	}
	params := prog.Trained()
	grads := make([][]float64, len(params))
	for i, p := range params {
		grads[i] = float64s(p.Grad())
	}
	prog.ZeroGrad()
	eval := func() float64 {
		out, err := prog.Forward(feeds)
		if err != nil {
			t.Fatal(err)
		}
		prog.ZeroGrad()
		return out[0].Data().(float64)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const eps = 1e-5
	for d := 0; d < dirs; d++ {
		var analytic, norm float64
		dir := make([][]float64, len(params))
		for i := range params {
			dir[i] = make([]float64, len(grads[i]))
			for j := range dir[i] {
				dir[i][j] = rng.NormFloat64()
				norm += dir[i][j] * dir[i][j]
			}
		}
		norm = math.Sqrt(norm)
		shift := func(scale float64) {
			for i, p := range params {
				v := p.Value().Float64s()
				for j := range v {
					v[j] += scale * dir[i][j] / norm
				}
			}
		}
		for i := range params {
			for j, g := range grads[i] {
				analytic += g * dir[i][j] / norm
			}
		}
		shift(eps)
		plus := eval()
		shift(-2 * eps)
		minus := eval()
		shift(eps)
		numeric := (plus - minus) / (2 * eps)
		rel := math.Abs(analytic-numeric) / math.Max(math.Max(math.Abs(analytic), math.Abs(numeric)), 1e-3)
		t.Logf("direction %d: analytic %.10g numeric %.10g rel %.2g", d, analytic, numeric, rel)
		if rel > 1e-6 {
			t.Fatalf("directional derivative %d: analytic %v, numeric %v (relative error %g)", d, analytic, numeric, rel)
		}
	}
}

// TestCellGradients256 checks the gradients of LSTM and GRU cells with 256
// hidden units, whose gate blocks lie 256 columns apart (gorgonia's Slice
// would merge them), along random directions.
func TestCellGradients256(t *testing.T) {
	for _, kind := range []CellKind{LSTM, GRU} {
		t.Run(kind.String(), func(t *testing.T) {
			const batch, in, hidden = 2, 3, 256
			m := graph.NewModel(graph.Float64, 6)
			cell, err := newTestCell(m, kind, "cell", in, hidden)
			if err != nil {
				t.Fatal(err)
			}
			x, xv := rnnInput(t, m, "x", 1, batch, in)
			s := State{}
			for step := 0; step < 2; step++ {
				if s, err = cell.Forward(x, s); err != nil {
					t.Fatal(err)
				}
			}
			directionalCheck(t, m, weightedSum(t, m, s.H), graph.Feeds{"x": xv}, 3)
		})
	}
}
