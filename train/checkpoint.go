package train

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/optim"
	"github.com/gorgonet/gorgonet/safetensors"
)

// Checkpoint is the full state of a run, like nanoGPT's checkpoint dict:
// enough to resume it exactly (bit for bit), or to start another from its
// weights. It is stored as one safetensors file, readable by any
// safetensors library: the parameters under their names
// (graph.Model.Summary), the optimizer's buffers as float64 tensors
// "optim/<slot>/<parameter>", and the state carried between batches as
// "carried/<name>"; the rest goes into the string metadata (MetaStep …),
// beside the caller's Meta.
type Checkpoint struct {
	Params     map[string]*tensor.Dense
	Optimizer  *optim.State
	DropoutRNG []byte                 // graph.Model.DropoutState
	Data       *datasets.BatcherState // nil when the task has none
	Carried    map[string]*tensor.Dense
	State
	// Meta is the caller's: the trainer stores its configuration and
	// tokenizer there. Its keys must not be those of the checkpoint itself
	// (MetaFormat … MetaElapsed).
	Meta map[string]string
}

// Metadata keys written by WriteCheckpoint.
const (
	MetaFormat     = "format"         // Format
	MetaVersion    = "format_version" // Version
	MetaStep       = "step"           // optimizer steps done
	MetaOptimizer  = "optimizer"      // {"kind":…,"steps":…}
	MetaDropoutRNG = "dropout_rng"    // the model's dropout RNG state, base64
	MetaBatcher    = "batcher"        // datasets.BatcherState, JSON
	MetaTrainLoss  = "train_loss"     // loss of the last step
	MetaValLoss    = "val_loss"       // last validation loss, or "" when none yet
	MetaBestVal    = "best_val_loss"  // best validation loss so far, or ""
	MetaBadEvals   = "bad_evals"      // evaluations since the best (early stopping)
	MetaElapsed    = "elapsed_seconds"

	// Format and Version identify a checkpoint. The name is that of the
	// trainer's checkpoints, which were the first of this format.
	Format  = "gorgonet-trainer"
	Version = 1

	optimPrefix   = "optim/"
	carriedPrefix = "carried/"
)

// optimizerMeta is the JSON of MetaOptimizer.
type optimizerMeta struct {
	Kind  string `json:"kind"`
	Steps int    `json:"steps"`
}

// ownKeys are the metadata keys of the checkpoint itself.
var ownKeys = []string{MetaFormat, MetaVersion, MetaStep, MetaOptimizer, MetaDropoutRNG, MetaBatcher,
	MetaTrainLoss, MetaValLoss, MetaBestVal, MetaBadEvals, MetaElapsed}

// WriteCheckpoint writes ck to path atomically: a crash or an error leaves
// any previous file at path intact.
func WriteCheckpoint(path string, ck *Checkpoint) error {
	meta := map[string]string{}
	for k, v := range ck.Meta {
		meta[k] = v
	}
	for _, k := range ownKeys {
		if _, ok := meta[k]; ok {
			return errors.Errorf("train: checkpoint metadata key %q is the checkpoint's own", k)
		}
	}
	meta[MetaFormat] = Format
	meta[MetaVersion] = strconv.Itoa(Version)
	meta[MetaStep] = strconv.Itoa(ck.Step)
	meta[MetaTrainLoss] = formatLoss(ck.TrainLoss)
	meta[MetaValLoss] = formatLoss(ck.ValLoss)
	meta[MetaBestVal] = formatLoss(ck.BestVal)
	meta[MetaElapsed] = strconv.FormatFloat(ck.Elapsed, 'f', 3, 64)
	if ck.BadEvals > 0 {
		meta[MetaBadEvals] = strconv.Itoa(ck.BadEvals)
	}
	tensors := make([]safetensors.NamedTensor, 0, len(ck.Params))
	for _, name := range sortedKeys(ck.Params) {
		tensors = append(tensors, safetensors.NamedTensor{Name: name, T: ck.Params[name]})
	}
	if ck.Optimizer != nil {
		js, _ := json.Marshal(optimizerMeta{Kind: ck.Optimizer.Kind, Steps: ck.Optimizer.Steps})
		meta[MetaOptimizer] = string(js)
		tensors = append(tensors, graph.Float64Tensors(optimPrefix, ck.Optimizer.Slots)...)
	}
	meta[MetaDropoutRNG] = base64.StdEncoding.EncodeToString(ck.DropoutRNG)
	if ck.Data != nil {
		js, err := json.Marshal(ck.Data)
		if err != nil {
			return errors.Wrap(err, "train: checkpoint: data position")
		}
		meta[MetaBatcher] = string(js)
	}
	for _, name := range sortedKeys(ck.Carried) {
		tensors = append(tensors, safetensors.NamedTensor{Name: carriedPrefix + name, T: ck.Carried[name]})
	}
	return errors.Wrap(safetensors.WriteFile(path, tensors, meta), "train: saving checkpoint")
}

