package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/optim"
	"github.com/gorgonet/gorgonet/safetensors"
)

// A checkpoint is one safetensors file (readable by any safetensors
// library): the parameters under the names Model.Summary shows, the
// optimizer's moment buffers as float64 tensors "optim/<slot>/<parameter>",
// and for recurrent LMs the hidden state carried between batches,
// "carried/<input>". The metadata (string to string) holds the rest:
const (
	metaFormat     = "format"         // checkpointFormat
	metaVersion    = "format_version" // checkpointVersion
	metaKind       = "model.kind"     // model.kind of the configuration
	metaStep       = "step"           // optimizer steps done
	metaConfig     = "config"         // the resolved configuration, JSON
	metaTokenizer  = "tokenizer"      // the tokenizer, JSON (datasets.ReadTokenizer)
	metaOptimizer  = "optimizer"      // {"kind":…,"steps":…}
	metaDropoutRNG = "dropout_rng"    // the model's dropout RNG state, base64
	metaBatcher    = "batcher"        // datasets.BatcherState, JSON
	metaTrainLoss  = "train_loss"     // loss of the last step
	metaValLoss    = "val_loss"       // last validation loss, or "" when none yet
	metaBestVal    = "best_val_loss"  // best validation loss so far, or ""
	metaElapsed    = "elapsed_seconds"

	checkpointFormat  = "gorgonet-trainer"
	checkpointVersion = 1

	optimPrefix = "optim/"
)

// checkpoint is the content of a checkpoint file.
type checkpoint struct {
	path       string
	cfg        Config
	tok        datasets.Tokenizer
	step       int
	params     map[string]*tensor.Dense
	optim      *optim.State
	carried    map[string]*tensor.Dense
	dropoutRNG []byte
	batcher    *datasets.BatcherState
	trainLoss  float64
	valLoss    float64 // NaN when none
	bestVal    float64 // NaN when none
	elapsed    float64
}

// optimizerMeta is the JSON of metaOptimizer.
type optimizerMeta struct {
	Kind  string `json:"kind"`
	Steps int    `json:"steps"`
}

// saveCheckpoint writes the state of r to path atomically: a crash or an
// error leaves any previous file at path intact.
func saveCheckpoint(path string, r *run) error {
	state, err := r.opt.State()
	if err != nil {
		return err
	}
	cfgJSON, err := json.Marshal(r.cfg)
	if err != nil {
		return errors.Wrap(err, "checkpoint: configuration")
	}
	var tokJSON bytes.Buffer
	if err := r.tok.Save(&tokJSON); err != nil {
		return err
	}
	optJSON, _ := json.Marshal(optimizerMeta{Kind: state.Kind, Steps: state.Steps})
	rng, err := r.net.m.DropoutState()
	if err != nil {
		return err
	}
	batcherJSON, err := json.Marshal(r.task.batcherState())
	if err != nil {
		return errors.Wrap(err, "checkpoint: batcher state")
	}
	meta := map[string]string{
		metaFormat:     checkpointFormat,
		metaVersion:    strconv.Itoa(checkpointVersion),
		metaKind:       r.cfg.Model.Kind,
		metaStep:       strconv.Itoa(r.step),
		metaConfig:     string(cfgJSON),
		metaTokenizer:  tokJSON.String(),
		metaOptimizer:  string(optJSON),
		metaDropoutRNG: base64.StdEncoding.EncodeToString(rng),
		metaBatcher:    string(batcherJSON),
		metaTrainLoss:  formatLoss(r.lastLoss),
		metaValLoss:    formatLoss(r.lastVal),
		metaBestVal:    formatLoss(r.bestVal),
		metaElapsed:    strconv.FormatFloat(r.elapsed(), 'f', 3, 64),
	}
	tensors := r.net.m.ParamTensors()
	tensors = append(tensors, graph.Float64Tensors(optimPrefix, state.Slots)...)
	tensors = append(tensors, r.task.carried()...)
	return errors.Wrap(safetensors.WriteFile(path, tensors, meta), "saving checkpoint")
}

