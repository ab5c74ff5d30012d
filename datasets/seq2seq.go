package datasets

import (
	"fmt"
	"sort"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Seq2SeqConfig configures a Seq2SeqBatcher.
type Seq2SeqConfig struct {
	// BatchSize is B, pairs per batch.
	BatchSize int
	// MaxSourceLen and MaxTargetLen limit the source and target lengths in
	// tokens (the target without <bos> and <eos>); 0 means no limit. A pair
	// over a limit is dropped (counted by Dropped) unless Truncate is set.
	MaxSourceLen, MaxTargetLen int
	// Truncate cuts over-long sequences to the limits instead of dropping
	// their pair.
	Truncate bool
	// FixedShape pads every batch to S = MaxSourceLen and T = MaxTargetLen+1
	// (both limits must be set), so one compiled program serves every batch.
	// Otherwise S and T are the longest source and target+1 of each batch.
	FixedShape bool
	// Shuffle redraws the order of the pairs at each epoch.
	Shuffle bool
	// Bucket sorts pairs by (source, target) length within pools of
	// BucketPool batches before cutting batches, so that a batch holds
	// pairs of similar lengths and little padding; the batches are then
	// shuffled when Shuffle is set.
	Bucket bool
	// BucketPool is the number of batches per bucketing pool; 0 means 100.
	BucketPool int
	// KeepLast also yields the last, smaller batch of an epoch when the
	// number of pairs is not a multiple of B; by default it is skipped.
	KeepLast bool
	// Seed seeds the shuffles.
	Seed uint64
}

// Seq2SeqBatch is a padded batch of sequence-to-sequence pairs for teacher
// forcing. With R rows (R = B except for a KeepLast batch), S source and T
// target positions:
//
//	Source       tensor.Int [R,S]  source ids, then PadID
//	DecoderInput tensor.Int [R,T]  BOSID, target ids, then PadID
//	Target       tensor.Int [R,T]  target ids, EOSID, then PadID
//	SourceMask   []float64  R·S    row-major; 1 at source tokens, 0 at padding
//	TargetMask   []float64  R·T    row-major; 1 at target ids and EOSID, 0 at padding
//
// For the pair ("abc", "xy"), char-tokenised, with S = T = 4:
//
//	Source       a     b c   <pad>    SourceMask 1 1 1 0
//	DecoderInput <bos> x y   <pad>
//	Target       x     y <eos> <pad>  TargetMask 1 1 1 0
//
// DecoderInput[r,t+1] == Target[r,t] wherever TargetMask[r,t+1] is 1. The
// masks are 1 exactly where the ids are not PadID (and DecoderInput is
// padded where TargetMask is 0). SourceMaskTensor and TargetMaskTensor
// return them as [R,S] and [R,T] tensors of a model's element type; for an
// additive attention mask use a large finite negative number such as −1e9,
// not −Inf: a row masked entirely with −Inf is NaN after a softmax (graph's
// TestTrapMinusInfMask).
type Seq2SeqBatch struct {
	Source, DecoderInput, Target *tensor.Dense
	SourceMask, TargetMask       []float64
	// SourceLens[r] is the number of source tokens of row r; TargetLens[r]
	// the number of target tokens including EOSID.
	SourceLens, TargetLens []int
	// Indices[r] is the index of row r's pair among the pairs kept by the
	// batcher (see Seq2SeqBatcher.Pair).
	Indices []int
	// Epoch and Step locate the batch: Step is its index within epoch Epoch.
	Epoch, Step int
}

// SourceMaskTensor returns SourceMask as an [R,S] tensor of element type dt
// (tensor.Float64 or tensor.Float32).
func (b *Seq2SeqBatch) SourceMaskTensor(dt tensor.Dtype) (*tensor.Dense, error) {
	return MaskTensor(b.SourceMask, b.Source.Shape(), dt)
}

// TargetMaskTensor returns TargetMask as an [R,T] tensor of element type dt
// (tensor.Float64 or tensor.Float32).
func (b *Seq2SeqBatch) TargetMaskTensor(dt tensor.Dtype) (*tensor.Dense, error) {
	return MaskTensor(b.TargetMask, b.Target.Shape(), dt)
}

// MaskTensor returns a copy of mask as a tensor of the given shape and
// element type (tensor.Float64 or tensor.Float32).
func MaskTensor(mask []float64, shape []int, dt tensor.Dtype) (*tensor.Dense, error) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if n != len(mask) || len(shape) == 0 {
		return nil, errors.Errorf("datasets: mask of %d values cannot have shape %v", len(mask), shape)
	}
	return denseOf(append([]float64(nil), mask...), shape, dt)
}

