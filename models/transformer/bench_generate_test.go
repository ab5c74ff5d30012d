package transformer

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorgonet/gorgonet/graph"
)

var (
	generateTokens   = flag.Int("generate.tokens", 500, "new tokens per run of BenchmarkGenerate")
	generateContexts = flag.String("generate.contexts", "64,256,1024", "contexts of BenchmarkGenerate")
)

// BenchmarkGenerate measures generation speed of a small GPT (vocab 65,
// d_model 128, 4 heads, 4 layers, float32, untrained weights) with and
// without the key/value cache: each run continues a prompt of Context
// tokens by -generate.tokens tokens, sampled at temperature 1 with a fixed
// seed, and reports tokens/s; it fails unless both paths draw the same
// tokens. bench/generate.sh runs it interleaved with
// the PyTorch reference bench/generate.py; alone:
//
//	go test ./models/transformer -run '^$' -bench 'Generate$' -benchtime 1x -v
func BenchmarkGenerate(b *testing.B) {
	for _, ctx := range splitInts(b, *generateContexts) {
		m := graph.NewModel(graph.Float32, 1)
		lm, err := NewLM(m, LMConfig{Vocab: 65, Context: ctx, Dim: 128, Heads: 4, Layers: 4})
		if err != nil {
			b.Fatal(err)
		}
		prompt := make([]int, ctx)
		for i := range prompt {
			prompt[i] = (7 * i) % 65
		}
		var cached []int // the cache's tokens, which the recomputing path must repeat
		for _, mode := range []string{"cache", "recompute"} {
			b.Run(fmt.Sprintf("ctx=%d/%s", ctx, mode), func(b *testing.B) {
				lm.NoKVCache = mode == "recompute"
				// Compile outside the timing: the programs of a first window and
				// of one restarted by the sliding rule.
				if _, err := lm.Generate(prompt, ctx/2+2, Sampling{}); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				start := time.Now()
				var out []int
				for i := 0; i < b.N; i++ {
					if out, err = lm.Generate(prompt, *generateTokens, Sampling{Temperature: 1, Seed: 1}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N**generateTokens)/time.Since(start).Seconds(), "tokens/s")
				if mode == "cache" {
					cached = out
				} else if fmt.Sprint(out) != fmt.Sprint(cached) {
					b.Fatalf("context %d: the cache and the recomputing path drew different tokens:\n%v\n%v", ctx, cached, out)
				}
			})
		}
	}
}

// splitInts parses a comma-separated list of positive integers.
func splitInts(b *testing.B, s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("%q is not a list of positive integers", s)
		}
		out = append(out, n)
	}
	return out
}
