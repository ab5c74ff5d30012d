package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/models/transformer"
	"github.com/gorgonet/gorgonet/plot"
	"github.com/gorgonet/gorgonet/train"
)

const inspectHelp = `
Usage: trainer inspect RUN_DIR|CHECKPOINT [flags]

Prints what a checkpoint holds: its step, losses, optimizer, tokenizer, the
resolved configuration and the table of parameters (names as stored in the
safetensors file), and a summary of the run's metrics.jsonl when it lies
beside the checkpoint. For a run directory the latest step checkpoint is
used.

With --attention FILE.png (transformer_lm checkpoints) it also runs the model
on --input and writes the causal self-attention weights of one layer and
head (or their mean over heads, --head -1) as a heat map: queries down, keys
across.

Examples:
  trainer inspect runs/default
  trainer inspect runs/default/best.safetensors
  trainer inspect runs/default --attention attn.png --input "The Rays of Light" --layer 1 --head 0
`

// cmdInspect describes a checkpoint.
func cmdInspect(args []string, stdout, _ io.Writer) error {
	fs := newFlags("inspect", inspectHelp, stdout)
	attention := fs.String("attention", "", "write an attention heat map to this PNG `file` (transformer_lm)")
	input := fs.String("input", "", "text the attention map is computed on (default: the checkpoint's sample.prompt)")
	layer := fs.Int("layer", 0, "block whose attention is drawn")
	head := fs.Int("head", 0, "attention head drawn; -1 draws the mean over heads")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	arg, err := oneArg(pos, "the run directory or checkpoint to inspect")
	if err != nil {
		return err
	}
	ck, net, err := openCheckpoint(arg, false)
	if err != nil {
		return err
	}
	describeCheckpoint(stdout, ck, net)
	if *attention == "" {
		return nil
	}
	tlm := net.tlm
	if tlm == nil {
		return errors.Errorf("--attention needs a transformer_lm checkpoint; %s holds a %s model", ck.path, ck.cfg.Model.Kind)
	}
	text := *input
	if text == "" {
		text = ck.cfg.Sample.Prompt
	}
	if text == "" {
		return usagef("--attention needs --input TEXT (the checkpoint has no sample.prompt to use instead)")
	}
	return attentionMap(tlm, ck, text, *layer, *head, *attention, stdout)
}

// describeCheckpoint prints the content of a checkpoint.
func describeCheckpoint(w io.Writer, ck *checkpoint, net *network) {
	fmt.Fprintf(w, "checkpoint %s\n", ck.path)
	fmt.Fprintf(w, "  model      %s (%s)\n", ck.cfg.Model.Kind, ck.cfg.Model.Dtype)
	fmt.Fprintf(w, "  step       %d of %d\n", ck.Step, ck.cfg.Train.Steps)
	fmt.Fprintf(w, "  losses     train %s, validation %s, best validation %s\n", lossText(ck.TrainLoss), lossText(ck.ValLoss), lossText(ck.BestVal))
	if o := ck.Optimizer; o != nil {
		fmt.Fprintf(w, "  optimizer  %s, %d updates (%d state tensors)\n", o.Kind, o.Steps, len(o.Slots))
	}
	fmt.Fprintf(w, "  tokenizer  %s, %d ids\n", ck.tok.Kind(), ck.tok.VocabSize())
	fmt.Fprintf(w, "  trained    %.1f s\n", ck.Elapsed)
	if err := printConfig(w, ck.cfg); err != nil {
		fmt.Fprintf(w, "configuration: %v\n", err)
	}
	fmt.Fprintf(w, "parameters:\n%s", net.m.Summary())
	metricsPath := filepath.Join(filepath.Dir(ck.path), metricsFile)
	records, err := train.ReadMetricsFile(metricsPath)
	if err != nil {
		fmt.Fprintf(w, "metrics: none (%v)\n", err)
		return
	}
	var steps, val []train.Record
	for _, r := range records {
		if r.Split == train.Val {
			val = append(val, r)
		} else {
			steps = append(steps, r)
		}
	}
	fmt.Fprintf(w, "metrics %s: %d training and %d validation records\n", metricsPath, len(steps), len(val))
	if len(steps) > 0 {
		first, last := steps[0], steps[len(steps)-1]
		fmt.Fprintf(w, "  training loss %.4f at step %d → %.4f at step %d\n", first.Loss, first.Step, last.Loss, last.Step)
	}
	for _, r := range val {
		fmt.Fprintf(w, "  validation loss %.4f at step %d\n", r.Loss, r.Step)
	}
}

func lossText(x float64) string {
	if math.IsNaN(x) {
		return "-"
	}
	return fmt.Sprintf("%.4f", x)
}

