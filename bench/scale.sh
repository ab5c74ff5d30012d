#!/usr/bin/env bash
# bench/scale.sh [ROW...] — gorgonet against PyTorch at the sizes people
# train: a training step (forward, cross-entropy, backward, clipping at 1.0,
# Adam) of a Transformer LM at four sizes and an LSTM LM at hidden 1024,
# side by side on this machine, interleaved (A B A B …). See BENCHMARKS.md.
#
# ROW (default: all, in this order):
#   gpt64    context 64 × batch 32,  d_model 128 / 4 heads / 4 layers
#   gpt256   context 256 × batch 8,  384 / 6 / 6
#   gpt1024  context 1024 × batch 2, 128 / 4 / 4
#   gpt2     context 256 × batch 4,  768 / 12 / 12 (GPT-2 small width)
#   lstm     BPTT 128 × batch 32, embedding 256, one LSTM layer of 1024
# All rows: vocab 96, FFN 4·d_model, float32, random ids. gorgonet is
# bench/scalestep; PyTorch bench/scale_torch.py (Debian python3-torch via
# /usr/bin/python3, TORCH_THREADS threads, OMP_WAIT_POLICY=passive and the
# tuned glibc malloc of ../shared/bench/README.md).
#
# Per round and side it prints the load, median s/step of the run's timed
# steps and peak RSS (/usr/bin/time -v, whole process); per row the medians
# over the rounds, the speed ratio (PyTorch s / gorgonet s: > 1 means
# gorgonet is faster), the RSS ratio (gorgonet / PyTorch: < 1 means gorgonet
# uses less) and each side's model FLOP/s as a fraction of the sgemm peak
# measured first (torch.mm, TORCH_THREADS threads, best of 512–2048).
# Model FLOPs per step = 3 × the forward pass's matrix-product FLOPs:
#   gpt:  tokens · (2·(4·D² + 2·D·4D)·L + 2·D·V + 4·T·D·L)   (QKᵀ and A·V over the full T×T)
#   lstm: tokens · (2·E·4H + 2·H·4H + 2·H·V)
#
# Environment: ROUNDS=3, STEPS (timed steps per run; default per row, 2 for
# gpt2), WARMUP=1, TORCH_THREADS=2, BLAS_ENV=env|native (native unsets
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for both sides), BUILD=default|openblas.
set -euo pipefail
cd "$(dirname "$0")/.."

rows=("$@")
[ ${#rows[@]} -gt 0 ] || rows=(gpt64 gpt256 gpt1024 gpt2 lstm)
rounds=${ROUNDS:-3} warmup=${WARMUP:-1} threads=${TORCH_THREADS:-2}
tags=()
case "${BUILD:-default}" in
default) ;;
openblas) tags=(-tags openblas) ;;
*) echo "scale.sh: BUILD must be default or openblas" >&2; exit 2 ;;
esac
envrun=(env)
case "${BLAS_ENV:-env}" in
env) ;;
native) envrun=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE) ;;
*) echo "scale.sh: BLAS_ENV must be env or native" >&2; exit 2 ;;
esac

# row NAME: sets model, args (flags shared by both sides), steps and flops.
row() {
	local V=96 T B D H L E=256
	case "$1" in
	gpt64) T=64 B=32 D=128 H=4 L=4 ;;
	gpt256) T=256 B=8 D=384 H=6 L=6 ;;
	gpt1024) T=1024 B=2 D=128 H=4 L=4 ;;
	gpt2) T=256 B=4 D=768 H=12 L=12 ;;
	lstm) T=128 B=32 D=1024 ;;
	*) echo "scale.sh: unknown row $1 (gpt64 gpt256 gpt1024 gpt2 lstm)" >&2; exit 2 ;;
	esac
	if [ "$1" = lstm ]; then
		model=lstm args=(-context $T -batch $B -dim $D -embed $E -vocab $V)
		flops=$(awk -v t=$((T * B)) -v E=$E -v H=$D -v V=$V 'BEGIN {printf "%.0f", 3 * t * (2*E*4*H + 2*H*4*H + 2*H*V)}')
	else
		model=gpt args=(-context $T -batch $B -dim $D -heads $H -layers $L -vocab $V)
		flops=$(awk -v t=$((T * B)) -v T=$T -v D=$D -v L=$L -v V=$V \
			'BEGIN {printf "%.0f", 3 * t * (2*(4*D*D + 8*D*D)*L + 2*D*V + 4*T*D*L)}')
	fi
	case "$1" in gpt2) steps=${STEPS:-2} ;; *) steps=${STEPS:-3} ;; esac
}
for r in "${rows[@]}"; do row "$r"; done # reject unknown rows before building

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/scalestep
go build "${tags[@]}" -o "$bin" ./bench/scalestep