// formatLoss writes a loss for the metadata; NaN (none) is "".
func formatLoss(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// readCheckpoint reads and checks the checkpoint file at path. Anything
// missing, malformed or inconsistent is an error naming the file; nothing
// is loaded into a model here.
func readCheckpoint(path string) (*checkpoint, error) {
	fail := func(format string, args ...interface{}) error {
		return errors.Errorf("checkpoint %s: %s", path, fmt.Sprintf(format, args...))
	}
	tensors, meta, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s (corrupt or truncated?)", path)
	}
	if meta[metaFormat] != checkpointFormat {
		return nil, fail("not a trainer checkpoint (its metadata lacks %q: %q); a plain safetensors file cannot be resumed or sampled", metaFormat, checkpointFormat)
	}
	if v := meta[metaVersion]; v != strconv.Itoa(checkpointVersion) {
		return nil, fail("format version %q, this trainer reads version %d", v, checkpointVersion)
	}
	ck := &checkpoint{path: path, cfg: defaultConfig()}
	dec := json.NewDecoder(strings.NewReader(meta[metaConfig]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ck.cfg); err != nil {
		return nil, fail("bad configuration metadata: %v", err)
	}
	if err := ck.cfg.validate(); err != nil {
		return nil, fail("stored configuration is invalid: %v", err)
	}
	if meta[metaKind] != ck.cfg.Model.Kind {
		return nil, fail("model kind %q does not match its configuration's %q", meta[metaKind], ck.cfg.Model.Kind)
	}
	if ck.tok, err = datasets.ReadTokenizer(strings.NewReader(meta[metaTokenizer]), path+" (tokenizer)"); err != nil {
		return nil, err
	}
	if ck.step, err = strconv.Atoi(meta[metaStep]); err != nil || ck.step < 0 {
		return nil, fail("bad step %q", meta[metaStep])
	}
	var om optimizerMeta
	if err := json.Unmarshal([]byte(meta[metaOptimizer]), &om); err != nil {
		return nil, fail("bad optimizer metadata: %v", err)
	}
	layers.UpgradeRecurrentNames(tensors) // a checkpoint of before the recurrent parameters' rename
	slots, err := graph.TakeFloat64s(tensors, optimPrefix)
	if err != nil {
		return nil, fail("%v", err)
	}
	ck.optim = &optim.State{Kind: om.Kind, Steps: om.Steps, Slots: slots}
	ck.carried = graph.TakePrefix(tensors, carriedPrefix)
	ck.params = tensors
	if ck.dropoutRNG, err = base64.StdEncoding.DecodeString(meta[metaDropoutRNG]); err != nil {
		return nil, fail("bad dropout RNG state: %v", err)
	}
	if s := meta[metaBatcher]; s != "" {
		ck.batcher = &datasets.BatcherState{}
		if err := json.Unmarshal([]byte(s), ck.batcher); err != nil {
			return nil, fail("bad batcher state: %v", err)
		}
	}
	for _, f := range []struct {
		key string
		dst *float64
	}{{metaTrainLoss, &ck.trainLoss}, {metaValLoss, &ck.valLoss}, {metaBestVal, &ck.bestVal}, {metaElapsed, &ck.elapsed}} {
		*f.dst = math.NaN()
		if s := meta[f.key]; s != "" {
			if *f.dst, err = strconv.ParseFloat(s, 64); err != nil {
				return nil, fail("bad %s %q", f.key, s)
			}
		}
	}
	return ck, nil
}

// loadNetwork builds the checkpoint's model and loads its parameters.
func (ck *checkpoint) loadNetwork() (*network, error) {
	n, err := buildNetwork(ck.cfg, ck.tok.VocabSize(), ck.paramElems())
	if err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s", ck.path)
	}
	if err := n.m.SetParamTensors(ck.params); err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s", ck.path)
	}
	return n, nil
}

// paramElems returns the number of parameter elements the checkpoint holds,
// the most a model built from its configuration may have; 0 for no
// checkpoint (ck nil).
func (ck *checkpoint) paramElems() int {
	if ck == nil {
		return 0
	}
	n := 0
	for _, t := range ck.params {
		n += t.Shape().TotalSize()
	}
	return max(n, 1)
}

// Files of a run directory.
const (
	bestFile      = "best.safetensors"
	metricsFile   = "metrics.jsonl"
	plotFile      = "loss.png"
	configFile    = "config.json"
	tokenizerFile = "tokenizer.json"
)

var stepFile = regexp.MustCompile(`^ckpt-(\d+)\.safetensors$`)

// stepCheckpointName is the file name of the checkpoint of a step.
func stepCheckpointName(step int) string { return fmt.Sprintf("ckpt-%06d.safetensors", step) }

// stepCheckpoints lists the step checkpoints of dir, oldest first.
func stepCheckpoints(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errors.Wrap(err, "listing checkpoints")
	}
	type file struct {
		name string
		step int
	}
	var files []file
	for _, e := range entries {
		if m := stepFile.FindStringSubmatch(e.Name()); m != nil && e.Type().IsRegular() {
			step, _ := strconv.Atoi(m[1])
			files = append(files, file{e.Name(), step})
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].step < files[j].step })
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = filepath.Join(dir, f.name)
	}
	return out, nil
}

// findCheckpoint resolves a command's checkpoint argument: a file is used
// as is; for a run directory, preferBest picks best.safetensors when it
// exists, else (and always for resume) the latest step checkpoint.
func findCheckpoint(arg string, preferBest bool) (string, error) {
	info, err := os.Stat(arg)
	if err != nil {
		return "", errors.Wrap(err, "checkpoint")
	}
	if !info.IsDir() {
		return arg, nil
	}
	if preferBest {
		if p := filepath.Join(arg, bestFile); fileExists(p) {
			return p, nil
		}
	}
	steps, err := stepCheckpoints(arg)
	if err != nil {
		return "", err
	}
	if len(steps) == 0 {
		if p := filepath.Join(arg, bestFile); fileExists(p) {
			return p, nil
		}
		return "", errors.Errorf("run directory %s holds no checkpoint (ckpt-*.safetensors or %s)", arg, bestFile)
	}
	return steps[len(steps)-1], nil
}

func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// pruneCheckpoints deletes the oldest step checkpoints of dir beyond keep.
func pruneCheckpoints(dir string, keep int) error {
	steps, err := stepCheckpoints(dir)
	if err != nil {
		return err
	}
	for len(steps) > keep {
		if err := os.Remove(steps[0]); err != nil {
			return errors.Wrap(err, "removing an old checkpoint")
		}
		steps = steps[1:]
	}
	return nil
}

// removeUnfinishedWrites deletes the temporary files that a crash in the
// middle of an atomic write of one of the trainer's files left in dir
// (atomicfile.WriteFile names them ".NAME.tmp-*"); the files they were to
// replace are intact.
func removeUnfinishedWrites(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return errors.Wrap(err, "listing the run directory")
	}
	for _, e := range entries {
		name, _, ok := strings.Cut(strings.TrimPrefix(e.Name(), "."), ".tmp-")
		if !ok || !strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() || !isTrainerFile(name) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return errors.Wrap(err, "removing the temporary file of an unfinished write")
		}
	}
	return nil
}

// openCheckpoint finds, reads and loads the checkpoint a command names (see
// findCheckpoint).
func openCheckpoint(arg string, preferBest bool) (*checkpoint, *network, error) {
	path, err := findCheckpoint(arg, preferBest)
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
