package graph

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// GradCheckOptions configures GradCheck. The zero value is usable.
type GradCheckOptions struct {
	// Feeds holds the values of the inputs the loss depends on.
	Feeds Feeds
	// Eps is the central-difference step h (default 1e-6).
	Eps float64
	// Floor is the smallest denominator of the relative error (default 1e-3),
	// so that gradients near zero are compared absolutely.
	Floor float64
}

// GradCheckResult reports the worst element found by GradCheck.
type GradCheckResult struct {
	MaxRelError float64 // max |a−n| / max(|a|, |n|, Floor) over every element checked
	Param       string  // the parameter holding the worst element
	Index       int     // its flat index
	Analytic    float64 // symbolic gradient there
	Numeric     float64 // central-difference gradient there
	Checked     int     // number of elements checked
}

func (r GradCheckResult) String() string {
	return fmt.Sprintf("max relative error %.3g at %s[%d] (analytic %.10g, numeric %.10g; %d elements)",
		r.MaxRelError, r.Param, r.Index, r.Analytic, r.Numeric, r.Checked)
}

// GradCheck compares the symbolic gradient of loss with respect to every
// trainable parameter of m against central differences
// (f(θ+h) − f(θ−h)) / 2h, element by element, like torch.autograd.gradcheck.
// To check a gradient with respect to an input, declare the input as a
// parameter (NewParamFrom). m must be a Float64 model; GradCheck compiles its
// training program, so m cannot be compiled again afterwards. The dropout RNG
// is rewound before every evaluation so that all of them see the same masks.
func GradCheck(m *Model, loss *gorgonia.Node, opts GradCheckOptions) (GradCheckResult, error) {
	var res GradCheckResult
	if m.dtype != Float64 {
		return res, errors.Errorf("graph: GradCheck needs a Float64 model, got %v", m.dtype)
	}
	if opts.Eps == 0 {
		opts.Eps = 1e-6
	}
	if opts.Floor == 0 {
		opts.Floor = 1e-3
	}
	prog, err := m.Compile(loss)
	if err != nil {
		return res, err
	}
	rngState, err := m.DropoutState()
	if err != nil {
		return res, err
	}
	eval := func() (float64, error) {
		if err := m.SetDropoutState(rngState); err != nil {
			return 0, err
		}
		l, err := prog.lossAndGrads(opts.Feeds)
		prog.ZeroGrad()
		return l, err
	}
	if err := m.SetDropoutState(rngState); err != nil {
		return res, err
	}
	if _, err := prog.lossAndGrads(opts.Feeds); err != nil {
		return res, err
	}
	analytic := make([][]float64, len(prog.trained))
	for i, p := range prog.trained {
		g := p.Grad()
		if g == nil {
			return res, errors.Errorf("graph: GradCheck: no gradient for %q", p.name)
		}
		analytic[i] = append([]float64(nil), g.Data().([]float64)...)
	}
	prog.ZeroGrad()
	res.MaxRelError = -1
	for i, p := range prog.trained {
		values := p.Value().Data().([]float64)
		for j := range values {
			orig := values[j]
			values[j] = orig + opts.Eps
			plus, err := eval()
			if err != nil {
				return res, err
			}
			values[j] = orig - opts.Eps
			minus, err := eval()
			values[j] = orig
			if err != nil {
				return res, err
			}
			numeric := (plus - minus) / (2 * opts.Eps)
			a := analytic[i][j]
			rel := math.Abs(a-numeric) / math.Max(math.Max(math.Abs(a), math.Abs(numeric)), opts.Floor)
			if math.IsNaN(rel) {
				rel = math.Inf(1)
			}
			res.Checked++
			if rel > res.MaxRelError {
				res.MaxRelError, res.Param, res.Index, res.Analytic, res.Numeric = rel, p.name, j, a, numeric
			}
		}
	}
	return res, nil
}