// formatLoss writes a loss for the metadata; NaN (none) is "".
func formatLoss(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// ReadCheckpoint reads and checks the checkpoint at path: its format and
// version, and that every entry of its metadata parses. Anything missing or
// malformed is an error naming the file. Whether it fits a model is checked
// when it is loaded (Loop.Restore, graph.Model.SetParamTensors).
func ReadCheckpoint(path string) (*Checkpoint, error) {
	fail := func(format string, args ...interface{}) error {
		return errors.Errorf("checkpoint %s: %s", path, fmt.Sprintf(format, args...))
	}
	tensors, meta, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, errors.Wrapf(err, "checkpoint %s (corrupt or truncated?)", path)
	}
	if meta[MetaFormat] != Format {
		return nil, fail("not a trainer checkpoint (its metadata lacks %q: %q); a plain safetensors file cannot be resumed or sampled", MetaFormat, Format)
	}
	if v := meta[MetaVersion]; v != strconv.Itoa(Version) {
		return nil, fail("format version %q, this version of gorgonet reads version %d", v, Version)
	}
	ck := &Checkpoint{Meta: map[string]string{}}
	for k, v := range meta {
		ck.Meta[k] = v
	}
	for _, k := range ownKeys {
		delete(ck.Meta, k)
	}
	if ck.Step, err = strconv.Atoi(meta[MetaStep]); err != nil || ck.Step < 0 {
		return nil, fail("bad step %q", meta[MetaStep])
	}
	if s := meta[MetaBadEvals]; s != "" {
		if ck.BadEvals, err = strconv.Atoi(s); err != nil || ck.BadEvals < 0 {
			return nil, fail("bad %s %q", MetaBadEvals, s)
		}
	}
	layers.UpgradeRecurrentNames(tensors) // a checkpoint of before the recurrent parameters' rename
	slots, err := graph.TakeFloat64s(tensors, optimPrefix)
	if err != nil {
		return nil, fail("%v", err)
	}
	if s := meta[MetaOptimizer]; s != "" {
		var om optimizerMeta
		if err := json.Unmarshal([]byte(s), &om); err != nil {
			return nil, fail("bad optimizer metadata: %v", err)
		}
		ck.Optimizer = &optim.State{Kind: om.Kind, Steps: om.Steps, Slots: slots}
	} else if len(slots) > 0 {
		return nil, fail("optimizer buffers without optimizer metadata")
	}
	ck.Carried = graph.TakePrefix(tensors, carriedPrefix)
	ck.Params = tensors
	if ck.DropoutRNG, err = base64.StdEncoding.DecodeString(meta[MetaDropoutRNG]); err != nil {
		return nil, fail("bad dropout RNG state: %v", err)
	}
	if s := meta[MetaBatcher]; s != "" {
		ck.Data = &datasets.BatcherState{}
		if err := json.Unmarshal([]byte(s), ck.Data); err != nil {
			return nil, fail("bad batcher state: %v", err)
		}
	}
	for _, f := range []struct {
		key string
		dst *float64
	}{{MetaTrainLoss, &ck.TrainLoss}, {MetaValLoss, &ck.ValLoss}, {MetaBestVal, &ck.BestVal}, {MetaElapsed, &ck.Elapsed}} {
		*f.dst = math.NaN()
		if s := meta[f.key]; s != "" {
			if *f.dst, err = strconv.ParseFloat(s, 64); err != nil {
				return nil, fail("bad %s %q", f.key, s)
			}
		}
	}
	if math.IsNaN(ck.Elapsed) {
		ck.Elapsed = 0
	}
	return ck, nil
}

// ParamElems returns the number of parameter elements ck holds (at least
// 1): the most a model built from its caller's configuration may have
// (graph.Model.SetParamLimit), since that configuration is untrusted input
// and must not make a reader allocate more than the file holds.
func (ck *Checkpoint) ParamElems() int {
	n := 0
	for _, t := range ck.Params {
		n += t.Shape().TotalSize()
	}
	return max(n, 1)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
