package layers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestLayersDefineNoOps keeps Gorgonia operations in package ops: a file of
// layers that declares a method of the gorgonia.Op interface or calls
// gorgonia.ApplyOp fails here.
func TestLayersDefineNoOps(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	opMethods := map[string]bool{"Hashcode": true, "WriteHash": true, "InferShape": true, "UsePreallocDo": true, "SymDiff": true, "DiffWRT": true}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Recv != nil && opMethods[n.Name.Name] {
					t.Errorf("%s: method %s of a Gorgonia op; ops belong in package ops", fset.Position(n.Pos()), n.Name.Name)
				}
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && x.Name == "gorgonia" && n.Sel.Name == "ApplyOp" {
					t.Errorf("%s: gorgonia.ApplyOp; ops belong in package ops", fset.Position(n.Pos()))
				}
			}
			return true
		})
	}
}
