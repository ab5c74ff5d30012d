package layers

import (
	"math"

	"github.com/gorgonet/gorgonet/ops"
	"github.com/pkg/errors"
	"gorgonia.org/gorgonia"
)

// ScaledDotProductAttention computes the attention of Vaswani et al. (2017,
// §3.2.1, eq. 1),
//
//	Attention(Q, K, V) = softmax(QKᵀ/√d_k + mask)·V,
//
// for q [B,H,Tq,dk], k [B,H,Tk,dk] and v [B,H,Tk,dv] (or the same without the
// head axis: [B,Tq,dk], [B,Tk,dk], [B,Tk,dv]). It returns the output
// [B,H,Tq,dv] and the attention weights [B,H,Tq,Tk], whose rows sum to 1 over
// the keys the mask leaves visible and are exactly 0 on the masked ones (see
// Mask). QKᵀ and the product with V are each one batched matrix product; the
// scaling, masking and softmax are one fused operation.
func ScaledDotProductAttention(q, k, v *gorgonia.Node, mask Mask) (out, weights *gorgonia.Node, err error) {
	if weights, err = AttentionWeights(q, k, mask); err != nil {
		return nil, nil, err
	}
	if out, err = applyAttention(weights, v); err != nil {
		return nil, nil, err
	}
	return out, weights, nil
}

// AttentionWeights returns softmax(QKᵀ/√d_k + mask), the attention weights
// [B,H,Tq,Tk] of ScaledDotProductAttention, for q [B,H,Tq,dk] and k
// [B,H,Tk,dk] (or [B,Tq,dk] and [B,Tk,dk]). Use it to insert dropout on the
// weights before multiplying them by V, as MultiHeadAttention does.
func AttentionWeights(q, k *gorgonia.Node, mask Mask) (*gorgonia.Node, error) {
	if q == nil || k == nil {
		return nil, errors.New("layers: attention: nil query or key")
	}
	qs, ks := q.Shape(), k.Shape()
	n := qs.Dims()
	if (n != 3 && n != 4) || ks.Dims() != n || q.Dtype() != k.Dtype() ||
		!qs[:n-2].Eq(ks[:n-2]) || qs[n-1] != ks[n-1] {
		return nil, errors.Errorf("layers: attention: query %v %v and key %v %v, want [B,H,Tq,dk] and [B,H,Tk,dk] (or [B,Tq,dk] and [B,Tk,dk]) of one element type",
			q.Dtype(), qs, k.Dtype(), ks)
	}
	return attentionWeights(q, k, mask, ops.BMMLayout{TransB: true}, qs[n-1])
}

// attentionWeights returns the masked softmax of QKᵀ/√dk, QKᵀ computed by
// ops.BatchedMatMul under layout l (TransB set; interleaved operands
// [B,T,H,dk] for MultiHeadAttention), as weights [B,H,Tq,Tk].
func attentionWeights(q, k *gorgonia.Node, mask Mask, l ops.BMMLayout, dk int) (*gorgonia.Node, error) {
	scores, err := ops.BatchedMatMul(q, k, l)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: attention: QKᵀ of %v and %v", q.Shape(), k.Shape())
	}
	w, err := maskedSoftmax(scores, 1/math.Sqrt(float64(dk)), mask)
	return w, errors.Wrap(err, "layers: attention")
}

// applyAttention returns weights·v for weights [B,H,Tq,Tk] and v [B,H,Tk,dv]
// (or without the head axis).
func applyAttention(weights, v *gorgonia.Node) (*gorgonia.Node, error) {
	if v == nil {
		return nil, errors.New("layers: attention: nil value")
	}
	ws, vs := weights.Shape(), v.Shape()
	n := ws.Dims()
	if vs.Dims() != n || v.Dtype() != weights.Dtype() || !ws[:n-2].Eq(vs[:n-2]) || ws[n-1] != vs[n-2] {
		return nil, errors.Errorf("layers: attention: value %v %v does not match weights %v %v, want [%v…,Tk=%d,dv]",
			v.Dtype(), vs, weights.Dtype(), ws, ws[:n-2], ws[n-1])
	}
	out, err := ops.BatchedMatMul(weights, v, ops.BMMLayout{})
	return out, errors.Wrapf(err, "layers: attention: weights %v · values %v", ws, vs)
}
