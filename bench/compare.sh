#!/usr/bin/env bash
# bench/compare.sh CONFIG — gorgonet against PyTorch on one training step,
# side by side on this machine (see BENCHMARKS.md and
# ../shared/bench/README.md for what makes the comparison fair).
#
# CONFIG: transformer | babygpt | lstm | rnn (the configs of
# ../shared/bench/torch_reference.py and of the Go benchmarks
# BenchmarkTransformerStep, BenchmarkBabyGPTStep, BenchmarkLSTMStep and
# BenchmarkElmanStep). It builds the Go benchmark binary once, then runs
# gorgonet and PyTorch alternately (A B A B …) for ROUNDS rounds, takes the
# median step time of each side and ends with one line
#
#   CONFIG gorgonet_tok_s=N pytorch_tok_s=M ratio=R      (R = N/M)
#
# Environment:
#   ROUNDS=3        rounds (each runs both sides once)
#   GO_STEPS=5      timed steps per gorgonet run (after 2 warm-up steps)
#   TORCH_STEPS=10  timed steps per PyTorch run (after 3 warm-up steps)
#   BUILD=default   default (pure-Go gonum BLAS) or openblas (-tags openblas, cgo)
#   TORCH_THREADS=2 PyTorch intra-op threads (run with OMP_WAIT_POLICY=passive);
#                   gorgonet uses GOMAXPROCS (both cores)
#   BLAS_ENV=env    env: keep OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE as set (AVX2
#                   kernel); native: unset both for both sides (AVX-512)
# PyTorch runs with the tuned glibc malloc of ../shared/bench/README.md.
# Per run it prints step time, tokens/s, model GFLOP/s, peak RSS (MB) and the
# minor page faults of the whole run (setup included: most of them happen
# while building the model and in the first steps); gorgonet's also
# allocations and bytes per step.
set -euo pipefail
cd "$(dirname "$0")/.."

config=${1:-}
case "$config" in
# flops: model FLOPs of one training step, counted the same way for both
# sides: 3 × the forward pass's matrix-product FLOPs (backward = 2 × forward)
# per token, times the tokens of a step. Per token, forward:
#   transformer: 2·(4·D² + 2·D·F)·L + 2·D·V + 4·T·D·L (QKᵀ and A·V, full T×T)
#   lstm: 2·E·4H + 2·H·4H + 2·H·V      rnn: 2·E·H + 2·H·H + 2·H·V
transformer) pkg=./models/transformer bench=TransformerStep tokens=$((32 * 64))
	flops=$((3 * (2 * (4 * 128 * 128 + 2 * 128 * 512) * 4 + 2 * 128 * 96 + 4 * 64 * 128 * 4) * 32 * 64)) ;;
babygpt) pkg=./models/transformer bench=BabyGPTStep tokens=$((12 * 64))
	flops=$((3 * (2 * (4 * 128 * 128 + 2 * 128 * 512) * 4 + 2 * 128 * 65 + 4 * 64 * 128 * 4) * 12 * 64)) ;;
lstm) pkg=./models/rnn bench=LSTMStep tokens=$((32 * 64))
	flops=$((3 * (2 * 256 * 1024 + 2 * 256 * 1024 + 2 * 256 * 96) * 32 * 64)) ;;
rnn) pkg=./models/rnn bench=ElmanStep tokens=$((32 * 64))
	flops=$((3 * (2 * 256 * 256 + 2 * 256 * 256 + 2 * 256 * 96) * 32 * 64)) ;;
*)
	echo "usage: bench/compare.sh transformer|babygpt|lstm|rnn" >&2
	exit 2
	;;
esac
rounds=${ROUNDS:-3} go_steps=${GO_STEPS:-5} torch_steps=${TORCH_STEPS:-10}
build=${BUILD:-default} threads=${TORCH_THREADS:-2}
ref=../shared/bench/torch_reference.py
[ -f "$ref" ] || { echo "compare.sh: $ref not found" >&2; exit 1; }

