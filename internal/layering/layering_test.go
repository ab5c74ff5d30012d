package layering

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/gorgonet/gorgonet"

// levels places every package of the module (path below the module; a
// trailing "/" covers a folder) on a level. A package may import only
// packages on lower levels, and the internal packages only each other: the
// graph core sits on the file formats and kernels, the ops on the core, the
// layers on the ops, the models on the layers, the programs on everything.
// A new package gets a line here.
var levels = []struct {
	path  string
	level int
}{
	{"internal/", 0}, // kernels, file and log helpers: nothing public
	{"safetensors", 1},
	{"plot", 1},
	{"datasets", 1},
	{"distributed/mpi", 1},
	{"graph", 2},
	{"ops", 3},
	{"optim", 3},
	{"layers", 4},
	{"models/sampling", 5},
	{"models", 6},
	{"models/rnn", 7},
	{"models/transformer", 7},
	{"distributed", 8},
	{"interop", 8},
	{"train", 9},
	{"cmd/", 10},
	{"bench", 10},
	{"bench/", 10},
}

// levelOf returns the level of a package path below the module.
func levelOf(rel string) (int, bool) {
	for _, l := range levels {
		if rel == l.path || strings.HasSuffix(l.path, "/") && strings.HasPrefix(rel, l.path) {
			return l.level, true
		}
	}
	return 0, false
}

// listedPackage is the part of `go list -json` read here.
type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
	Export     string
}

// goList runs `go list -export -deps -json` on the module's packages.
func goList(t *testing.T) []listedPackage {
	t.Helper()
	watchSources(t)
	cmd := exec.Command("go", "list", "-export", "-deps", "-json", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// watchSources lists every folder of the module and reads go.mod. What the
// `go list` subprocess reads is invisible to go test's result cache, which
// would otherwise answer "ok (cached)" after a new file or package broke a
// rule; the folders this process lists are part of the cache key.
func watchSources(t *testing.T) {
	t.Helper()
	root := filepath.Join("..", "..")
	if _, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// own returns the path of p below the module, or false for other modules'
// and the standard library's packages.
func own(path string) (string, bool) {
	if path == module {
		return "", true
	}
	return strings.CutPrefix(path, module+"/")
}

// TestImportLayering fails when a package imports one on its own or a
// higher level, when an internal package imports a public one, and when a
// package has no level in the table.
func TestImportLayering(t *testing.T) {
	checked := 0
	for _, p := range goList(t) {
		rel, ok := own(p.ImportPath)
		if !ok {
			continue
		}
		checked++
		level, ok := levelOf(rel)
		if !ok {
			t.Errorf("package %s has no level: add it to levels in internal/layering/layering_test.go", rel)
			continue
		}
		for _, imp := range p.Imports {
			irel, ok := own(imp)
			if !ok {
				continue
			}
			ilevel, known := levelOf(irel)
			internal := strings.HasPrefix(rel, "internal/")
			switch {
			case !known:
				// reported for the imported package itself
			case internal && !strings.HasPrefix(irel, "internal/"):
				t.Errorf("internal package %s imports the public package %s", rel, irel)
			case internal:
				// internal packages may use each other
			case ilevel >= level:
				t.Errorf("%s (level %d) imports %s (level %d): a package imports only lower levels", rel, level, irel, ilevel)
			}
		}
	}
	if checked < 15 {
		t.Fatalf("go list found %d of the module's packages", checked)
	}
}

// opOwners are the packages allowed to define Gorgonia ops.
var opOwners = map[string]bool{"ops": true}

// TestOpsOnlyInOps type-checks every package of the module (against the
// export data of its imports) and fails when a package other than ops
// declares a type implementing gorgonia.Op: layers and models compose ops,
// they do not define them.
func TestOpsOnlyInOps(t *testing.T) {
	pkgs := goList(t)
	exports := map[string]string{}
	for _, p := range pkgs {
		exports[p.ImportPath] = p.Export
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, os.ErrNotExist
		}
		return os.Open(f)
	})
	gorgonia, err := imp.Import("gorgonia.org/gorgonia")
	if err != nil {
		t.Fatal(err)
	}
	op := gorgonia.Scope().Lookup("Op").Type().Underlying().(*types.Interface)
	found := 0
	for _, p := range pkgs {
		rel, ok := own(p.ImportPath)
		if !ok || len(p.GoFiles) == 0 {
			continue
		}
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		conf := types.Config{Importer: imp, FakeImportC: true}
		pkg, err := conf.Check(p.ImportPath, fset, files, nil)
		if err != nil {
			t.Fatalf("type-checking %s: %v", rel, err)
		}
		var ops []string
		for _, name := range pkg.Scope().Names() {
			tn, ok := pkg.Scope().Lookup(name).(*types.TypeName)
			if !ok || types.IsInterface(tn.Type()) {
				continue
			}
			if types.Implements(tn.Type(), op) || types.Implements(types.NewPointer(tn.Type()), op) {
				ops = append(ops, name)
			}
		}
		sort.Strings(ops)
		found += len(ops)
		if len(ops) > 0 && !opOwners[rel] {
			t.Errorf("package %s defines Gorgonia ops %v: ops belong in package ops", rel, ops)
		}
	}
	if found == 0 {
		t.Error("found no Gorgonia op anywhere: the check cannot see them")
	}
}

// TestArchitectureTable checks the package tables of ARCHITECTURE.md against
// `go list`: every package of the module has one row, and a row's last
// column names exactly the module packages it imports ("—" for none).
func TestArchitectureTable(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		name, ok := backticked(cells[0])
		if !strings.HasPrefix(line, "| `") || !ok || len(cells) != 3 {
			continue
		}
		if _, dup := rows[name]; dup {
			t.Errorf("ARCHITECTURE.md has two rows for %s", name)
		}
		var imports []string
		if last := strings.TrimSpace(cells[2]); last != "—" {
			for _, c := range strings.Split(last, ", ") {
				imp, ok := backticked(c)
				if !ok {
					t.Errorf("ARCHITECTURE.md row %s: imports column %q is not a list of `package`s or —", name, last)
				}
				imports = append(imports, imp)
			}
		}
		rows[name] = imports
	}
	for _, p := range goList(t) {
		rel, ok := own(p.ImportPath)
		if !ok {
			continue
		}
		var want []string
		for _, imp := range p.Imports {
			if irel, ok := own(imp); ok {
				want = append(want, irel)
			}
		}
		sort.Strings(want)
		got, listed := rows[rel]
		delete(rows, rel)
		switch {
		case !listed:
			t.Errorf("ARCHITECTURE.md has no row for package %s (imports %s)", rel, orNone(want))
		case strings.Join(got, ", ") != strings.Join(want, ", "):
			t.Errorf("ARCHITECTURE.md says %s imports %s; go list says %s", rel, orNone(got), orNone(want))
		}
	}
	for name := range rows {
		t.Errorf("ARCHITECTURE.md lists %s, which is not a package of the module", name)
	}
}

// backticked returns s without its enclosing backquotes.
func backticked(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 3 || s[0] != '`' || s[len(s)-1] != '`' || strings.ContainsAny(s[1:len(s)-1], "` ") {
		return "", false
	}
	return s[1 : len(s)-1], true
}

func orNone(pkgs []string) string {
	if len(pkgs) == 0 {
		return "—"
	}
	return strings.Join(pkgs, ", ")
}
