package train

import (
	"os"
	"sync"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/graph"
)

// Weights are parameter values to start a new run from (fine-tuning):
// the parameters under gorgonet's names and layouts, with the metadata of
// their file (a gorgonet checkpoint's caller metadata: the trainer stores
// its configuration and tokenizer there).
type Weights struct {
	Path   string // the file read
	Format string // the name of the WeightsFormat that read it
	Params map[string]*tensor.Dense
	Meta   map[string]string
}

// WeightsFormat reads one kind of weights file. Detect reports whether
// the file at path is of the format (reading as little as it needs); Read
// reads it, converting names and layouts to gorgonet's.
type WeightsFormat struct {
	Name   string
	Detect func(path string) bool
	Read   func(path string) (*Weights, error)
}

var (
	formatsMu sync.Mutex
	formats   []WeightsFormat
)

// RegisterWeightsFormat adds a format that ReadWeights tries, in the order
// registered, before gorgonet's own checkpoints (for instance Hugging Face
// GPT-2 or nanoGPT safetensors files).
func RegisterWeightsFormat(f WeightsFormat) {
	formatsMu.Lock()
	defer formatsMu.Unlock()
	formats = append(formats, f)
}

// checkpointWeights is the format of gorgonet's checkpoints.
var checkpointWeights = WeightsFormat{
	Name:   Format,
	Detect: func(string) bool { return true },
	Read: func(path string) (*Weights, error) {
		ck, err := ReadCheckpoint(path)
		if err != nil {
			return nil, err
		}
		return &Weights{Path: path, Format: Format, Params: ck.Params, Meta: ck.Meta}, nil
	},
}

// ReadWeights reads the weights at arg: a file, or a run directory, whose
// best checkpoint (BestFile) is used, else its latest. The registered
// formats are tried first; a file none of them detects must be a gorgonet
// checkpoint.
func ReadWeights(arg string) (*Weights, error) {
	path := arg
	if info, err := os.Stat(arg); err == nil && info.IsDir() {
		if path, err = FindCheckpoint(arg, true); err != nil {
			return nil, err
		}
	}
	formatsMu.Lock()
	all := append(append([]WeightsFormat(nil), formats...), checkpointWeights)
	formatsMu.Unlock()
	for _, f := range all {
		if f.Detect(path) {
			w, err := f.Read(path)
			if err != nil {
				return nil, errors.Wrapf(err, "reading %s weights", f.Name)
			}
			w.Path, w.Format = path, f.Name
			return w, nil
		}
	}
	return nil, errors.Errorf("%s: no weights format detected", path) // not reached: checkpoints detect every file
}

// InitFrom copies w's parameters into m, which must have exactly those
// parameters, of the same shapes and element type (else nothing is
// copied and the error names the first differences). The optimizer, the
// data position and the step are not w's: the run starts afresh from
// these weights.
func InitFrom(m *graph.Model, w *Weights) error {
	return errors.Wrapf(m.SetParamTensors(w.Params), "initialising from %s", w.Path)
}
