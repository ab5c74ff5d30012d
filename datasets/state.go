package datasets

import (
	"fmt"

	"github.com/pkg/errors"
)

// BatcherState is the position of a batcher: enough, with the same data and
// configuration, to resume at the exact next batch. It marshals to JSON (RNG
// as base64) for a checkpoint.
type BatcherState struct {
	// Kind is "lm" or "seq2seq".
	Kind string `json:"kind"`
	// Config fingerprints the batcher's configuration and data; Restore
	// refuses a state taken from another.
	Config string `json:"config"`
	// Epoch counts completed passes over the data; Step is the index, within
	// the epoch, of the next batch.
	Epoch int `json:"epoch"`
	Step  int `json:"step"`
	// RNG is the random generator's state (for Seq2SeqBatcher, its state at
	// the start of the epoch, from which the epoch's order is redrawn).
	RNG []byte `json:"rng"`
}

// checkState checks that s belongs to a batcher of kind and config with
// perEpoch batches per epoch.
func checkState(s BatcherState, kind, config string, perEpoch int) error {
	if s.Kind != kind || s.Config != config {
		return errors.Errorf("datasets: batcher state is for %s batcher %q, this is %s batcher %q", s.Kind, s.Config, kind, config)
	}
	if s.Epoch < 0 || s.Step < 0 || s.Step >= perEpoch {
		return errors.Errorf("datasets: batcher state epoch %d step %d out of range (%d batches per epoch)", s.Epoch, s.Step, perEpoch)
	}
	return nil
}

// fingerprint names a configuration and hashes its integer data (64-bit
// FNV-1a over the lengths and values of seqs, one word at a time).
func fingerprint(config string, seqs [][]int) string {
	const prime = 0x100000001b3
	h := uint64(0xcbf29ce484222325)
	for _, seq := range seqs {
		h = (h ^ uint64(len(seq))) * prime
		for _, v := range seq {
			h = (h ^ uint64(v)) * prime
		}
	}
	return fmt.Sprintf("%s data=%016x", config, h)
}
