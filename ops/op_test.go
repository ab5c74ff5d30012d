package ops

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"gorgonia.org/tensor"
)

// kernelTypes returns the kernels of the package, every type with a compute
// method, each with the file it is declared in.
func kernelTypes(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	kernels := map[string]string{} // type → file
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || len(fd.Recv.List) != 1 || fd.Name.Name != "compute" {
				continue
			}
			typ := fd.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			if id, ok := typ.(*ast.Ident); ok {
				kernels[id.Name] = name
			}
		}
	}
	if len(kernels) < 24 {
		t.Fatalf("found %d kernels only: %v", len(kernels), kernels)
	}
	return kernels
}

// kernelName returns the name of k's type (without the pointer).
func kernelName(k kernel) string {
	ty := reflect.TypeOf(k)
	if ty.Kind() == reflect.Pointer {
		ty = ty.Elem()
	}
	return ty.Name()
}

// hashCases returns one op of every kernel type, each field set to a value
// that a perturbation can move in either direction.
func hashCases() []kernel {
	drop := &dropoutOp{id: 3, p: 0.1}
	ln := layerNormOp{eps: 1e-5, bias: true, dims: 3}
	narrow := narrowOp{axis: 1, start: 1, length: 2}
	ce := crossEntropyOp{ignore: -1, rank: 2}
	flash := &flashAttentionOp{scale: 0.5, causal: true, padded: true}
	rec := recDims{cell: RecurrentLSTM, batch: 2, steps: 3, hidden: 4, vocab: 5, bias: true, mask: true, reverse: true, timeMajor: true}
	return []kernel{
		affineOp{bias: true, dims: 3}, affineGradInputOp{dims: 3}, affineGradWeightOp{dims: 3}, sumRowsOp{dims: 3},
		bmmOp{l: BMMLayout{TransA: true, AInterleaved: true}, dims: 4},
		concatOp{axis: 1, sizes: []int{2, 3}},
		ce, crossEntropyDiffOp{fwd: ce},
		drop, dropoutDiffOp{fwd: drop},
		geluOp{}, geluDiffOp{tanh: true},
		ln, layerNormGradOp{fwd: ln, wrt: lnWrtGain},
		narrow, narrowDiffOp{fwd: narrow, in: tensor.Shape{3, 4}},
		softmaxOp{}, softmaxDiffOp{log: true},
		recForwardOp{d: rec}, recOutputOp{d: rec}, recGradOp{d: rec},
		maskedSoftmaxOp{scale: 0.5, causal: true}, maskedSoftmaxGradOp{scale: 0.5},
		paddingMaskOp{pad: 1, dt: tensor.Float32},
		&cachedAttentionOp{heads: 2},
		flash, flashAttentionGradOp{fwd: flash},
	}
}

// notParams are the fields of kernels that are state, not parameters, and
// stay out of the hash.
var notParams = map[string]string{
	"dropoutOp.rng":         "the generator the masks are drawn from (shared by a model's dropouts)",
	"dropoutOp.keep":        "the mask of the last run",
	"cachedAttentionOp.s32": "scratch for the scores, reused from run to run",
	"cachedAttentionOp.s64": "scratch for the scores, reused from run to run",
	"flashAttentionOp.lse":  "the log-sum-exp of every query row of the last run",
}

// TestOpHashCoversEveryParameter checks, for every kernel of the package,
// that changing any one of its parameters changes its op's hash, also by
// amounts a narrow encoding would lose (an int by 256 and by 2³², a float to
// the next float64), since gorgonia merges nodes whose op hashes and
// children agree; and that every kernel type has a case here.
func TestOpHashCoversEveryParameter(t *testing.T) {
	covered := map[string]bool{}
	for _, k := range hashCases() {
		name := kernelName(k)
		covered[name] = true
		h := asOp(k).Hashcode()
		if again := asOp(k).Hashcode(); again != h {
			t.Errorf("%v: hash %x, then %x", k, h, again)
		}
		for _, p := range perturbations(reflect.ValueOf(k), name) {
			if _, ok := notParams[p.decl]; ok {
				continue
			}
			changed := p.apply(k)
			if asOp(changed).Hashcode() == h {
				t.Errorf("%v and %v (%s %s) have the same hash", k, changed, p.field, p.how)
			}
		}
	}
	for typ, file := range kernelTypes(t) {
		if !covered[typ] {
			t.Errorf("%s (%s) has no case in hashCases", typ, file)
		}
	}
}

