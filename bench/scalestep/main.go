// Command scalestep times training steps of one model size, for
// bench/scale.sh: a decoder-only Transformer LM (nanoGPT's block: pre-LN,
// GELU, learned positions, FFN 4·d) or a one-layer LSTM LM, float32, Adam
// with clipping at 1.0, random token ids (speed does not depend on them).
// A step is forward, cross-entropy, backward, clipping and the update.
//
//	go run ./bench/scalestep -model gpt -context 256 -batch 8 -dim 384 -heads 6 -layers 6 -steps 3
//	go run ./bench/scalestep -model lstm -context 128 -batch 32 -embed 256 -dim 1024 -steps 3
//
// It prints one JSON line: the median, minimum and maximum seconds of the
// timed steps (after the warm-up steps) and the allocations and bytes of the
// median step. Peak memory is measured from outside (/usr/bin/time -v).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/rnn"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/optim"
	"gorgonia.org/tensor"
)

type result struct {
	Model      string  `json:"model"`
	Params     int     `json:"params"`
	Steps      int     `json:"steps"`
	StepMedian float64 `json:"step_s_median"`
	StepMin    float64 `json:"step_s_min"`
	StepMax    float64 `json:"step_s_max"`
	Mallocs    uint64  `json:"mallocs_per_step"`
	Bytes      uint64  `json:"bytes_per_step"`
}

func main() {
	model := flag.String("model", "gpt", "gpt or lstm")
	vocab := flag.Int("vocab", 96, "vocabulary size")
	context := flag.Int("context", 64, "context (gpt) or BPTT length (lstm)")
	batch := flag.Int("batch", 32, "sequences per step")
	dim := flag.Int("dim", 128, "d_model (gpt) or hidden size (lstm)")
	heads := flag.Int("heads", 4, "attention heads (gpt)")
	nLayers := flag.Int("layers", 4, "blocks (gpt)")
	embed := flag.Int("embed", 256, "embedding size (lstm)")
	steps := flag.Int("steps", 3, "timed steps")
	warmup := flag.Int("warmup", 1, "untimed steps first")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the timed steps to this file")
	flag.Parse()
	if *cpuProfile != "" {
		stop, err := startProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "scalestep:", err)
			os.Exit(1)
		}
		defer stop()
	}
	if err := run(*model, *vocab, *context, *batch, *dim, *heads, *nLayers, *embed, *steps, *warmup); err != nil {
		fmt.Fprintln(os.Stderr, "scalestep:", err)
		os.Exit(1)
	}
}

// startProfile starts a CPU profile into path and returns its stop.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func run(model string, vocab, context, batch, dim, heads, nLayers, embed, steps, warmup int) error {
	if steps < 1 || warmup < 0 {
		return fmt.Errorf("-steps must be ≥ 1 and -warmup ≥ 0, got %d and %d", steps, warmup)
	}
	m := graph.NewModel(graph.Float32, 1)
	step, err := stepper(m, model, vocab, context, batch, dim, heads, nLayers, embed)
	if err != nil {
		return err
	}
	opt := optim.ClipByGlobalNorm(optim.NewAdam(optim.Constant(1e-3)), 1)
	rng := rand.New(rand.NewPCG(1, 2))
	ids := func() *tensor.Dense {
		v := make([]int, batch*context)
		for i := range v {
			v[i] = rng.IntN(vocab)
		}
		return tensor.New(tensor.WithShape(batch, context), tensor.WithBacking(v))
	}
	type sample struct {
		s             float64
		mallocs, byts uint64
	}
	var samples []sample
	var ms0, ms1 runtime.MemStats
	for i := 0; i < warmup+steps; i++ {
		x, y := ids(), ids()
		runtime.ReadMemStats(&ms0)
		t0 := time.Now()
		if err := step(x, y, opt); err != nil {
			return err
		}
		s := time.Since(t0).Seconds()
		runtime.ReadMemStats(&ms1)
		if i >= warmup {
			samples = append(samples, sample{s, ms1.Mallocs - ms0.Mallocs, ms1.TotalAlloc - ms0.TotalAlloc})
		}
	}
	slices.SortFunc(samples, func(a, b sample) int {
		switch {
		case a.s < b.s:
			return -1
		case a.s > b.s:
			return 1
		}
		return 0
	})
	med := samples[len(samples)/2]
	params := 0
	for _, p := range m.Params() {
		params += p.Value().Shape().TotalSize()
	}
	return json.NewEncoder(os.Stdout).Encode(result{
		Model: model, Params: params, Steps: steps,
		StepMedian: med.s, StepMin: samples[0].s, StepMax: samples[len(samples)-1].s,
		Mallocs: med.mallocs, Bytes: med.byts,
	})
}

// stepper builds the model and its training program and returns one
// training step on a batch of inputs x and targets y, both [batch, context].
func stepper(m *graph.Model, model string, vocab, context, batch, dim, heads, nLayers, embed int) (func(x, y *tensor.Dense, opt graph.Optimizer) error, error) {
	switch model {
	case "gpt":
		lm, err := transformer.NewLM(m, transformer.LMConfig{Vocab: vocab, Context: context, Dim: dim, Heads: heads, Layers: nLayers})
		if err != nil {
			return nil, err
		}
		loss, err := lm.Loss(batch, context)
		if err != nil {
			return nil, err
		}
		prog, err := m.Compile(loss)
		if err != nil {
			return nil, err
		}
		return func(x, y *tensor.Dense, opt graph.Optimizer) error {
			_, err := prog.Step(graph.Feeds{transformer.LMInput: x, transformer.LMTarget: y}, opt)
			return err
		}, nil
	case "lstm":
		lm, err := rnn.NewLM(m, rnn.LMConfig{Vocab: vocab, Embed: embed, Hidden: dim, Cell: layers.LSTM})
		if err != nil {
			return nil, err
		}
		w, err := lm.NewWindow(batch, context)
		if err != nil {
			return nil, err
		}
		prog, err := w.CompileTrain()
		if err != nil {
			return nil, err
		}
		return func(x, y *tensor.Dense, opt graph.Optimizer) error {
			_, err := w.Step(prog, x, y, opt)
			return err
		}, nil
	}
	return nil, fmt.Errorf("-model must be gpt or lstm, got %q", model)
}
