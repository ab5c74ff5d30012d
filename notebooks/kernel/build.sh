#!/usr/bin/env bash
# Builds the gophernotes Jupyter kernel with gorgonet compiled in and installs
# its kernel spec, into project-local folders ignored by git:
#
#   .tools/gophernotes/src/github.com/gopherdata/gophernotes   the kernel's module (a copy, see below)
#   .tools/bin/gophernotes                                     the kernel
#   .tools/jupyter/kernels/gophernotes/                        its kernel spec (JUPYTER_PATH=.tools/jupyter)
#
# Nothing of gophernotes is in the repository: the module comes from the Go
# module proxy at the pinned version, and this script corrects one line pair
# in its copy. gorgonet's packages are compiled into the kernel as gomacro
# bindings, so the kernel is rebuilt whenever gorgonet's code, go.mod or go.sum
# (or this script) changes: a stamp over their hashes tells. Without changes
# the script returns at once.
#
#   notebooks/kernel/build.sh           build if needed
#   notebooks/kernel/build.sh -f        build even if the stamp matches
#
# The recipe:
#  1. gophernotes v0.7.5 from the proxy, copied into a writable folder (`go install …@v0.7.5`
#     is refused: the proxy answers 403 to its deprecation look-up).
#  2. Its x_package.go declares the proxy of display.JSONer with `JSON() string` while display.go
#     declares `JSON() map[string]interface{}`; gomacro checks interface proxies when the kernel
#     starts and panics on the difference, so the copy is corrected to agree with display.go.
#  3. Its go.mod: gomacro at the newest version the proxy serves (it skips generic symbols),
#     golang.org/x/tools v0.52.0 (the v0.14.0 gomacro asks for does not compile on Go 1.26),
#     `godebug gotypesalias=0` (gomacro's type converter predates types.Alias), gorgonet from
#     this checkout (replace) with its go.mod's versions.
#  4. gomacro bindings (what `import _b "path"` writes) for gorgonet's public packages, listed
#     with `go list`, and gorgonia, tensor, gonum/mat, gonum/stat and math/rand/v2, into the
#     copy's imports folder: imports are instant and no plugin is ever built.
#  5. `go build` of the kernel, and its kernel spec `gophernotes`.
set -euo pipefail

cd "$(dirname "$0")/../.."
root=$PWD
tools=$root/.tools
gopath=$tools/gophernotes # GOPATH while generating bindings: gomacro looks for its imports folder below it
src=$gopath/src/github.com/gopherdata/gophernotes
bin=$tools/bin/gophernotes
spec=$tools/jupyter/kernels/gophernotes
stamp=$tools/gophernotes/stamp

gophernotes_version=v0.7.5
gomacro_version=v0.0.0-20240506194242-2ff796e3da10
xtools_version=v0.52.0
# Bound besides gorgonet's own packages: what notebooks use from gorgonet's dependencies.
extra_packages=(gorgonia.org/gorgonia gorgonia.org/tensor gonum.org/v1/gonum/mat gonum.org/v1/gonum/stat math/rand/v2)

log() { echo "kernel: $*"; }

# packages lists gorgonet's public library packages: no main, internal or cmd packages.
packages() {
	go list -f '{{if ne .Name "main"}}{{.ImportPath}}{{end}}' ./... | grep -Ev '/(internal|cmd)(/|$)'
}

