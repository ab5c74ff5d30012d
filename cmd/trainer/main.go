// Command trainer trains, resumes, evaluates and samples gorgonet models:
// Transformer and RNN (RNN, LSTM, GRU) language models and
// sequence-to-sequence models, configured by a JSON or YAML file plus
// --set key=value overrides.
//
// Without arguments it does the main job of the project: it trains a small
// character-level Transformer language model on Newton's Opticks (which
// every Go installation carries) for a few minutes, saves checkpoints into
// runs/default and prints a generated sample:
//
//	go run ./cmd/trainer
//
// Commands: train, resume, eval, sample, translate, inspect; `trainer help
// COMMAND` shows each one's flags and examples. See README.md in this
// directory.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/train"
)

func main() {
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

// command is one subcommand of the trainer.
type command struct {
	name, args, summary, help string
	run                       func(args []string, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"train", "[flags]", "train a model (the default command)", trainHelp, cmdTrain},
		{"resume", "RUN_DIR|CHECKPOINT [flags]", "continue an interrupted or finished run exactly", resumeHelp, cmdResume},
		{"eval", "RUN_DIR|CHECKPOINT [flags]", "loss and perplexity on a split or a file", evalHelp, cmdEval},
		{"sample", "RUN_DIR|CHECKPOINT [flags]", "generate text from a language model", sampleHelp, cmdSample},
		{"translate", "RUN_DIR|CHECKPOINT [flags]", "decode source lines with a seq2seq model", translateHelp, cmdTranslate},
		{"inspect", "RUN_DIR|CHECKPOINT [flags]", "show a checkpoint's configuration, parameters and metrics", inspectHelp, cmdInspect},
		{"init-config", "[--kind KIND] [--out FILE]", "write a commented configuration file to start from", initConfigHelp, cmdInitConfig},
	}
}

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...interface{}) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// runMain runs the trainer with args and returns the exit status: 0 for
// success, 1 for an error, 2 for a bad command line, 130 when interrupted.
func runMain(args []string, stdout, stderr io.Writer) int {
	name := "train"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	} else if len(args) > 0 && isHelpFlag(args[0]) {
		mainUsage(stdout)
		return 0
	} else if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		fmt.Fprintln(stdout, version())
		return 0
	}
	switch {
	case name == "version":
		fmt.Fprintln(stdout, version())
		return 0
	case name == "help" && len(args) == 0:
		mainUsage(stdout)
		return 0
	case name == "help" && args[0] == "config":
		if err := writeConfigHelp(stdout); err != nil {
			fmt.Fprintf(stderr, "trainer help: %v\n", err)
			return 1
		}
		return 0
	case name == "help":
		name, args = args[0], []string{"-h"}
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := runAsRank(c.name, c.run, args, stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, train.ErrInterrupted):
			return exitInterrupted
		}
		fmt.Fprintf(stderr, "trainer %s: %v\n", name, err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "run `trainer help %s` for its flags and examples\n", name)
			return 2
		}
		return 1
	}
	fmt.Fprintf(stderr, "trainer: unknown command %q\n", name)
	mainUsage(stderr)
	return 2
}

func isHelpFlag(s string) bool { return s == "-h" || s == "-help" || s == "--help" }

func mainUsage(w io.Writer) {
	fmt.Fprint(w, `trainer trains and uses gorgonet models.

Usage:
  trainer                     train the default model: a tiny character-level GPT on
                              Newton's Opticks (a few minutes), saved in runs/default
  trainer COMMAND [ARGS]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "trainer help COMMAND" for a command's flags and examples, "trainer help
config" for every configuration key, "trainer --version" for the version.

Examples:
  trainer
  trainer train --set train.steps=2000 --set model.layers=4 --out runs/bigger
  trainer train --config my.yaml --set data.path=mytext.txt
  trainer resume runs/default --set train.steps=1000
  trainer sample runs/default --prompt "Light is" --length 200
  trainer eval runs/default --data other.txt
  trainer inspect runs/default --attention attn.png --input "The Rays of Light"
`)
}

// newFlags returns a flag set for a command whose -h prints help.
func newFlags(name, help string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(stdout, strings.TrimLeft(help, "\n"))
		fmt.Fprintln(stdout, "\nFlags:")
		printFlags(stdout, fs)
	}
	return fs
}

// printFlags lists the flags of fs as the help spells them, with two dashes
// (--out DIR), each with its usage and a default that is not the zero value.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if arg != "" {
			line += " " + arg
		}
		fmt.Fprintf(w, "%s\n      %s", line, strings.ReplaceAll(usage, "\n", "\n      "))
		if d := f.DefValue; d != "" && d != "0" && d != "false" && !strings.Contains(usage, "default") {
			fmt.Fprintf(w, " (default %s)", d)
		}
		fmt.Fprintln(w)
	})
}

// parseFlags parses args, which may mix flags and positional arguments
// (`sample runs/x --length 10`), and returns the positional ones.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err // fs.Parse printed the help
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// oneArg checks that exactly one positional argument was given.
func oneArg(pos []string, what string) (string, error) {
	switch len(pos) {
	case 0:
		return "", usagef("missing %s", what)
	case 1:
		return pos[0], nil
	}
	return "", usagef("unexpected arguments %q after %s", pos[1:], pos[0])
}

// setFlags collects repeated --set key=value flags.
type setFlags []string

func (s *setFlags) String() string { return strings.Join(*s, " ") }

func (s *setFlags) Set(v string) error {
	*s = append(*s, v)
	return nil
}