// attentionMap runs the LM on text in evaluation mode and draws the
// self-attention weights of block layer (head, or the mean over heads when
// head is −1) into pngPath.
//
// The LM is pre-LN (transformer.LM): block l attends over LN1(x_l), where
// x_l is the output of the blocks before it applied to the embeddings.
func attentionMap(lm *transformer.LM, ck *checkpoint, text string, layer, head int, pngPath string, out io.Writer) error {
	ids := ck.tok.Encode(text)
	cfg := lm.Config
	switch {
	case len(ids) == 0:
		return errors.New("--input is empty")
	case len(ids) > cfg.Context:
		return errors.Errorf("--input has %d tokens, more than the model's context of %d", len(ids), cfg.Context)
	case layer < 0 || layer >= cfg.Layers:
		return errors.Errorf("--layer %d outside [0, %d)", layer, cfg.Layers)
	case head < -1 || head >= cfg.Heads:
		return errors.Errorf("--head %d outside [0, %d) (or -1 for the mean)", head, cfg.Heads)
	}
	m := lm.Model()
	var weights *gorgonia.Node
	err := m.InEvalMode(func() error {
		in, err := m.IndexInput("inspect.idx", 1, len(ids))
		if err != nil {
			return err
		}
		x, err := lm.TokEmb.Forward(in)
		if err != nil {
			return err
		}
		if x, err = lm.PosEnc.Forward(x); err != nil {
			return err
		}
		causal := layers.Mask{Causal: true}
		for _, b := range lm.Blocks[:layer] {
			if x, err = b.Forward(x, nil, causal, layers.Mask{}); err != nil {
				return err
			}
		}
		b := lm.Blocks[layer]
		y, err := b.AttnNorm.Forward(x)
		if err != nil {
			return err
		}
		_, weights, err = b.Attn.Attend(y, y, causal)
		return err
	})
	if err != nil {
		return errors.Wrap(err, "building the attention graph")
	}
	prog, err := m.CompileForward(weights)
	if err != nil {
		return err
	}
	res, err := prog.Forward(map[string]tensor.Tensor{"inspect.idx": tensor.New(tensor.WithShape(1, len(ids)), tensor.WithBacking(ids))})
	if err != nil {
		return err
	}
	matrix := headMatrix(res[0], cfg.Heads, len(ids), head)
	labels := make([]string, len(ids))
	for i, id := range ids {
		s, _ := ck.tok.Decode([]int{id})
		labels[i] = tokenLabel(s)
	}
	which := fmt.Sprintf("head %d", head)
	if head < 0 {
		which = "mean of heads"
	}
	title := fmt.Sprintf("layer %d, %s, step %d", layer, which, ck.Step)
	if err := attentionHeatmap(matrix, labels, title).Save(pngPath); err != nil {
		return err
	}
	fmt.Fprintf(out, "attention of layer %d (%s) on %q written to %s\n", layer, which, text, pngPath)
	return nil
}

// headMatrix extracts the [T,T] weights of one head (or their mean, head
// −1) from weights [1,H,T,T], row-major.
func headMatrix(w *tensor.Dense, heads, T, head int) []float64 {
	vals := make([]float64, heads*T*T)
	switch d := w.Data().(type) {
	case []float32:
		for i, v := range d {
			vals[i] = float64(v)
		}
	case []float64:
		copy(vals, d)
	}
	if head >= 0 {
		return vals[head*T*T : (head+1)*T*T]
	}
	m := make([]float64, T*T)
	for h := 0; h < heads; h++ {
		for i, v := range vals[h*T*T : (h+1)*T*T] {
			m[i] += v / float64(heads)
		}
	}
	return m
}

// attentionHeatmap is the heat map of the [T,T] attention weights (queries
// down, keys across, both labelled by their tokens), sized so that a cell
// is 0.2 to 0.5 inches; its values are written in the cells up to 16×16.
func attentionHeatmap(weights []float64, tokens []string, title string) plot.Heatmap {
	T := len(tokens)
	cell := math.Max(0.2, math.Min(0.5, 7.5/float64(T)))
	return plot.Heatmap{
		Title: title, XLabel: "key", YLabel: "query",
		Rows: T, Cols: T, Values: weights, XTicks: tokens, YTicks: tokens,
		Width: cell*float64(T) + 2.3, Height: cell*float64(T) + 1.8,
		Annotate: T <= 16,
	}
}

// tokenLabel makes a token readable as an axis label in the plot's Latin
// font: a space shows as a middle dot, line breaks and tabs as \n and \t.
func tokenLabel(s string) string {
	r := strings.NewReplacer(" ", "\u00b7", "\n", `\n`, "\t", `\t`)
	return r.Replace(s)
}