# sources_hash hashes what the kernel is built from: gorgonet's Go sources
# (tests excluded), go.mod, go.sum, this folder and the Go toolchain's version.
sources_hash() {
	{
		go version
		find . -path ./.tools -prune -o -path ./.git -prune -o -name '*.go' ! -name '*_test.go' -print |
			LC_ALL=C sort | xargs sha256sum
		sha256sum go.mod go.sum notebooks/kernel/*
	} | sha256sum | cut -d' ' -f1
}

# use_proxy_only makes the go command ask the configured module proxy and
# nothing else: gomacro's `go get` of a package path such as
# github.com/gorgonet/gorgonet/graph probes it as a module path too, and the
# proxy answers 403 (not 404), which stops `go get` unless the list ends in `|off`.
use_proxy_only() {
	local proxy first
	proxy=$(go env GOPROXY)
	first=${proxy%%[,|]*}
	case $first in
	direct | off | "") ;;
	*) export GOPROXY="$first|off" ;;
	esac
}

# fetch_module copies gophernotes from the module cache (downloading it from
# the proxy first) into $src, writable.
fetch_module() {
	local dir
	dir=$(cd "$tools" && GOFLAGS= go mod download -json "github.com/gopherdata/gophernotes@$gophernotes_version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$dir" ] || { log "go mod download gave no folder for gophernotes $gophernotes_version"; exit 1; }
	rm -rf "$gopath/src"
	mkdir -p "$(dirname "$src")"
	cp -r "$dir" "$src"
	chmod -R u+w "$src"
}

# correct_jsoner makes x_package.go's proxy of display.JSONer declare the
# method display.go declares, failing if either file is not as expected.
correct_jsoner() {
	local f=$src/x_package.go
	grep -q '^	JSON() map\[string\]interface{}$' "$src/display.go" || {
		log "display.go no longer declares JSONer as JSON() map[string]interface{}: review the correction"; exit 1
	}
	sed -i \
		-e 's/^\(	JSON_  func(interface{})\) string$/\1 map[string]interface{}/' \
		-e 's/^\(func (P \*proxy_JSONer) JSON()\) string {$/\1 map[string]interface{} {/' "$f"
	[ "$(grep -c 'JSON_* *func(interface{}) map\[string\]interface{}\|proxy_JSONer) JSON() map\[string\]interface{} {' "$f")" = 2 ] || {
		log "x_package.go: the JSONer proxy was not corrected (its text changed?)"; exit 1
	}
}

# write_go_mod sets the kernel module's requirements: gomacro and x/tools as
# above, gorgonet from this checkout (its go.mod brings its versions).
write_go_mod() {
	(cd "$src" && go mod edit -go=1.26 -godebug=gotypesalias=0 \
		-require="github.com/cosmos72/gomacro@$gomacro_version" \
		-require="golang.org/x/tools@$xtools_version" \
		-require=github.com/gorgonet/gorgonet@v0.0.0 -replace="github.com/gorgonet/gorgonet=$root")
}

# bind writes the gomacro bindings of every package to bind into $src/imports.
bind() {
	local pkgs
	mapfile -t pkgs < <(packages)
	pkgs+=("${extra_packages[@]}")
	log "binding ${#pkgs[@]} packages: ${pkgs[*]}"
	# A file importing the packages makes `go mod tidy` require their modules
	# (at the versions gorgonet's go.mod selects) before the bindings exist.
	{
		echo "package main"
		printf 'import _ "%s"\n' "${pkgs[@]}"
	} >"$src/bound_packages.go"
	cp notebooks/kernel/genbindings.go "$src/genbindings.go"
	# GOMODCACHE stays where it is: it would otherwise move below the new GOPATH.
	(cd "$src" && go mod tidy && GOMODCACHE=$(go env GOMODCACHE) GOPATH=$gopath go run genbindings.go "$src/imports" "${pkgs[@]}") >"$tools/gophernotes/bind.log" 2>&1 || {
		cat "$tools/gophernotes/bind.log" >&2; log "generating the bindings failed"; exit 1
	}
	rm "$src/genbindings.go" "$src/bound_packages.go"
}

build() {
	(cd "$src" && go mod tidy && go build -o "$bin" .)
}

install_spec() {
	mkdir -p "$spec"
	cp "$src"/kernel/logo-*.png "$spec/"
	cat >"$spec/kernel.json" <<EOF
{
  "argv": ["$bin", "{connection_file}"],
  "display_name": "Go (gophernotes)",
  "language": "go",
  "name": "gophernotes"
}
EOF
}

want=$(sources_hash)
if [ "${1:-}" != -f ] && [ -x "$bin" ] && [ -f "$spec/kernel.json" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	exit 0
fi
start=$SECONDS
mkdir -p "$tools/bin" "$gopath"
use_proxy_only
fetch_module
correct_jsoner
write_go_mod
bind
bound=$SECONDS
build
install_spec
echo "$want" >"$stamp"
log "gophernotes $gophernotes_version built with gorgonet compiled in ($((SECONDS - start)) s: bindings $((bound - start)) s, build $((SECONDS - bound)) s): $bin"
