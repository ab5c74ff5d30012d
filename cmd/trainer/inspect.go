package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/plot"
	"github.com/gorgonet/gorgonet/train"
	"github.com/gorgonet/gorgonet/train/recipe"
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
	ck, net, err := recipe.OpenCheckpoint(arg, false)
	if err != nil {
		return err
	}
	describeCheckpoint(stdout, ck, net)
	if *attention == "" {
		return nil
	}
	if net.TLM == nil {
		return errors.Errorf("--attention needs a transformer_lm checkpoint; %s holds a %s model", ck.Path, ck.Config.Model.Kind)
	}
	text := *input
	if text == "" {
		text = ck.Config.Sample.Prompt
	}
	if text == "" {
		return usagef("--attention needs --input TEXT (the checkpoint has no sample.prompt to use instead)")
	}
	return attentionMap(ck, net, text, *layer, *head, *attention, stdout)
}

// describeCheckpoint prints the content of a checkpoint.
func describeCheckpoint(w io.Writer, ck *recipe.Checkpoint, net *recipe.Network) {
	fmt.Fprintf(w, "checkpoint %s\n", ck.Path)
	fmt.Fprintf(w, "  model      %s (%s)\n", ck.Config.Model.Kind, ck.Config.Model.Dtype)
	fmt.Fprintf(w, "  step       %d of %d\n", ck.Step, ck.Config.Train.Steps)
	fmt.Fprintf(w, "  losses     train %s, validation %s, best validation %s\n", lossText(ck.TrainLoss), lossText(ck.ValLoss), lossText(ck.BestVal))
	if o := ck.Optimizer; o != nil {
		fmt.Fprintf(w, "  optimizer  %s, %d updates (%d state tensors)\n", o.Kind, o.Steps, len(o.Slots))
	}
	fmt.Fprintf(w, "  tokenizer  %s, %d ids\n", ck.Tok.Kind(), ck.Tok.VocabSize())
	fmt.Fprintf(w, "  trained    %.1f s\n", ck.Elapsed)
	if err := printConfig(w, ck.Config); err != nil {
		fmt.Fprintf(w, "configuration: %v\n", err)
	}
	fmt.Fprintf(w, "parameters:\n%s", net.Model.Summary())
	metricsPath := filepath.Join(filepath.Dir(ck.Path), recipe.MetricsFile)
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

// attentionMap draws the self-attention weights of block layer (head, or
// the mean over heads when head is −1) of the checkpoint's Transformer LM
// on text into pngPath.
func attentionMap(ck *recipe.Checkpoint, net *recipe.Network, text string, layer, head int, pngPath string, out io.Writer) error {
	matrix, labels, err := ck.Attention(net, text, layer, head)
	if err != nil {
		return err
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
