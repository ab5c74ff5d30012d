package main

import (
	"io"
	"os"

	"github.com/pkg/errors"
)

const initConfigHelp = `
Usage: trainer init-config [--kind KIND] [--out FILE]

Writes a YAML configuration with every key that applies to models of KIND at
its default, each under a comment saying what it means and which values it
takes: a starting file to edit and pass to "trainer train --config FILE".
Without --out it goes to standard output; an existing FILE is never written
over.

Examples:
  trainer init-config > gpt.yaml
  trainer init-config --kind rnn_lm --out lstm.yaml
  trainer train --config lstm.yaml
`

// cmdInitConfig is `trainer init-config`.
func cmdInitConfig(args []string, stdout, _ io.Writer) error {
	fs := newFlags("init-config", initConfigHelp, stdout)
	kind := fs.String("kind", kindTransformerLM, "model kind: "+joinKinds())
	out := fs.String("out", "", "file to create (default: standard output)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected arguments %q", pos)
	}
	if err := oneOf("--kind", *kind, modelKinds...); err != nil {
		return usagef("--kind %q is not a model kind (want one of %s)", *kind, joinKinds())
	}
	if *out == "" {
		return writeInitConfig(stdout, *kind)
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return errors.Wrap(err, "init-config (an existing file is not written over)")
	}
	if err := writeInitConfig(f, *kind); err != nil {
		f.Close()
		return err
	}
	return errors.Wrapf(f.Close(), "writing %s", *out)
}