# peak_rss FILE: peak RSS in MB recorded by /usr/bin/time -v.
peak_rss() { awk -F': ' '/Maximum resident set size/ {printf "%.0f\n", $2 / 1024}' "$1"; }
# field FILE KEY: a number from the JSON line of FILE.
field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])[sys.argv[2]])' "$1" "$2"; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

go_run() {
	"${envrun[@]}" /usr/bin/time -v -o "$work/go.time" "$bin" -model "$model" "${args[@]}" \
		-steps "$steps" -warmup "$warmup" >"$work/go.out" 2>&1 || { cat "$work/go.out" >&2; exit 1; }
	echo "$(field "$work/go.out" step_s_median) $(peak_rss "$work/go.time") $(field "$work/go.out" mallocs_per_step)"
}
torch_run() {
	"${envrun[@]}" OMP_WAIT_POLICY=passive MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 \
		MALLOC_TOP_PAD_=268435456 GLIBC_TUNABLES=glibc.malloc.hugetlb=1 \
		/usr/bin/time -v -o "$work/torch.time" /usr/bin/python3 bench/scale_torch.py "$model" "${args[@]/#-/--}" \
		--threads "$threads" --steps "$steps" --warmup "$warmup" >"$work/torch.out" 2>&1 || { cat "$work/torch.out" >&2; exit 1; }
	echo "$(field "$work/torch.out" step_s_median) $(peak_rss "$work/torch.time")"
}

# sgemm_peak: GFLOP/s of torch.mm on this machine now.
sgemm_peak() {
	"${envrun[@]}" OMP_WAIT_POLICY=passive /usr/bin/python3 bench/scale_torch.py peak --threads "$threads" >"$work/peak.out"
	field "$work/peak.out" sgemm_gflop_s
}
peak0=$(sgemm_peak)
cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)
isa=AVX2
grep -qw avx512f /proc/cpuinfo && isa=AVX-512
echo "# scale.sh: $cpu ($isa), $(nproc) CPUs; build=${BUILD:-default} blas_env=${BLAS_ENV:-env} torch_threads=$threads rounds=$rounds $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD)"
medians=()
for r in "${rows[@]}"; do
	row "$r"
	gs=() ts=() gm=() tm=()
	for i in $(seq "$rounds"); do
		read -r load _ </proc/loadavg
		read -r s rss mallocs < <(go_run)
		gs+=("$s") gm+=("$rss")
		echo "$r round $i gorgonet: load=$load step_s=$s peak_rss_mb=$rss mallocs/step=$mallocs"
		read -r load _ </proc/loadavg
		read -r s rss < <(torch_run)
		ts+=("$s") tm+=("$rss")
		echo "$r round $i pytorch:  load=$load step_s=$s peak_rss_mb=$rss"
	done
	g=$(printf '%s\n' "${gs[@]}" | median) t=$(printf '%s\n' "${ts[@]}" | median)
	grss=$(printf '%s\n' "${gm[@]}" | median) trss=$(printf '%s\n' "${tm[@]}" | median)
	medians+=("$r $g $t $grss $trss $flops")
done
# The peak is measured before and after the rows (the load varies); the higher counts.
peak=$(printf '%s\n' "$peak0" "$(sgemm_peak)" | sort -g | tail -1)
echo "# sgemm peak (torch.mm, $threads threads, best of before/after): $peak GFLOP/s"
summary=()
for m in "${medians[@]}"; do
	read -r r g t grss trss flops <<<"$m"
	summary+=("$(awk -v r="$r" -v g="$g" -v t="$t" -v gm="$grss" -v tm="$trss" -v f="$flops" -v p="$peak" 'BEGIN {
		printf "%-8s gorgonet_s=%.3f pytorch_s=%.3f speed=%.2f rss_mb=%d/%d rss_ratio=%.2f peak_frac=%.2f/%.2f", \
			r, g, t, t / g, gm, tm, gm / tm, f / g / 1e9 / p, f / t / 1e9 / p}')")
done
echo "# summary (medians; speed = PyTorch s / gorgonet s; rss_ratio = gorgonet / PyTorch; peak_frac = model FLOP/s / sgemm peak, gorgonet/PyTorch)"
printf '%s\n' "${summary[@]}"
