#!/usr/bin/env bash
# Builds the gophernotes Jupyter kernel (gorgonet compiled in) into project-local
# folders and executes the notebooks headlessly, one at a time, failing on any error.
#
#   notebooks/run.sh                  install if needed, then execute every notebook
#   notebooks/run.sh 1-*.ipynb …      install if needed, then execute the named notebooks
#   notebooks/run.sh install          only install (Jupyter's nbconvert, the kernel)
#   notebooks/run.sh jupyter [args]   install, then start Jupyter (notebook or lab) on notebooks/
#
# Everything goes under .tools/ (ignored by git): notebooks/kernel/build.sh
# builds .tools/bin/gophernotes, again whenever gorgonet's code changes, and
# writes its kernel spec into .tools/jupyter (JUPYTER_PATH). Jupyter
# itself comes from Debian (apt-get install jupyter-nbconvert) unless $JUPYTER
# names another `jupyter` command. Executed copies of the notebooks go to
# $NOTEBOOKS_OUT (default: a new temporary folder); the committed notebooks
# stay without outputs, and a committed notebook with outputs counts as failed.
#
# Prints `notebooks: N passed, M failed` and exits non-zero if any failed.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
tools=$root/.tools
export JUPYTER_PATH=$tools/jupyter
cell_timeout=${NOTEBOOK_CELL_TIMEOUT:-600} # seconds per cell
notebook_timeout=${NOTEBOOK_TIMEOUT:-1800} # seconds per notebook, a backstop for a hung kernel

log() { echo "notebooks: $*"; }

# as_root runs a command as root (directly, or through sudo).
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_jupyter() {
	JUPYTER=${JUPYTER:-/usr/bin/jupyter}
	if "$JUPYTER" nbconvert --version >/dev/null 2>&1; then
		return
	fi
	if [ "$JUPYTER" != /usr/bin/jupyter ]; then
		log "\$JUPYTER=$JUPYTER has no working nbconvert"; exit 1
	fi
	log "installing Jupyter's nbconvert from Debian (apt-get install jupyter-nbconvert)"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jupyter-nbconvert >/dev/null
	"$JUPYTER" nbconvert --version >/dev/null
}

install() {
	install_jupyter
	notebooks/kernel/build.sh
}

# kernel_of prints the kernel name a notebook's metadata asks for.
kernel_of() {
	"${PYTHON:-python3}" -c 'import json, sys; print(json.load(open(sys.argv[1], encoding="utf-8"))["metadata"]["kernelspec"]["name"])' "$1"
}

# has_outputs reports whether a committed notebook carries outputs or
# execution counts (it should be saved cleared, to keep diffs clean).
has_outputs() {
	grep -Eq '"execution_count": [0-9]|"output_type":' "$1"
}

# report prints the first failing cell of an executed notebook (its source,
# the end of its output and the error: a compile error or a panic's message)
# and fails if any cell failed.
report() {
	"${PYTHON:-python3}" - "$1" <<'PY'
import json, re, sys
cells = json.load(open(sys.argv[1], encoding="utf-8"))["cells"]
ansi = re.compile(r"\x1b\[[0-9;]*m")
failed = [(i, c) for i, c in enumerate(cells) if c["cell_type"] == "code"
          and any(o["output_type"] == "error" for o in c.get("outputs", []))]
if not failed:
    sys.exit(0)
i, c = failed[0]
src = "".join(c["source"]).splitlines() or [""]
print(f"  cell {i} failed ({len(failed)} failing cells in all):")
for line in src[:8]:
    print("  | " + line)
if len(src) > 8:
    print(f"  | … ({len(src) - 8} more lines)")
streams = "".join("".join(o["text"]) for o in c["outputs"] if o["output_type"] == "stream")
for line in ansi.sub("", streams).splitlines()[-30:]:
    print("  > " + line)
for o in c["outputs"]:
    if o["output_type"] == "error":
        print(f"  error: {o['evalue']}")
sys.exit(1)
PY
}

execute() {
	local out=${NOTEBOOKS_OUT:-$(mktemp -d -t gorgonet-notebooks.XXXXXX)}
	mkdir -p "$out"
	local passed=0 failed=0 nb name kernel start secs
	for nb in "$@"; do
		if [ ! -f "$nb" ] && [ -f "notebooks/$nb" ]; then
			nb=notebooks/$nb
		fi
		name=$(basename "$nb" .ipynb)
		if [ ! -f "$nb" ]; then
			log "$nb: no such notebook"; failed=$((failed + 1)); continue
		fi
		if has_outputs "$nb"; then
			log "FAIL $name: committed with outputs; clear them (Jupyter: Edit → Clear Outputs of All Cells) and save"
			failed=$((failed + 1))
			continue
		fi
		kernel=$(kernel_of "$nb")
		if [ ! -f "$JUPYTER_PATH/kernels/$kernel/kernel.json" ]; then
			log "FAIL $name: its metadata asks for kernel '$kernel', not installed in $JUPYTER_PATH"
			failed=$((failed + 1))
			continue
		fi
		start=$SECONDS
		# allow_errors keeps the executed copy, with the failing cell's output,
		# for report; a timeout or a dead kernel still fails nbconvert itself.
		if timeout --kill-after=30 "$notebook_timeout" "$JUPYTER" nbconvert --to notebook --execute \
			--ExecutePreprocessor.kernel_name="$kernel" \
			--ExecutePreprocessor.timeout="$cell_timeout" \
			--ExecutePreprocessor.allow_errors=True \
			--output-dir "$out" "$nb" >"$out/$name.log" 2>&1; then
			secs=$((SECONDS - start))
			if report "$out/$name.ipynb"; then
				log "ok   $name (kernel $kernel, ${secs} s)"
				passed=$((passed + 1))
				continue
			fi
			log "FAIL $name (kernel $kernel, ${secs} s)"
		else
			secs=$((SECONDS - start))
			tail -n 30 "$out/$name.log"
			log "FAIL $name (kernel $kernel, ${secs} s): nbconvert failed (a cell over ${cell_timeout} s, the notebook over ${notebook_timeout} s, or a dead kernel); log: $out/$name.log"
		fi
		failed=$((failed + 1))
	done
	log "executed copies and logs in $out"
	echo "notebooks: $passed passed, $failed failed"
	[ "$failed" = 0 ]
}

case "${1:-}" in
install)
	install
	;;
jupyter)
	shift
	install
	app=notebook
	if "$JUPYTER" lab --version >/dev/null 2>&1; then
		app=lab
	elif ! "$JUPYTER" notebook --version >/dev/null 2>&1; then
		log "no Jupyter front end: install one (Debian: apt-get install jupyter-notebook; pip: pip install notebook)"
		exit 1
	fi
	exec "$JUPYTER" "$app" --notebook-dir="$root/notebooks" "$@"
	;;
*)
	install
	if [ $# = 0 ]; then
		set -- notebooks/[0-9]*.ipynb
	fi
	execute "$@"
	;;
esac
