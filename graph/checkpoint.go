package graph

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gorgonet/gorgonet/safetensors"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// ParamTensors returns the model's parameters as named tensors in creation
// order, under the names Summary shows, like PyTorch's state_dict(). The
// tensors share memory with the parameters: write them out before the next
// training step changes them.
func (m *Model) ParamTensors() []safetensors.NamedTensor {
	out := make([]safetensors.NamedTensor, len(m.params))
	for i, p := range m.params {
		out[i] = safetensors.NamedTensor{Name: p.name, T: p.Value()}
	}
	return out
}

// SetParamTensors copies tensors into the model's parameters, like PyTorch's
// load_state_dict(strict=True). tensors must hold exactly one tensor per
// parameter, under its name, with its shape and the model's element type.
// Everything is checked before anything is copied: on error no parameter
// has changed, and the error lists every missing, extra or mismatched
// tensor with the shapes involved.
func (m *Model) SetParamTensors(tensors map[string]*tensor.Dense) error {
	var problems []string
	for _, p := range m.params {
		t, ok := tensors[p.name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("parameter %q %v is missing", p.name, p.Shape()))
		case t == nil:
			problems = append(problems, fmt.Sprintf("parameter %q: nil tensor", p.name))
		case t.Dtype() != m.dtype:
			problems = append(problems, fmt.Sprintf("parameter %q has element type %v, the model %v", p.name, t.Dtype(), m.dtype))
		case !sameShape(t.Shape(), p.Shape()):
			problems = append(problems, fmt.Sprintf("parameter %q has shape %v, the model %v", p.name, t.Shape(), p.Shape()))
		}
	}
	var extra []string
	for name := range tensors {
		if _, ok := m.byName[name]; !ok {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		problems = append(problems, fmt.Sprintf("tensor %q is not a parameter of the model", name))
	}
	if len(problems) > 0 {
		const show = 8
		if len(problems) > show {
			problems = append(problems[:show], fmt.Sprintf("and %d more", len(problems)-show))
		}
		return errors.Errorf("graph: parameters do not match the model (nothing loaded): %s", strings.Join(problems, "; "))
	}
	for _, p := range m.params {
		if err := tensor.Copy(p.Value(), tensors[p.name]); err != nil {
			return errors.Wrapf(err, "graph: parameter %q", p.name)
		}
	}
	return nil
}

// sameShape reports whether a and b have the same dimensions; unlike
// tensor.Shape.Eq it does not equate (n) with (n, 1) or (1, n).
func sameShape(a, b tensor.Shape) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// SaveParams writes the model's parameters and metadata to path as a
// safetensors file, atomically (safetensors.WriteFile), under the names
// Summary shows and in the model's element type. To add optimizer state or
// other tensors to the same file, use ParamTensors, Float64Tensors and
// safetensors.WriteFile.
func (m *Model) SaveParams(path string, metadata map[string]string) error {
	return safetensors.WriteFile(path, m.ParamTensors(), metadata)
}

// LoadParams reads a file written by SaveParams into the model's parameters
// and returns its metadata. The file must hold exactly the model's
// parameters with their shapes and element type; on any error (unreadable
// or corrupt file, missing, extra or mismatched tensor) no parameter has
// changed. For files holding more than parameters, use
// safetensors.ReadFile, TakePrefix or TakeFloat64s, then SetParamTensors.
func (m *Model) LoadParams(path string) (map[string]string, error) {
	tensors, metadata, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := m.SetParamTensors(tensors); err != nil {
		return nil, errors.Wrapf(err, "loading %s", path)
	}
	return metadata, nil
}

// TakePrefix removes from tensors every entry whose name starts with prefix
// and returns them keyed by the rest of their name. A checkpoint can keep
// optimizer state or other tensors next to the parameters under a prefix
// such as "optim/", which parameter names never use.
func TakePrefix(tensors map[string]*tensor.Dense, prefix string) map[string]*tensor.Dense {
	taken := map[string]*tensor.Dense{}
	for name, t := range tensors {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			taken[rest] = t
			delete(tensors, name)
		}
	}
	return taken
}

// Float64Tensors wraps float64 slices, such as an optimizer's moment buffers
// keyed by parameter name, as 1-D F64 tensors named prefix+key, so they can
// be written with safetensors.Write next to the parameters. The tensors
// share memory with the slices; empty slices are left out (a safetensors
// tensor cannot be empty here).
func Float64Tensors(prefix string, values map[string][]float64) []safetensors.NamedTensor {
	out := make([]safetensors.NamedTensor, 0, len(values))
	for key, v := range values {
		if len(v) > 0 {
			out = append(out, safetensors.NamedTensor{Name: prefix + key, T: tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(v))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TakeFloat64s is the inverse of Float64Tensors: it removes the tensors
// named prefix+key from tensors and returns their values by key. Each must
// be a float64 tensor (of any shape; values are returned row-major); on
// error tensors is left unchanged.
func TakeFloat64s(tensors map[string]*tensor.Dense, prefix string) (map[string][]float64, error) {
	out := map[string][]float64{}
	for name, t := range tensors {
		key, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		if t == nil || t.Dtype() != tensor.Float64 {
			return nil, errors.Errorf("graph: tensor %q is not a float64 tensor", name)
		}
		v := make([]float64, t.Shape().TotalSize())
		if err := tensor.Copy(tensor.New(tensor.WithShape(t.Shape()...), tensor.WithBacking(v)), t); err != nil {
			return nil, errors.Wrapf(err, "graph: tensor %q", name)
		}
		out[key] = v
	}
	TakePrefix(tensors, prefix)
	return out, nil
}