// perturbation changes one field of a kernel in a copy of it.
type perturbation struct {
	field, how string
	decl       string // the field's declaration: type.field
	path       []int  // field indices from the kernel's struct down; -1: through a pointer; -2-i: element i of a slice
	change     func(reflect.Value)
}

// apply returns a deep copy of k with the perturbation applied.
func (p perturbation) apply(k kernel) kernel {
	c := deepCopy(reflect.ValueOf(k))
	v := c
	for _, i := range p.path {
		switch {
		case i == -1:
			v = v.Elem()
		case i <= -2:
			v = v.Index(-2 - i)
		default:
			v = v.Field(i)
		}
		v = settable(v)
	}
	p.change(v)
	return c.Interface().(kernel)
}

// settable returns v, made settable if it is an addressable unexported field.
func settable(v reflect.Value) reflect.Value {
	if v.CanSet() || !v.CanAddr() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// deepCopy returns an addressable deep copy of v (structs, pointers to them,
// slices and plain values).
func deepCopy(v reflect.Value) reflect.Value {
	c := reflect.New(v.Type()).Elem()
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			c.Set(deepCopy(v.Elem()).Addr())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(tensor.Dtype{}) {
			c.Set(v)
			break
		}
		for i := 0; i < v.NumField(); i++ {
			settable(c.Field(i)).Set(deepCopy(settable(field(v, i))))
		}
	case reflect.Slice:
		if !v.IsNil() {
			c.Set(reflect.MakeSlice(v.Type(), v.Len(), v.Len()))
			for i := 0; i < v.Len(); i++ {
				c.Index(i).Set(deepCopy(v.Index(i)))
			}
		}
	default:
		c.Set(v)
	}
	return c
}

// field returns field i of struct v, readable even when unexported.
func field(v reflect.Value, i int) reflect.Value {
	if v.CanAddr() {
		return settable(v.Field(i))
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(v)
	return settable(c.Field(i))
}

// perturbations returns the changes of every leaf field of v, named from name.
func perturbations(v reflect.Value, name string) []perturbation {
	var out []perturbation
	var walk func(v reflect.Value, name, decl string, path []int)
	walk = func(v reflect.Value, name, decl string, path []int) {
		add := func(name string, path []int, how string, change func(reflect.Value)) {
			out = append(out, perturbation{field: name, how: how, decl: decl, path: slices.Clone(path), change: change})
		}
		switch {
		case v.Type() == reflect.TypeOf(tensor.Dtype{}):
			add(name, path, "to the other float type", func(f reflect.Value) {
				if f.Interface() == tensor.Float32 {
					f.Set(reflect.ValueOf(tensor.Float64))
				} else {
					f.Set(reflect.ValueOf(tensor.Float32))
				}
			})
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() && v.Elem().Kind() == reflect.Struct {
				walk(v.Elem(), name, decl, append(path, -1))
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				f := v.Type().Field(i).Name
				walk(field(v, i), name+"."+f, v.Type().Name()+"."+f, append(path, i))
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), fmt.Sprintf("%s[%d]", name, i), decl, append(path, -2-i))
			}
			add(name, path, "one element longer", func(f reflect.Value) {
				f.Set(reflect.Append(f, reflect.New(f.Type().Elem()).Elem()))
			})
		case reflect.Bool:
			add(name, path, "negated", func(f reflect.Value) { f.SetBool(!f.Bool()) })
		case reflect.Int, reflect.Int64:
			for _, d := range []int64{1, 256, 1 << 32} {
				add(name, path, fmt.Sprintf("+%d", d), func(f reflect.Value) { f.SetInt(f.Int() + d) })
			}
		case reflect.Uint64:
			for _, d := range []uint64{1, 256, 1 << 32} {
				add(name, path, fmt.Sprintf("+%d", d), func(f reflect.Value) { f.SetUint(f.Uint() + d) })
			}
		case reflect.Float64:
			add(name, path, "to the next float64", func(f reflect.Value) { f.SetFloat(math.Nextafter(f.Float(), math.Inf(1))) })
		}
	}
	walk(v, name, name, nil)
	return out
}
