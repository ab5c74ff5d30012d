package recipe

import (
	"io"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/internal/atomicfile"
	"github.com/gorgonet/gorgonet/internal/config"
	"github.com/gorgonet/gorgonet/train"
)

// Files of a trainer run directory besides the checkpoints.
const (
	MetricsFile   = "metrics.jsonl"
	PlotFile      = "loss.png"
	ConfigFile    = "config.json"
	TokenizerFile = "tokenizer.json"
)

// OpenRunDir opens and locks a run directory for these files
// (train.OpenRunDir), keeping the last keep step checkpoints.
func OpenRunDir(dir string, keep int) (*train.RunDir, error) {
	d, err := train.OpenRunDir(dir, MetricsFile, PlotFile, ConfigFile, TokenizerFile)
	if err == nil {
		d.Keep = keep
	}
	return d, err
}

// WriteFiles writes the resolved configuration and the tokenizer of r into
// d; the first write also checks that d is writable.
func (r *Run) WriteFiles(d *train.RunDir) error {
	js, err := config.Dump(r.Config)
	if err != nil {
		return err
	}
	err = atomicfile.WriteFile(d.File(ConfigFile), func(w io.Writer) error {
		_, err := io.WriteString(w, js+"\n")
		return err
	})
	if err != nil {
		return errors.Wrapf(err, "run directory %s is not writable", d.Path)
	}
	return atomicfile.WriteFile(d.File(TokenizerFile), r.Tok.Save)
}
