package main

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
	metaKind      = "model.kind" // model.kind of the configuration
	metaConfig    = "config"     // the resolved configuration, JSON
	metaTokenizer = "tokenizer"  // the tokenizer, JSON (datasets.ReadTokenizer)
)

// checkpoint is a checkpoint file with its configuration and tokenizer.
type checkpoint struct {
	path string
	cfg  Config
	tok  datasets.Tokenizer
	*train.Checkpoint
}

// checkpointMeta returns the caller metadata of the checkpoints of a run.
func checkpointMeta(cfg Config, tok datasets.Tokenizer) (map[string]string, error) {
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, errors.Wrap(err, "checkpoint: configuration")
	}
	var tokJSON bytes.Buffer
	if err := tok.Save(&tokJSON); err != nil {
		return nil, err
	}
	return map[string]string{metaKind: cfg.Model.Kind, metaConfig: string(cfgJSON), metaTokenizer: tokJSON.String()}, nil
}

// readCheckpoint reads and checks the checkpoint file at path. Anything
// missing, malformed or inconsistent is an error naming the file; nothing
// is loaded into a model here.
func readCheckpoint(path string) (*checkpoint, error) {
	fail := func(format string, args ...interface{}) error {
		return errors.Errorf("checkpoint %s: %s", path, fmt.Sprintf(format, args...))
	}
	tc, err := train.ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	ck := &checkpoint{path: path, cfg: defaultConfig(), Checkpoint: tc}
	if _, ok := tc.Meta[metaConfig]; !ok {
		return nil, fail("not a trainer checkpoint: its metadata lacks %q (the trainer's configuration)", metaConfig)
	}
	dec := json.NewDecoder(strings.NewReader(tc.Meta[metaConfig]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ck.cfg); err != nil {
		return nil, fail("bad configuration metadata: %v", err)
	}
	if err := ck.cfg.validate(); err != nil {
		return nil, fail("stored configuration is invalid: %v", err)
	}
	if tc.Meta[metaKind] != ck.cfg.Model.Kind {
		return nil, fail("model kind %q does not match its configuration's %q", tc.Meta[metaKind], ck.cfg.Model.Kind)
	}
	if ck.tok, err = datasets.ReadTokenizer(strings.NewReader(tc.Meta[metaTokenizer]), path+" (tokenizer)"); err != nil {
		return nil, err
	}
	return ck, nil
}

// loadNetwork builds the checkpoint's model and loads its parameters, once
// the memory estimate of its forward program fits the budget (the stored
// configuration is untrusted: its sizes could claim any memory).
func (ck *checkpoint) loadNetwork() (*network, error) {
	if _, err := checkMemory(ck.cfg, ck.tok.VocabSize(), ck.ParamElems(), false); err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s", ck.path)
	}
	n, err := buildNetwork(ck.cfg, ck.tok.VocabSize(), ck.ParamElems())
	if err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s", ck.path)
	}
	if err := n.m.SetParamTensors(ck.Params); err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s", ck.path)
	}
	return n, nil
}

// openCheckpoint finds, reads and loads the checkpoint a command names (see
// train.FindCheckpoint).
func openCheckpoint(arg string, preferBest bool) (*checkpoint, *network, error) {
	path, err := train.FindCheckpoint(arg, preferBest)
	if err != nil {
		return nil, nil, err
	}
	ck, err := readCheckpoint(path)
	if err != nil {
		return nil, nil, err
	}
	net, err := ck.loadNetwork()
	if err != nil {
		return nil, nil, err
	}
	return ck, net, nil
}
