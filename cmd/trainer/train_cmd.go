package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/train"
)

const trainHelp = `
Usage: trainer train [flags]
       trainer [flags]

Trains the model the configuration describes: the defaults (a tiny
character-level Transformer LM on Newton's Opticks), changed by a JSON or
YAML file (--config) and then by --set key=value overrides, validated before
anything starts. The resolved configuration is printed and stored in every
checkpoint and in RUN_DIR/config.json.

The run directory (--out, default runs/default) receives:
  ckpt-NNNNNN.safetensors  checkpoints every train.save_every steps and at the
                           end (the last train.keep are kept)
  best.safetensors         the checkpoint with the lowest validation loss
  metrics.jsonl            one JSON record per logged step and per validation
  loss.png                 training and validation loss curves
  config.json, tokenizer.json
An explicit --out that is not empty is refused unless --force (which deletes
the trainer's files in it); without --out a busy runs/default makes the run
go to runs/default-2, -3, … instead. Ctrl-C saves a checkpoint and stops
(status 130); "trainer resume RUN_DIR" continues exactly. A loss that becomes
NaN or infinite stops the run (status 1), keeping the last good checkpoint.

Configuration keys: model.kind (transformer_lm, transformer_seq2seq, rnn_lm,
rnn_seq2seq), model.d_model, model.heads, model.layers, model.context,
data.path, data.tokenizer, optim.name, optim.lr, train.steps, … — "trainer
help config" lists every key with its default, allowed values and meaning,
and "trainer init-config" writes them as a file to start from.

Examples:
  trainer
  trainer train --set train.steps=100 --out runs/quick
  trainer init-config --out my.yaml
  trainer train --config my.yaml --set model.d_model=128
  trainer train --set model.kind=rnn_lm --set model.cell=gru --set data.path=book.txt
  trainer train --set model.kind=transformer_seq2seq --set data.task=reverse
  trainer train --set model.kind=transformer_seq2seq --set data.path=pairs.tsv
`

// cmdTrain trains a model from a configuration.
func cmdTrain(args []string, stdout, _ io.Writer) error {
	fs := newFlags("train", trainHelp, stdout)
	configPath := fs.String("config", "", "configuration `file`, JSON or YAML (.yaml, .yml)")
	var sets setFlags
	fs.Var(&sets, "set", "override a configuration key, `key=value` (repeatable), e.g. model.d_model=128")
	out := fs.String("out", "", "run `directory` (default "+defaultRunDir+", or the first free "+defaultRunDir+"-N)")
	force := fs.Bool("force", false, "overwrite the run directory's checkpoints and metrics")
	resumeFlag := fs.Bool("resume", false, "continue the run in --out instead (same as `trainer resume DIR`)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected arguments %q (flags start with --)", pos)
	}
	if *resumeFlag {
		if *out == "" || *configPath != "" {
			return usagef("--resume needs --out RUN_DIR and takes no --config (the configuration comes from the checkpoint)")
		}
		return resume(*out, sets, *force, stdout)
	}
	ctx, stop := interruptContext(stdout)
	defer stop()
	cfg, err := loadConfig(*configPath, sets)
	if err != nil {
		return err
	}
	if err := printConfig(stdout, cfg); err != nil {
		return err
	}
	r, err := newRun(ctx, cfg, nil)
	if err != nil {
		return interrupted(ctx, err)
	}
	fmt.Fprintf(stdout, "data: %s\n", r.describe)
	summary := strings.Split(strings.TrimSpace(r.net.m.Summary()), "\n")
	fmt.Fprintf(stdout, "model: %s, %s, %s\n", cfg.Model.Kind, summary[len(summary)-1], describeMemory(r.memory))
	explicit := *out != ""
	if !explicit {
		*out = defaultRunDir
	}
	var d *train.RunDir
	if leader() {
		if d, err = prepareRunDir(*out, explicit, *force, cfg.Train.Keep); err != nil {
			return err
		}
		defer d.Close()
		if err := writeRunFiles(d, r); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "run directory: %s\n", d.Path)
	}
	if err := trainLoop(ctx, r, d, stdout, false); err != nil {
		return err
	}
	return interrupted(ctx, finalSample(ctx, r, stdout))
}

// interrupted turns the error of a step cut short by a cancelled ctx into
// train.ErrInterrupted (exit status 130).
func interrupted(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && !errors.Is(err, train.ErrInterrupted) {
		return errors.Wrap(train.ErrInterrupted, err.Error())
	}
	return err
}
