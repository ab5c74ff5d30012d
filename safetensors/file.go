package safetensors

import (
	"io"
	"os"

	"github.com/gorgonet/gorgonet/internal/atomicfile"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// ReadFile reads the safetensors file at path (see Read).
func ReadFile(path string) (map[string]*tensor.Dense, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, errors.Wrap(err, "safetensors")
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, errors.Wrap(err, "safetensors")
	}
	tensors, metadata, err := Read(f, info.Size())
	return tensors, metadata, errors.Wrapf(err, "reading %s", path)
}

// WriteFile writes tensors and metadata to path (see Write), atomically: a
// reader or a crash sees the old file or the complete new one, never a mix.
func WriteFile(path string, tensors []NamedTensor, metadata map[string]string) error {
	err := atomicfile.WriteFile(path, func(w io.Writer) error { return Write(w, tensors, metadata) })
	return errors.Wrapf(err, "writing %s", path)
}