tags=()
case "$build" in
default) ;;
openblas) tags=(-tags openblas) ;;
*) echo "compare.sh: BUILD must be default or openblas, got $build" >&2; exit 2 ;;
esac
envrun=(env)
case "${BLAS_ENV:-env}" in
env) ;;
native) envrun=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE) ;;
*) echo "compare.sh: BLAS_ENV must be env or native" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/bench.test
go test "${tags[@]}" -c -o "$bin" "$pkg"

# rss_faults FILE: peak RSS (MB) and minor faults recorded by /usr/bin/time.
rss_faults() {
	awk -F': ' '/Maximum resident set size/ {rss = $2 / 1024}
		/Minor \(reclaiming a frame\) page faults/ {mf = $2}
		END {printf "%.0f %d\n", rss, mf}' "$1"
}

go_run() {
	local out=$work/go.out tm=$work/go.time
	"${envrun[@]}" /usr/bin/time -v -o "$tm" "$bin" -test.run '^$' -test.bench "^Benchmark${bench}\$" \
		-test.benchtime "${go_steps}x" -test.benchmem >"$out" 2>&1 || { cat "$out" >&2; exit 1; }
	local line
	line=$(grep "^Benchmark${bench}" "$out" | tail -1)
	local s allocs bytes
	s=$(awk '{for (i = 1; i < NF; i++) if ($(i+1) == "s/step") print $i}' <<<"$line")
	allocs=$(awk '{for (i = 1; i < NF; i++) if ($(i+1) == "allocs/op") print $i}' <<<"$line")
	bytes=$(awk '{for (i = 1; i < NF; i++) if ($(i+1) == "B/op") print $i}' <<<"$line")
	read -r rss mf < <(rss_faults "$tm")
	echo "$s $allocs $bytes $rss $mf"
}

torch_run() {
	local out=$work/torch.out tm=$work/torch.time
	"${envrun[@]}" OMP_WAIT_POLICY=passive MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 \
		MALLOC_TOP_PAD_=268435456 GLIBC_TUNABLES=glibc.malloc.hugetlb=1 \
		/usr/bin/time -v -o "$tm" /usr/bin/python3 "$ref" "$config" --threads "$threads" \
		--steps "$torch_steps" --warmup 3 >"$out" 2>&1 || { cat "$out" >&2; exit 1; }
	local s rss
	s=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["step_s_median"])' "$out")
	read -r rss mf < <(rss_faults "$tm")
	echo "$s $rss $mf"
}

# rate N S [UNIT]: N/S/UNIT, rounded.
rate() { awk -v n="$1" -v s="$2" -v u="${3:-1}" 'BEGIN {printf "%.0f", n / s / u}'; }

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "# $config: build=$build blas_env=${BLAS_ENV:-env} OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} torch_threads=$threads rounds=$rounds $(date -u +%FT%TZ)"
go_times=() torch_times=()
for r in $(seq "$rounds"); do
	read -r load _ </proc/loadavg
	read -r s allocs bytes rss mf < <(go_run)
	go_times+=("$s")
	echo "round $r gorgonet: load=$load step_s=$s tok_s=$(rate "$tokens" "$s") gflop_s=$(rate "$flops" "$s" 1e9) allocs/step=$allocs bytes/step=$bytes peak_rss_mb=$rss minflt_run=$mf"
	read -r load _ </proc/loadavg
	read -r s rss mf < <(torch_run)
	torch_times+=("$s")
	echo "round $r pytorch:  load=$load step_s=$s tok_s=$(rate "$tokens" "$s") gflop_s=$(rate "$flops" "$s" 1e9) peak_rss_mb=$rss minflt_run=$mf"
done
g=$(printf '%s\n' "${go_times[@]}" | median)
p=$(printf '%s\n' "${torch_times[@]}" | median)
awk -v c="$config" -v t="$tokens" -v g="$g" -v p="$p" \
	'BEGIN {printf "%s gorgonet_tok_s=%.0f pytorch_tok_s=%.0f ratio=%.3f\n", c, t / g, t / p, p / g}'
