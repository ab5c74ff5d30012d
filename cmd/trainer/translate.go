package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/train"
)

const translateHelp = `
Usage: trainer translate RUN_DIR|CHECKPOINT [flags]

Decodes each line of the input (a file, or the standard input) with a
sequence-to-sequence checkpoint (transformer_seq2seq or rnn_seq2seq) and
writes one output line per input line to the standard output. Decoding is
greedy, or beam search with --beam > 1 (Transformer only) and the length
penalty of Wu et al. 2016. For a run directory the best checkpoint is used.
A line longer than the model's model.context tokens is an error naming it.

Examples:
  trainer translate runs/reverse --input sources.txt
  echo abcdef | trainer translate runs/reverse
  trainer translate runs/reverse --input sources.txt --beam 4 --length-penalty 0.6
`

// cmdTranslate decodes source lines.
func cmdTranslate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("translate", translateHelp, stdout)
	input := fs.String("input", "-", "`file` of source lines; - is the standard input")
	beam := fs.Int("beam", 1, "beam width; 1 decodes greedily")
	penalty := fs.Float64("length-penalty", -1, "beam-search length penalty α ≥ 0 (default: the checkpoint's model.length_penalty)")
	maxLen := fs.Int("max-len", 0, "longest output in tokens (default and limit: model.context)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	arg, err := oneArg(pos, "the run directory or checkpoint to translate with")
	if err != nil {
		return err
	}
	if *beam < 1 || *maxLen < 0 {
		return usagef("--beam must be ≥ 1 and --max-len ≥ 0, got %d and %d", *beam, *maxLen)
	}
	ck, net, err := openCheckpoint(arg, true)
	if err != nil {
		return err
	}
	if net.s2s == nil {
		return errors.Errorf("%s holds a %s model; translate needs a seq2seq model (transformer_seq2seq or rnn_seq2seq); use `trainer sample` for language models",
			ck.path, ck.cfg.Model.Kind)
	}
	if *penalty < 0 {
		*penalty = ck.cfg.Model.LengthPenalty
	}
	if *maxLen == 0 || *maxLen > ck.cfg.Model.Context {
		*maxLen = ck.cfg.Model.Context
	}
	lines, err := readLines(*input)
	if err != nil {
		return err
	}
	src := make([][]int, 0, len(lines))
	for i, line := range lines {
		ids := ck.tok.Encode(line)
		switch {
		case len(ids) == 0:
			return errors.Errorf("%s line %d is empty", inputName(*input), i+1)
		case len(ids) > ck.cfg.Model.Context:
			return errors.Errorf("%s line %d has %d tokens, more than the model's model.context %d", inputName(*input), i+1, len(ids), ck.cfg.Model.Context)
		}
		src = append(src, ids)
	}
	if len(src) == 0 {
		fmt.Fprintln(stderr, "translate: no input lines")
		return nil
	}
	w := bufio.NewWriter(stdout)
	for start := 0; start < len(src); start += translateBatch {
		chunk := src[start:min(start+translateBatch, len(src))]
		outs, err := net.s2s.Translate(context.Background(), chunk, *beam, *penalty, *maxLen)
		if err != nil {
			return errors.Wrapf(err, "decoding lines %d–%d", start+1, start+len(chunk))
		}
		for _, ids := range outs {
			text, err := ck.tok.Decode(ids)
			if err != nil {
				return err
			}
			fmt.Fprintln(w, text)
		}
	}
	return w.Flush()
}

// translateBatch is the number of lines decoded together (greedy decoding
// compiles one program per batch size, so at most two are built).
const translateBatch = 64

// readLines reads the lines of path ("-" for the standard input), without
// line ends, skipping a final empty line.
func readLines(path string) ([]string, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, errors.Wrap(err, "--input")
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var lines []string
	for sc.Scan() {
		lines = append(lines, strings.TrimSuffix(sc.Text(), "\r"))
	}
	return lines, errors.Wrapf(sc.Err(), "reading %s", path)
}

// showTranslations decodes the sources of pairs greedily and prints each
// with its output and the expected target.
func showTranslations(ctx context.Context, net train.Seq2SeqModel, tok datasets.Tokenizer, cfg Config, pairs []datasets.Pair, out io.Writer) error {
	var src [][]int
	var kept []datasets.Pair
	for _, p := range pairs {
		if ids := tok.Encode(p.Source); len(ids) > 0 && len(ids) <= cfg.Model.Context {
			src, kept = append(src, ids), append(kept, p)
		}
	}
	if len(src) == 0 {
		return nil
	}
	outs, err := net.Translate(ctx, src, 1, 0, cfg.Model.Context)
	if err != nil {
		return errors.Wrap(err, "decoding examples")
	}
	for i, ids := range outs {
		text, err := tok.Decode(ids)
		if err != nil {
			return err
		}
		mark := "✗"
		if text == kept[i].Target {
			mark = "✓"
		}
		fmt.Fprintf(out, "  %s %q → %q (expected %q)\n", mark, kept[i].Source, text, kept[i].Target)
	}
	return nil
}

// inputName names --input in messages.
func inputName(path string) string {
	if path == "-" {
		return "standard input"
	}
	return path
}
