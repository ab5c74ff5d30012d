package optim_test

import (
	"fmt"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
)

// BenchmarkAdamStep times Adam and AdamW steps on float32 and float64
// parameters shaped like the Transformer benchmark's (4 layers of d_model
// 128 with a 512-wide feed-forward layer: 12 matrices and their biases,
// about 790k elements), reporting ns per parameter element. The parameters
// are spread over GOMAXPROCS goroutines as in training.
func BenchmarkAdamStep(b *testing.B) {
	for _, dt := range []tensor.Dtype{graph.Float32, graph.Float64} {
		m := graph.NewModel(dt, 1)
		var params []*graph.Param
		total := 0
		for l := 0; l < 4; l++ {
			for i, shape := range [][]int{{128, 384}, {128, 128}, {128, 512}, {512, 128}} {
				w, err := m.NewParam(graph.Join(fmt.Sprint(l), fmt.Sprint(i), "weight"), shape, graph.Normal(0.02))
				if err != nil {
					b.Fatal(err)
				}
				bias, err := m.NewParam(graph.Join(fmt.Sprint(l), fmt.Sprint(i), "bias"), shape[1:], graph.Normal(0.02))
				if err != nil {
					b.Fatal(err)
				}
				params = append(params, w, bias)
				total += shape[0]*shape[1] + shape[1]
			}
		}
		loss, err := newSumLoss(params...)
		if err != nil {
			b.Fatal(err)
		}
		prog, err := m.Compile(loss)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := prog.Forward(nil); err != nil {
			b.Fatal(err)
		}
		for _, o := range []struct {
			name string
			opt  optim.Optimizer
		}{
			{"adam", optim.NewAdam(optim.Constant(1e-3))},
			{"adamw", optim.NewAdamW(optim.Constant(1e-3), 0.1)},
		} {
			b.Run(fmt.Sprintf("%s/%v", o.name, dt), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if err := o.opt.Step(params); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(total), "ns/elem")
			})
		}
	}
}
