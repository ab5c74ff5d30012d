//go:build ignore

// Command genbindings writes gomacro bindings for the packages named on its
// command line into the imports folder of the gophernotes module it is run in
// (what `import _b "path"` does inside the kernel), so that the kernel built
// from that module afterwards imports them at once, without compiling plugins.
//
// notebooks/kernel/build.sh copies it into the kernel's module and runs it
// there with GOPATH set so that gomacro finds that module's imports folder,
// after `go mod tidy` has required the packages' modules at gorgonet's versions.
// gomacro runs `go get PACKAGE…` before loading the packages, which would
// upgrade their modules to the newest versions the proxy has (gonum, plot);
// genbindings points gomacro at a go command that skips `go get` instead.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/cosmos72/gomacro/base/paths"
	"github.com/cosmos72/gomacro/fast"

	// Its init points gomacro at gophernotes' imports folder.
	_ "github.com/gopherdata/gophernotes/imports"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: genbindings IMPORTS-DIR PACKAGE...")
		os.Exit(2)
	}
	want, err := filepath.Abs(os.Args[1])
	if err != nil {
		fail(err)
	}
	if got := paths.GetImportsSrcDir(); filepath.Clean(got) != want {
		fail(fmt.Errorf("gomacro would write the bindings into %s, not %s (is GOPATH set to the folder above src/github.com/gopherdata/gophernotes?)", got, want))
	}
	goroot, err := goWithoutGet()
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(goroot)
	paths.GoRootDir = goroot

	pkgs := make(map[string]fast.PackageName, len(os.Args)-2)
	for _, p := range os.Args[2:] {
		pkgs[p] = "_b" // "_b": write bindings into the imports folder
	}
	_, err = fast.New().ImportPackagesOrError(pkgs)
	if err == nil {
		err = removeEmpty(want)
	}
	if err != nil {
		os.RemoveAll(goroot)
		fail(err)
	}
}

// goWithoutGet returns a new folder holding bin/go, a go command that does
// nothing for `go get` and runs the real go command otherwise.
func goWithoutGet() (string, error) {
	real, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	real, err = filepath.Abs(real)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "genbindings-goroot")
	if err != nil {
		return "", err
	}
	script := fmt.Sprintf("#!/bin/sh\n[ \"$1\" = get ] && exit 0\nexec %q \"$@\"\n", real)
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		return dir, err
	}
	return dir, os.WriteFile(filepath.Join(dir, "bin", "go"), []byte(script), 0o755)
}

// removeEmpty removes the empty files gomacro writes for packages that export
// nothing (distributed/mpi without its build tag): they would not compile.
func removeEmpty(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if st, err := os.Stat(f); err != nil {
			return err
		} else if st.Size() == 0 {
			fmt.Fprintf(os.Stderr, "genbindings: %s: nothing exported, removed\n", filepath.Base(f))
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "genbindings:", err)
	os.Exit(1)
}
