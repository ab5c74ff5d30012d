package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/train"
)

const sampleHelp = `
Usage: trainer sample RUN_DIR|CHECKPOINT [flags]

Generates text from a language-model checkpoint (transformer_lm or rnn_lm):
the prompt followed by --length new tokens. For a run directory the best
checkpoint (best.safetensors) is used, else the latest. Unset flags take the
checkpoint's sample.* configuration. The same seed, checkpoint and flags
always give the same text. A Transformer reads at most model.context tokens:
longer texts are generated from a sliding window of the last ones.

Examples:
  trainer sample runs/default
  trainer sample runs/default --prompt "Light is" --length 400 --temperature 0.7 --top-k 20
  trainer sample runs/default/ckpt-000400.safetensors --temperature 0   # greedy
  trainer sample runs/default --top-p 0.9 --seed 7
`

// cmdSample generates text from a checkpoint.
func cmdSample(args []string, stdout, _ io.Writer) error {
	fs := newFlags("sample", sampleHelp, stdout)
	prompt := fs.String("prompt", "", "start of the text (default: the checkpoint's sample.prompt, or a line break)")
	length := fs.Int("length", 0, "tokens to generate (default: sample.length)")
	temp := fs.Float64("temperature", 0, "softmax temperature; 0 is greedy (default: sample.temperature)")
	topK := fs.Int("top-k", 0, "keep the k most likely tokens; 0 keeps all (default: sample.top_k)")
	topP := fs.Float64("top-p", 0, "nucleus sampling threshold in (0,1]; 0 keeps all (default: sample.top_p)")
	seed := fs.Uint64("seed", 0, "random seed (default: sample.seed)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	arg, err := oneArg(pos, "the run directory or checkpoint to sample from")
	if err != nil {
		return err
	}
	ck, net, err := openCheckpoint(arg, true)
	if err != nil {
		return err
	}
	if net.lm == nil {
		return errors.Errorf("%s holds a %s model; sample needs a language model (transformer_lm or rnn_lm); use `trainer translate` for seq2seq models",
			ck.path, ck.cfg.Model.Kind)
	}
	sc := ck.cfg.Sample
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "prompt":
			sc.Prompt = *prompt
		case "length":
			sc.Length = *length
		case "temperature":
			sc.Temperature = *temp
		case "top-k":
			sc.TopK = *topK
		case "top-p":
			sc.TopP = *topP
		case "seed":
			sc.Seed = *seed
		}
	})
	if err := checkSampling(sc); err != nil {
		return usagef("%v", err)
	}
	text, err := sampleText(context.Background(), net.lm, ck.tok, sc, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, text)
	return nil
}

// checkSampling validates sampling settings with the flags' names.
func checkSampling(s SampleConfig) error {
	switch {
	case s.Length < 0:
		return errors.Errorf("--length %d is negative", s.Length)
	case !(s.Temperature >= 0):
		return errors.Errorf("--temperature %v is negative", s.Temperature)
	case s.TopK < 0:
		return errors.Errorf("--top-k %d is negative", s.TopK)
	case !(s.TopP >= 0 && s.TopP <= 1):
		return errors.Errorf("--top-p %v outside [0, 1]", s.TopP)
	}
	return nil
}

// sampleText returns the prompt followed by the generated text. Symbols of
// the prompt outside the vocabulary are reported on warn.
func sampleText(ctx context.Context, lm train.LanguageModel, tok datasets.Tokenizer, s SampleConfig, warn io.Writer) (string, error) {
	prompt := s.Prompt
	if prompt == "" {
		prompt = "\n"
	}
	ids := tok.Encode(prompt)
	unknown := 0
	_, byteLevel := tok.(*datasets.GPT2Tokenizer) // reads every byte; its id 3 is "$"
	for _, id := range ids {
		if id == datasets.UnkID && !byteLevel {
			unknown++
		}
	}
	if unknown > 0 {
		fmt.Fprintf(warn, "warning: %d symbol(s) of the prompt are not in the vocabulary and read as %s\n", unknown, datasets.UnkToken)
	}
	out, err := lm.Generate(ctx, ids, s.Length, s.sampling())
	if err != nil {
		return "", errors.Wrap(err, "sampling")
	}
	text, err := tok.Decode(out)
	if err != nil {
		return "", err
	}
	if s.Prompt == "" {
		return text, nil
	}
	return s.Prompt + text, nil
}

// finalSample shows what the trained model does: a sample of a language
// model, decoded examples of a seq2seq model.
func finalSample(ctx context.Context, r *run, out io.Writer) error {
	if r.net.lm != nil {
		s := r.cfg.Sample
		if s.Length == 0 {
			return nil
		}
		text, err := sampleText(ctx, r.net.lm, r.tok, s, out)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "sample (temperature %g, top-k %d, top-p %g, seed %d):\n%s\n", s.Temperature, s.TopK, s.TopP, s.Seed, text)
		return nil
	}
	fmt.Fprintln(out, "examples (greedy):")
	return showTranslations(ctx, r.net.s2s, r.tok, r.cfg, r.examples, out)
}
