package rnn

import (
	"fmt"
	"math"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/layers"
	"github.com/gorgonet/gorgonet/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// AttentionKind selects the attention of a Seq2Seq decoder over the encoder
// outputs h_1 … h_S.
type AttentionKind int

// The attention kinds.
const (
	// NoAttention: the decoder sees the source only through its initial
	// state (Sutskever et al. 2014; Cho et al. 2014).
	NoAttention AttentionKind = iota
	// Bahdanau is additive attention (Bahdanau, Cho & Bengio 2015, "Neural
	// Machine Translation by Jointly Learning to Align and Translate"):
	// score(s, h_j) = v·tanh(W_q s + W_k h_j + b), queried with the decoder
	// state before the step; the context is fed into the step with the
	// embedded input token.
	Bahdanau
	// Luong is multiplicative "general" attention (Luong, Pham & Manning
	// 2015, "Effective Approaches to Attention-based Neural Machine
	// Translation"): score(s, h_j) = s·W_a·h_j, queried with the decoder
	// state after the step.
	Luong
)

// String returns "none", "bahdanau" or "luong".
func (k AttentionKind) String() string {
	switch k {
	case NoAttention:
		return "none"
	case Bahdanau:
		return "bahdanau"
	case Luong:
		return "luong"
	}
	return fmt.Sprintf("AttentionKind(%d)", int(k))
}

// maskedScore is the score given to padded source positions before the
// softmax: large and finite (a row of −Inf gives NaN; graph's
// TestTrapMinusInfMask).
const maskedScore = -1e9

// Attention scores the encoder outputs [B,S,C] against decoder states [H]
// and returns their weighted sum, the context, with the weights, a softmax
// over the source positions that gives padding (almost exactly) zero weight.
// Parameters: Bahdanau: "<name>.query.weight" [H,A], "<name>.key.weight"
// [C,A], "<name>.key.bias" [A], "<name>.v" [A,1]; Luong:
// "<name>.query.weight" [H,C] (W_a).
type Attention struct {
	Kind  AttentionKind
	Query *layers.Linear // W_q (Bahdanau) or W_a (Luong), no bias
	Key   *layers.Linear // W_k and b (Bahdanau only)
	V     *graph.Param   // v [A,1] (Bahdanau only)
	m     *graph.Model
}

// newAttention adds an attention of kind over contexts of size ctx, queried
// with states of size query; attn is Bahdanau's hidden size A.
func newAttention(m *graph.Model, name string, kind AttentionKind, query, ctx, attn int) (*Attention, error) {
	a := &Attention{Kind: kind, m: m}
	var err error
	switch kind {
	case Bahdanau:
		if a.Query, err = layers.NewLinear(m, graph.Join(name, "query"), query, attn, layers.NoBias()); err != nil {
			return nil, err
		}
		if a.Key, err = layers.NewLinear(m, graph.Join(name, "key"), ctx, attn); err != nil {
			return nil, err
		}
		b := 1 / math.Sqrt(float64(attn))
		if a.V, err = m.NewParam(graph.Join(name, "v"), tensor.Shape{attn, 1}, graph.Uniform(-b, b)); err != nil {
			return nil, err
		}
	case Luong:
		if a.Query, err = layers.NewLinear(m, graph.Join(name, "query"), query, ctx, layers.NoBias()); err != nil {
			return nil, err
		}
	default:
		return nil, errors.Errorf("rnn: no attention of kind %v", kind)
	}
	return a, nil
}

// memory is what the attention reads: the encoder outputs, their keys and the
// additive padding mask.
type memory struct {
	enc     *gorgonia.Node // [B,S,C]
	keys    *gorgonia.Node // Bahdanau: enc·W_k + b [B,S,A]; Luong: enc
	maskAdd *gorgonia.Node // [B,S]: 0 at tokens, maskedScore at padding
}

// memoryOf precomputes what depends on the encoder outputs enc [B,S,C] and
// the source mask [B,S] (1 at tokens, 0 at padding) only.
func (a *Attention) memoryOf(enc, mask *gorgonia.Node) (memory, error) {
	mem := memory{enc: enc, keys: enc}
	var err error
	if a.Kind == Bahdanau {
		if mem.keys, err = a.Key.Forward(enc); err != nil {
			return mem, err
		}
	}
	// (mask − 1)·1e9: 0 where mask is 1, −1e9 where it is 0.
	one, big := scalar(a.m, 1), scalar(a.m, -maskedScore)
	if mem.maskAdd, err = gorgonia.Sub(mask, one); err == nil {
		mem.maskAdd, err = gorgonia.Mul(mem.maskAdd, big)
	}
	return mem, errors.Wrap(err, "rnn: attention mask")
}

// scalar returns a constant c in m's dtype.
func scalar(m *graph.Model, c float64) *gorgonia.Node {
	if m.Dtype() == tensor.Float32 {
		return gorgonia.NewConstant(float32(c))
	}
	return gorgonia.NewConstant(c)
}

// context returns the context [B,Tq,C] and the weights [B,Tq,S] for queries
// q [B,Tq,H] (Tq = 1 for Bahdanau).
func (a *Attention) context(q *gorgonia.Node, mem memory) (ctx, weights *gorgonia.Node, err error) {
	batch, tq := q.Shape()[0], q.Shape()[1]
	qw, err := a.Query.Forward(q) // [B,Tq,A] or [B,Tq,C]
	if err != nil {
		return nil, nil, err
	}
	var scores *gorgonia.Node // [B,Tq,S]
	switch a.Kind {
	case Luong:
		if scores, err = gorgonia.BatchedMatMul(qw, mem.keys, false, true); err != nil {
			return nil, nil, errors.Wrap(err, "rnn: Luong scores")
		}
	case Bahdanau:
		if tq != 1 {
			return nil, nil, errors.Errorf("rnn: Bahdanau attention takes one query per step, got %v", q.Shape())
		}
		ks := mem.keys.Shape() // [B,S,A]
		if scores, err = gorgonia.Reshape(qw, tensor.Shape{batch, ks[2]}); err == nil {
			scores, err = gorgonia.BroadcastAdd(mem.keys, scores, nil, []byte{1})
		}
		if err == nil {
			scores, err = gorgonia.Tanh(scores)
		}
		if err == nil {
			scores, err = gorgonia.Reshape(scores, tensor.Shape{batch * ks[1], ks[2]})
		}
		if err == nil {
			scores, err = gorgonia.Mul(scores, a.V.Node())
		}
		if err == nil {
			scores, err = gorgonia.Reshape(scores, tensor.Shape{batch, 1, ks[1]})
		}
		if err != nil {
			return nil, nil, errors.Wrap(err, "rnn: Bahdanau scores")
		}
	}
	if scores, err = gorgonia.BroadcastAdd(scores, mem.maskAdd, nil, []byte{1}); err != nil {
		return nil, nil, errors.Wrap(err, "rnn: masking the scores")
	}
	if weights, err = ops.Softmax(scores); err != nil {
		return nil, nil, err
	}
	ctx, err = gorgonia.BatchedMatMul(weights, mem.enc, false, false)
	return ctx, weights, errors.Wrap(err, "rnn: attention context")
}