// Seq2SeqBatcher turns pairs into padded batches with masks (Seq2SeqBatch).
// Pairs are tokenised once, at construction. All random choices come from a
// generator seeded by Seq2SeqConfig.Seed; State and Restore save and resume
// the exact position.
type Seq2SeqBatcher struct {
	cfg         Seq2SeqConfig
	src, tgt    [][]int
	kept        []Pair
	dropped     int
	rng         *seededRNG
	epochRNG    []byte  // the RNG state at the start of the epoch
	batches     [][]int // this epoch's batches, as pair indices
	epoch, step int
	config      string
}

// NewSeq2SeqBatcher tokenises pairs, sources with srcTok and targets with
// tgtTok (which may be the same tokenizer), applies the length limits and
// draws the first epoch's order.
func NewSeq2SeqBatcher(pairs []Pair, srcTok, tgtTok Tokenizer, cfg Seq2SeqConfig) (*Seq2SeqBatcher, error) {
	switch {
	case cfg.BatchSize <= 0:
		return nil, errors.Errorf("datasets: seq2seq batcher: batch size %d must be positive", cfg.BatchSize)
	case cfg.MaxSourceLen < 0 || cfg.MaxTargetLen < 0 || cfg.BucketPool < 0:
		return nil, errors.Errorf("datasets: seq2seq batcher: negative limit (MaxSourceLen %d, MaxTargetLen %d, BucketPool %d)",
			cfg.MaxSourceLen, cfg.MaxTargetLen, cfg.BucketPool)
	case cfg.FixedShape && (cfg.MaxSourceLen == 0 || cfg.MaxTargetLen == 0):
		return nil, errors.New("datasets: seq2seq batcher: FixedShape needs MaxSourceLen and MaxTargetLen")
	case srcTok == nil || tgtTok == nil:
		return nil, errors.New("datasets: seq2seq batcher: nil tokenizer")
	}
	if cfg.BucketPool == 0 {
		cfg.BucketPool = 100
	}
	b := &Seq2SeqBatcher{cfg: cfg, rng: newRNG(cfg.Seed)}
	for _, p := range pairs {
		s, okS := limit(srcTok.Encode(p.Source), cfg.MaxSourceLen, cfg.Truncate)
		t, okT := limit(tgtTok.Encode(p.Target), cfg.MaxTargetLen, cfg.Truncate)
		if !okS || !okT {
			b.dropped++
			continue
		}
		b.src, b.tgt, b.kept = append(b.src, s), append(b.tgt, t), append(b.kept, p)
	}
	if b.perEpoch() == 0 {
		return nil, errors.Errorf("datasets: seq2seq batcher: %d of %d pairs within the length limits, fewer than a batch of %d",
			len(b.kept), len(pairs), cfg.BatchSize)
	}
	b.config = fingerprint(fmt.Sprintf("B=%d S=%d T=%d trunc=%v fixed=%v shuffle=%v bucket=%v/%d last=%v seed=%d n=%d",
		cfg.BatchSize, cfg.MaxSourceLen, cfg.MaxTargetLen, cfg.Truncate, cfg.FixedShape, cfg.Shuffle,
		cfg.Bucket, cfg.BucketPool, cfg.KeepLast, cfg.Seed, len(b.kept)), append(append([][]int(nil), b.src...), b.tgt...))
	b.drawEpoch()
	return b, nil
}

// limit applies a length limit to ids: ok is false when ids is too long and
// not to be truncated.
func limit(ids []int, n int, truncate bool) ([]int, bool) {
	if n == 0 || len(ids) <= n {
		return ids, true
	}
	return ids[:n], truncate
}

// Len returns the number of pairs kept within the length limits.
func (b *Seq2SeqBatcher) Len() int { return len(b.kept) }

// Dropped returns the number of pairs dropped for exceeding a length limit.
func (b *Seq2SeqBatcher) Dropped() int { return b.dropped }

// Pair returns kept pair i (see Seq2SeqBatch.Indices).
func (b *Seq2SeqBatcher) Pair(i int) Pair { return b.kept[i] }

// BatchesPerEpoch returns the number of batches in an epoch.
func (b *Seq2SeqBatcher) BatchesPerEpoch() int { return b.perEpoch() }

