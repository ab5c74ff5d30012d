package transformer

import (
	"github.com/gorgonet/gorgonet/layers"
	"github.com/pkg/errors"
)

// Positions selects the positional encoding of an LM.
type Positions int

const (
	// LearnedPositions is a trained table of position embeddings
	// "pos_emb.weight" [Context,Dim], as in GPT-2.
	LearnedPositions Positions = iota
	// SinusoidalPositions is the fixed sinusoidal encoding of Vaswani et al.
	// (2017, §3.5); it has no parameters.
	SinusoidalPositions
)

func (p Positions) String() string {
	switch p {
	case LearnedPositions:
		return "learned"
	case SinusoidalPositions:
		return "sinusoidal"
	}
	return "Positions(?)"
}

// LMConfig configures a decoder-only language model (LM). The zero values of
// the optional fields give a GPT-2-style model with biases, learned
// positions, GELU, an untied head and N(0, 0.02²) initialisation.
type LMConfig struct {
	Vocab   int // number of token ids; ids run over [0, Vocab)
	Context int // longest sequence the model reads (nanoGPT's block_size)
	Dim     int // model width d_model
	Heads   int // attention heads; must divide Dim
	Layers  int // number of blocks
	Hidden  int // feed-forward width; 0 means 4·Dim

	Dropout    float64           // on embeddings, attention weights and sub-layer outputs, in [0,1)
	NoBias     bool              // leave out the biases of every Linear and LayerNorm (nanoGPT's bias=False)
	TiedHead   bool              // output head is the token embedding transposed; no "head.weight"
	Positions  Positions         // LearnedPositions (default) or SinusoidalPositions
	InitStd    float64           // std of the normal initialisation of weights and embeddings; 0 means 0.02
	Activation layers.Activation // of the feed-forward blocks; nil means GELU
}

// Validate returns an error naming the first invalid field of c, or nil.
func (c LMConfig) Validate() error {
	if err := positive("LMConfig", []string{"Vocab", "Context", "Dim", "Heads", "Layers"},
		c.Vocab, c.Context, c.Dim, c.Heads, c.Layers); err != nil {
		return err
	}
	if err := blockFields("LMConfig", c.Dim, c.Heads, c.Hidden, c.Dropout); err != nil {
		return err
	}
	if c.Positions != LearnedPositions && c.Positions != SinusoidalPositions {
		return errors.Errorf("transformer: LMConfig: unknown Positions %d", int(c.Positions))
	}
	if !(c.InitStd >= 0) {
		return errors.Errorf("transformer: LMConfig: InitStd %v is negative", c.InitStd)
	}
	return nil
}

// Seq2SeqConfig configures an encoder–decoder Transformer (Seq2Seq). The
// zero values of the optional fields give the model of the paper: post-LN,
// ReLU, separate embeddings and an untied output projection.
type Seq2SeqConfig struct {
	SourceVocab int // number of source token ids
	TargetVocab int // number of target token ids
	MaxLen      int // longest source and longest target sequence (target counted with its BOS or EOS)
	Dim         int // model width d_model
	Heads       int // attention heads; must divide Dim
	Layers      int // N: number of encoder layers and of decoder layers
	Hidden      int // feed-forward width d_ff; 0 means 4·Dim

	// PadID, BOSID and EOSID are the padding, begin- and end-of-sequence ids,
	// distinct and valid in both vocabularies (package datasets uses 0, 1, 2).
	// Padding is masked out of attention and of the loss; the decoder input
	// starts with BOSID and the target ends with EOSID.
	PadID, BOSID, EOSID int

	Dropout          float64              // on embeddings, attention weights and sub-layer outputs (the paper: 0.1)
	Norm             layers.NormPlacement // PostLN (the paper, default) or PreLN
	SharedEmbeddings bool                 // one embedding "emb.weight" for source and target; needs SourceVocab == TargetVocab
	TiedOutput       bool                 // output projection is the target embedding transposed; no "head.weight"
	Activation       layers.Activation    // of the feed-forward blocks; nil means ReLU
}

// Validate returns an error naming the first invalid field of c, or nil.
func (c Seq2SeqConfig) Validate() error {
	if err := positive("Seq2SeqConfig", []string{"SourceVocab", "TargetVocab", "MaxLen", "Dim", "Heads", "Layers"},
		c.SourceVocab, c.TargetVocab, c.MaxLen, c.Dim, c.Heads, c.Layers); err != nil {
		return err
	}
	if err := blockFields("Seq2SeqConfig", c.Dim, c.Heads, c.Hidden, c.Dropout); err != nil {
		return err
	}
	if c.MaxLen < 2 {
		return errors.Errorf("transformer: Seq2SeqConfig: MaxLen %d leaves no room for a token and EOS", c.MaxLen)
	}
	if c.Norm != layers.PostLN && c.Norm != layers.PreLN {
		return errors.Errorf("transformer: Seq2SeqConfig: unknown Norm %d", int(c.Norm))
	}
	if c.SharedEmbeddings && c.SourceVocab != c.TargetVocab {
		return errors.Errorf("transformer: Seq2SeqConfig: SharedEmbeddings needs SourceVocab == TargetVocab, got %d and %d", c.SourceVocab, c.TargetVocab)
	}
	ids := []struct {
		name string
		id   int
	}{{"PadID", c.PadID}, {"BOSID", c.BOSID}, {"EOSID", c.EOSID}}
	for i, a := range ids {
		if a.id < 0 || a.id >= c.SourceVocab || a.id >= c.TargetVocab {
			return errors.Errorf("transformer: Seq2SeqConfig: %s %d outside both vocabularies [0,%d) and [0,%d)", a.name, a.id, c.SourceVocab, c.TargetVocab)
		}
		for _, b := range ids[:i] {
			if a.id == b.id {
				return errors.Errorf("transformer: Seq2SeqConfig: %s and %s are both %d; they must differ", b.name, a.name, a.id)
			}
		}
	}
	return nil
}

// positive returns an error naming the first of fields whose value is not
// positive.
func positive(what string, fields []string, values ...int) error {
	for i, v := range values {
		if v <= 0 {
			return errors.Errorf("transformer: %s: %s must be positive, got %d", what, fields[i], v)
		}
	}
	return nil
}

// blockFields checks the fields shared by both configs.
func blockFields(what string, dim, heads, hidden int, dropout float64) error {
	if dim%heads != 0 {
		return errors.Errorf("transformer: %s: Dim %d is not divisible by Heads %d", what, dim, heads)
	}
	if hidden < 0 {
		return errors.Errorf("transformer: %s: Hidden %d is negative", what, hidden)
	}
	if !(dropout >= 0 && dropout < 1) {
		return errors.Errorf("transformer: %s: Dropout %v outside [0, 1)", what, dropout)
	}
	return nil
}
