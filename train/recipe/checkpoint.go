package recipe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/train"
)

// A trainer checkpoint is a train.Checkpoint whose caller metadata holds
// the resolved configuration and the tokenizer:
const (
	MetaKind      = "model.kind" // model.kind of the configuration
	MetaConfig    = "config"     // the resolved configuration, JSON
	MetaTokenizer = "tokenizer"  // the tokenizer, JSON (datasets.ReadTokenizer)
)

// Checkpoint is a checkpoint file with the configuration and tokenizer of
// its run.
type Checkpoint struct {
	Path   string
	Config Config
	Tok    datasets.Tokenizer
	*train.Checkpoint
}

// CheckpointMeta returns the caller metadata of the checkpoints of a run.
func CheckpointMeta(cfg Config, tok datasets.Tokenizer) (map[string]string, error) {
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, errors.Wrap(err, "checkpoint: configuration")
	}
	var tokJSON bytes.Buffer
	if err := tok.Save(&tokJSON); err != nil {
		return nil, err
	}
	return map[string]string{MetaKind: cfg.Model.Kind, MetaConfig: string(cfgJSON), MetaTokenizer: tokJSON.String()}, nil
}

// ReadCheckpoint reads and checks the checkpoint file at path. Anything
// missing, malformed or inconsistent is an error naming the file; nothing
// is loaded into a model here.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	fail := func(format string, args ...interface{}) error {
		return errors.Errorf("checkpoint %s: %s", path, fmt.Sprintf(format, args...))
	}
	tc, err := train.ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	ck := &Checkpoint{Path: path, Config: Default(), Checkpoint: tc}
	if _, ok := tc.Meta[MetaConfig]; !ok {
		return nil, fail("not a trainer checkpoint: its metadata lacks %q (the trainer's configuration)", MetaConfig)
	}
	dec := json.NewDecoder(strings.NewReader(tc.Meta[MetaConfig]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ck.Config); err != nil {
		return nil, fail("bad configuration metadata: %v", err)
	}
	if err := ck.Config.Validate(); err != nil {
		return nil, fail("stored configuration is invalid: %v", err)
	}
	if tc.Meta[MetaKind] != ck.Config.Model.Kind {
		return nil, fail("model kind %q does not match its configuration's %q", tc.Meta[MetaKind], ck.Config.Model.Kind)
	}
	if ck.Tok, err = datasets.ReadTokenizer(strings.NewReader(tc.Meta[MetaTokenizer]), path+" (tokenizer)"); err != nil {
		return nil, err
	}
	return ck, nil
}

// LoadNetwork builds the checkpoint's model and loads its parameters, once
// the memory estimate of its forward program fits the budget (the stored
// configuration is untrusted: its sizes could claim any memory).
func (ck *Checkpoint) LoadNetwork() (*Network, error) {
	if _, err := CheckMemory(ck.Config, ck.Tok.VocabSize(), ck.ParamElems(), false); err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s", ck.Path)
	}
	n, err := BuildNetwork(ck.Config, ck.Tok.VocabSize(), ck.ParamElems())
	if err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s", ck.Path)
	}
	if err := n.Model.SetParamTensors(ck.Params); err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s", ck.Path)
	}
	return n, nil
}

// OpenCheckpoint finds, reads and loads the checkpoint a command names (see
// train.FindCheckpoint).
func OpenCheckpoint(arg string, preferBest bool) (*Checkpoint, *Network, error) {
	path, err := train.FindCheckpoint(arg, preferBest)
	if err != nil {
		return nil, nil, err
	}
	ck, err := ReadCheckpoint(path)
	if err != nil {
		return nil, nil, err
	}
	net, err := ck.LoadNetwork()
	if err != nil {
		return nil, nil, err
	}
	return ck, net, nil
}