func (b *Seq2SeqBatcher) perEpoch() int {
	n := len(b.kept) / b.cfg.BatchSize
	if b.cfg.KeepLast && len(b.kept)%b.cfg.BatchSize != 0 {
		n++
	}
	return n
}

// drawEpoch records the RNG state and draws the epoch's batches from it.
func (b *Seq2SeqBatcher) drawEpoch() {
	b.epochRNG = b.rng.state()
	B := b.cfg.BatchSize
	order := make([]int, len(b.kept))
	for i := range order {
		order[i] = i
	}
	if b.cfg.Shuffle {
		b.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	if b.cfg.Bucket {
		for lo := 0; lo < len(order); lo += B * b.cfg.BucketPool {
			pool := order[lo:min(len(order), lo+B*b.cfg.BucketPool)]
			sort.SliceStable(pool, func(i, j int) bool {
				si, sj := len(b.src[pool[i]]), len(b.src[pool[j]])
				return si < sj || (si == sj && len(b.tgt[pool[i]]) < len(b.tgt[pool[j]]))
			})
		}
	}
	b.batches = b.batches[:0]
	for lo := 0; lo < len(order); lo += B {
		b.batches = append(b.batches, order[lo:min(len(order), lo+B)])
	}
	b.batches = b.batches[:b.perEpoch()]
	if full := len(order) / B; b.cfg.Bucket && b.cfg.Shuffle {
		b.rng.Shuffle(full, func(i, j int) { b.batches[i], b.batches[j] = b.batches[j], b.batches[i] })
	}
}

// Next returns the next batch.
func (b *Seq2SeqBatcher) Next() Seq2SeqBatch {
	idx := b.batches[b.step]
	batch := b.build(idx)
	if b.step++; b.step == len(b.batches) {
		b.epoch, b.step = b.epoch+1, 0
		b.drawEpoch()
	}
	return batch
}

// build pads the pairs idx into a batch.
func (b *Seq2SeqBatcher) build(idx []int) Seq2SeqBatch {
	R := len(idx)
	S, T := b.cfg.MaxSourceLen, b.cfg.MaxTargetLen+1
	if !b.cfg.FixedShape {
		S, T = 1, 1
		for _, i := range idx {
			S, T = max(S, len(b.src[i])), max(T, len(b.tgt[i])+1)
		}
	}
	out := Seq2SeqBatch{
		SourceMask: make([]float64, R*S), TargetMask: make([]float64, R*T),
		SourceLens: make([]int, R), TargetLens: make([]int, R),
		Indices: append([]int(nil), idx...), Epoch: b.epoch, Step: b.step,
	}
	src, dec, tgt := make([]int, R*S), make([]int, R*T), make([]int, R*T) // zero is PadID
	for r, i := range idx {
		s, t := b.src[i], b.tgt[i]
		copy(src[r*S:], s)
		dec[r*T] = BOSID
		copy(dec[r*T+1:], t)
		copy(tgt[r*T:], t)
		tgt[r*T+len(t)] = EOSID
		out.SourceLens[r], out.TargetLens[r] = len(s), len(t)+1
		fillOnes(out.SourceMask[r*S : r*S+len(s)])
		fillOnes(out.TargetMask[r*T : r*T+len(t)+1])
	}
	out.Source = tensor.New(tensor.WithShape(R, S), tensor.WithBacking(src))
	out.DecoderInput = tensor.New(tensor.WithShape(R, T), tensor.WithBacking(dec))
	out.Target = tensor.New(tensor.WithShape(R, T), tensor.WithBacking(tgt))
	return out
}

func fillOnes(x []float64) {
	for i := range x {
		x[i] = 1
	}
}

// State returns the batcher's position.
func (b *Seq2SeqBatcher) State() BatcherState {
	return BatcherState{Kind: "seq2seq", Config: b.config, Epoch: b.epoch, Step: b.step, RNG: append([]byte(nil), b.epochRNG...)}
}

// Restore moves the batcher to a position returned by State of a batcher
// with the same configuration, pairs and tokenizers; Next then returns the
// batch that would have followed.
func (b *Seq2SeqBatcher) Restore(s BatcherState) error {
	if err := checkState(s, "seq2seq", b.config, b.perEpoch()); err != nil {
		return err
	}
	if err := b.rng.restore(s.RNG); err != nil {
		return err
	}
	b.drawEpoch()
	b.epoch, b.step = s.Epoch, s.Step
	return nil
}
