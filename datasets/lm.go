package datasets

import (
	"fmt"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// LMMode selects how LMBatcher cuts windows.
type LMMode int

const (
	// RandomWindows draws each row of a batch as a window starting at a
	// uniformly random offset (the nanoGPT way). An epoch is nominal:
	// (len(ids)−1)/(B·T) batches.
	RandomWindows LMMode = iota
	// Streams cuts the ids into B contiguous streams of (len(ids)−1)/B
	// tokens; row b of batch k is window k of stream b, so row b of
	// consecutive batches is contiguous text, as a stateful RNN carrying its
	// hidden state across batches (truncated BPTT) needs. An epoch is one
	// pass over the streams; reset the state where LMBatch.Step == 0.
	Streams
)

// String returns "random" or "streams".
func (m LMMode) String() string {
	if m == Streams {
		return "streams"
	}
	return "random"
}

// LMConfig configures an LMBatcher.
type LMConfig struct {
	BatchSize int    // B, rows per batch
	SeqLen    int    // T, tokens per row
	Mode      LMMode // RandomWindows or Streams
	Seed      uint64 // seeds RandomWindows
}

// LMBatch is one language-model batch.
type LMBatch struct {
	// Inputs and Targets are tensor.Int of shape [B,T]; Targets[b,t] is the
	// token that follows Inputs[b,t] in the text, so Targets[b,t] ==
	// Inputs[b,t+1] for t < T−1.
	Inputs, Targets *tensor.Dense
	// Epoch and Step locate the batch: Step is its index within epoch Epoch.
	Epoch, Step int
}

// LMBatcher cuts a token stream into language-model batches. All random
// choices come from a generator seeded by LMConfig.Seed; State and Restore
// save and resume the exact position.
type LMBatcher struct {
	ids         []int
	cfg         LMConfig
	rng         *seededRNG
	streamLen   int // Streams: tokens per stream
	perEpoch    int
	epoch, step int
	config      string
}

// NewLMBatcher returns a batcher over ids (not copied; do not modify them
// while batching). ids must be non-negative and long enough for one batch:
// T+1 tokens in RandomWindows mode, B·T+1 in Streams mode.
func NewLMBatcher(ids []int, cfg LMConfig) (*LMBatcher, error) {
	B, T := cfg.BatchSize, cfg.SeqLen
	if B <= 0 || T <= 0 || (cfg.Mode != RandomWindows && cfg.Mode != Streams) {
		return nil, errors.Errorf("datasets: LM batcher: batch size %d and sequence length %d must be positive, mode %d RandomWindows or Streams", B, T, cfg.Mode)
	}
	for i, id := range ids {
		if id < 0 {
			return nil, errors.Errorf("datasets: LM batcher: negative id %d at position %d", id, i)
		}
	}
	b := &LMBatcher{ids: ids, cfg: cfg, rng: newRNG(cfg.Seed)}
	n := len(ids) - 1 // tokens that have a next token
	switch cfg.Mode {
	case RandomWindows:
		if n < T {
			return nil, errors.Errorf("datasets: LM batcher: %d tokens, need at least T+1 = %d", len(ids), T+1)
		}
		b.perEpoch = max(1, n/(B*T))
	case Streams:
		b.streamLen = n / B
		if b.streamLen < T {
			return nil, errors.Errorf("datasets: LM batcher: %d tokens make %d streams of %d, need at least T = %d each (B·T+1 = %d tokens)",
				len(ids), B, b.streamLen, T, B*T+1)
		}
		b.perEpoch = b.streamLen / T
	}
	b.config = fingerprint(fmt.Sprintf("mode=%v B=%d T=%d seed=%d n=%d", cfg.Mode, B, T, cfg.Seed, len(ids)), [][]int{ids})
	return b, nil
}

// BatchesPerEpoch returns the number of batches in an epoch.
func (b *LMBatcher) BatchesPerEpoch() int { return b.perEpoch }

// Next returns the next batch.
func (b *LMBatcher) Next() LMBatch {
	B, T := b.cfg.BatchSize, b.cfg.SeqLen
	in, tg := make([]int, B*T), make([]int, B*T)
	for r := 0; r < B; r++ {
		var start int
		if b.cfg.Mode == Streams {
			start = r*b.streamLen + b.step*T
		} else {
			start = b.rng.IntN(len(b.ids) - T)
		}
		copy(in[r*T:(r+1)*T], b.ids[start:start+T])
		copy(tg[r*T:(r+1)*T], b.ids[start+1:start+T+1])
	}
	batch := LMBatch{
		Inputs:  tensor.New(tensor.WithShape(B, T), tensor.WithBacking(in)),
		Targets: tensor.New(tensor.WithShape(B, T), tensor.WithBacking(tg)),
		Epoch:   b.epoch,
		Step:    b.step,
	}
	if b.step++; b.step == b.perEpoch {
		b.epoch, b.step = b.epoch+1, 0
	}
	return batch
}

// State returns the batcher's position.
func (b *LMBatcher) State() BatcherState {
	return BatcherState{Kind: "lm", Config: b.config, Epoch: b.epoch, Step: b.step, RNG: b.rng.state()}
}

// Restore moves the batcher to a position returned by State of a batcher
// with the same configuration and ids; Next then returns the batch that
// would have followed.
func (b *LMBatcher) Restore(s BatcherState) error {
	if err := checkState(s, "lm", b.config, b.perEpoch); err != nil {
		return err
	}
	if err := b.rng.restore(s.RNG); err != nil {
		return err
	}
	b.epoch, b.step = s.Epoch, s.Step
	return nil
}
