#!/usr/bin/env bash
# bench/generate.sh — generation speed of a small GPT (vocab 65, d_model 128,
# 4 heads, 4 layers, float32): gorgonet with its key/value cache and with
# full recomputation (BenchmarkGenerate in models/transformer) against
# PyTorch with and without a cache (bench/generate.py), side by side on this
# machine. Each run continues a prompt of CONTEXT tokens by TOKENS tokens
# (sampled, temperature 1, fixed seed), with the same sliding window on both
# sides; gorgonet's benchmark fails unless its two paths draw the same
# tokens. It builds the Go benchmark binary once, then runs gorgonet and
# PyTorch alternately for ROUNDS rounds and prints, per context, the median
# tokens/s of each and the ratios
#
#   ctx=N go_cache=… go_recompute=… torch_cache=… torch_nocache=… cache/recompute=… go_cache/torch_cache=… go_cache/torch_nocache=…
#
# Environment:
#   ROUNDS=3              rounds (each runs both sides once)
#   TOKENS=500            new tokens per run
#   CONTEXTS=64,256,1024  contexts
#   TORCH_THREADS=2       PyTorch intra-op threads (OMP_WAIT_POLICY=passive);
#                         gorgonet uses GOMAXPROCS (both cores)
# PyTorch runs with the tuned glibc malloc of ../shared/bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3} tokens=${TOKENS:-500} contexts=${CONTEXTS:-64,256,1024} threads=${TORCH_THREADS:-2}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/bench.test
go test -c -o "$bin" ./models/transformer

for r in $(seq "$rounds"); do
	echo "== round $r ($(uptime | sed 's/.*load/load/'))"
	"$bin" -test.run '^$' -test.bench 'Generate$' -test.benchtime 1x -generate.tokens "$tokens" -generate.contexts "$contexts" |
		tee -a "$work/go.log" | grep 'tokens/s' || { echo "generate.sh: gorgonet run failed" >&2; cat "$work/go.log" >&2; exit 1; }
	env OMP_WAIT_POLICY=passive MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296 \
		MALLOC_TOP_PAD_=268435456 GLIBC_TUNABLES=glibc.malloc.hugetlb=1 \
		/usr/bin/python3 bench/generate.py --contexts "$contexts" --tokens "$tokens" --threads "$threads" |
		tee -a "$work/torch.log"
done

/usr/bin/python3 - "$work/go.log" "$work/torch.log" <<'PY'
import json, re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"BenchmarkGenerate/ctx=(\d+)/(\w+)-\d+\s.*\s([\d.]+) tokens/s", line)
    if m:
        runs.setdefault((int(m[1]), "go_" + m[2]), []).append(float(m[3]))
for line in open(sys.argv[2]):
    j = json.loads(line)
    runs.setdefault((j["ctx"], "torch_" + j["mode"]), []).append(j["tokens_per_s"])
med = {k: statistics.median(v) for k, v in runs.items()}
for ctx in sorted({k[0] for k in med}):
    g = lambda name: med.get((ctx, name), float("nan"))
    print(f"ctx={ctx} go_cache={g('go_cache'):.1f} go_recompute={g('go_recompute'):.2f} "
          f"torch_cache={g('torch_cache'):.1f} torch_nocache={g('torch_nocache'):.2f} "
          f"cache/recompute={g('go_cache') / g('go_recompute'):.1f} "
          f"go_cache/torch_cache={g('go_cache') / g('torch_cache'):.2f} "
          f"go_cache/torch_nocache={g('go_cache') / g('torch_nocache'):.1f}")
PY
