package ops

import (
	"math"

	"github.com/gorgonet/gorgonet/internal/vec32"
	"gonum.org/v1/gonum/blas"
)

// The kernels of Recurrence: the forward pass (recForward), the copy of its
// outputs (recOutputs) and backpropagation through time (recBackward), one
// generic version for float32 and float64. The rows of the batch do not
// interact in the recurrence, so each goroutine of parallelFor runs every
// step for its own block of rows, with no synchronisation between steps;
// only dW_hh, a sum over all rows, is one product after the loop.

// gemmFn is a BLAS gemm (blas32 Sgemm or blas64 Dgemm) on row-major slices.
type gemmFn[E opFloat] func(tA, tB blas.Transpose, m, n, k int, alpha E, a []E, lda int, b []E, ldb int, beta E, c []E, ldc int)

// recKernels holds what the kernels call for one element type: the BLAS
// product and the activations, applied in place to a slice.
type recKernels[E opFloat] struct {
	gemm          gemmFn[E]
	sigmoid, tanh func([]E)
}

// recIn holds the elements of a recurrence's inputs; the optional ones
// (and xp or table and ids) are nil.
type recIn[E opFloat] struct {
	xp, table, w, b, h0, c0, mask []E
	ids                           []int
}

func recSlices[E opFloat](v recValues) recIn[E] {
	return recIn[E]{xp: optElems[E](v.xp), table: optElems[E](v.table), ids: v.ids, w: elems[E](v.w), b: optElems[E](v.b),
		h0: elems[E](v.h0), c0: optElems[E](v.c0), mask: optElems[E](v.mask)}
}

// xpRow returns the input part of the gates of batch element b at step t,
// row r of the layout: a row of XP, or of the table for the id there.
func (in recIn[E]) xpRow(d recDims, b, t, r int) []E {
	n := d.width()
	if in.ids != nil {
		return in.table[in.ids[b*d.steps+t]*n:][:n]
	}
	return in.xp[r*n:][:n]
}

// recGradSlices holds the elements of the backward pass's inputs and output.
type recGradSlices[E opFloat] struct {
	w, mask, p, ds, out []E
	ids                 []int
}

// recWork returns the cost of a recurrence's forward pass in multiply-adds.
func (d recDims) recWork() int {
	return d.batch * d.steps * (d.hidden*d.width() + 8*d.width())
}

// gemmSplit computes c = op(a)·op(b) + beta·c on slices. The single-threaded
// SGEMMs (internal/sgemm, and OpenBLAS as blas_openblas_threads.go sets it
// up) get the m rows of c split between goroutines, as gemm does; gonum's
// Dgemm of the default build splits large products by itself.
func gemmSplit[E opFloat](gemm gemmFn[E], ta, tb blas.Transpose, m, n, k int, a []E, lda int, b []E, ldb int, beta E, c []E, ldc int) {
	var zero E
	if _, f32 := any(zero).(float32); BLASName != "openblas" && !f32 {
		gemm(ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
		return
	}
	parallelFor(m, m*n*k, func(lo, hi int) {
		offA := lo * lda
		if ta == blas.Trans {
			offA = lo
		}
		gemm(ta, tb, hi-lo, n, k, 1, a[offA:], lda, b, ldb, beta, c[lo*ldc:], ldc)
	})
}

// recForward runs the recurrence over the inputs in and fills the forward
// buffer p (recLayout).
func recForward[E opFloat](d recDims, in recIn[E], p []E, k recKernels[E]) {
	l := d.layout()
	h, n, a := d.hidden, d.width(), d.saved()*d.hidden
	lstm := d.cell == RecurrentLSTM
	hp, act, z := p[l.hp:], p[l.act:], p[l.z:]
	var cp []E
	if lstm {
		cp = p[l.cp:]
	}
	first := d.at(0)
	for b := 0; b < d.batch; b++ {
		r := d.row(b, first)
		copy(hp[r*h:][:h], in.h0[b*h:][:h])
		if lstm {
			copy(cp[r*h:][:h], in.c0[b*h:][:h])
		}
	}
	parallelFor(d.batch, d.recWork(), func(lo, hi int) {
		zr := z[lo*n : hi*n]
		for i := 0; i < d.steps; i++ {
			t := d.at(i)
			// zr = h_{t−1}·W_hh (+ b_hh) for rows lo..hi.
			var beta E
			if in.b != nil {
				for b := range hi - lo {
					copy(zr[b*n:][:n], in.b)
				}
				beta = 1
			}
			k.gemm(blas.NoTrans, blas.NoTrans, hi-lo, n, h, 1, hp[d.row(lo, t)*h:], d.batchStride()*h, in.w, n, beta, zr, n)
			for b := lo; b < hi; b++ {
				r := d.row(b, t)
				// The state after step t: the next step's state before, or the final one.
				hNext, cNext := p[l.hT+b*h:][:h], []E(nil)
				if lstm {
					cNext = p[l.cT+b*h:][:h]
				}
				if i+1 < d.steps {
					rn := d.row(b, d.at(i+1))
					hNext = hp[rn*h:][:h]
					if lstm {
						cNext = cp[rn*h:][:h]
					}
				}
				s := recStep[E]{
					xp: in.xpRow(d, b, t, r), z: zr[(b-lo)*n:][:n], act: act[r*a:][:a],
					hPrev: hp[r*h:][:h], hNext: hNext, m: 1, masked: in.mask != nil,
				}
				if s.masked {
					s.m = in.mask[b*d.steps+t]
				}
				switch d.cell {
				case RecurrentLSTM:
					s.lstmForward(cp[r*h:][:h], cNext, k)
				case RecurrentGRU:
					s.gruForward(k)
				default:
					s.elmanForward(d.cell, k)
				}
			}
		}
	})
}

// recStep is one row of one step: the input part xp and the recurrent part z
// [G·H] of its gates, its saved activations act, and the hidden state before
// (hPrev) and after (hNext) the step, mixed by the mask value m when masked.
type recStep[E opFloat] struct {
	xp, z, act   []E
	hPrev, hNext []E
	m            E
	masked       bool
}

// hold writes the state after the step: v, or prev + m·(v − prev) with a mask.
func (s *recStep[E]) hold(dst []E, j int, prev, v E) {
	if s.masked {
		v = prev + s.m*(v-prev)
	}
	dst[j] = v
}

// lstmForward: act = [i f g o tanh(c')].
func (s *recStep[E]) lstmForward(cPrev, cNext []E, k recKernels[E]) {
	h := len(s.hPrev)
	pre := s.act[:4*h]
	for j := range pre {
		pre[j] = s.xp[j] + s.z[j]
	}
	k.sigmoid(pre[:2*h])
	k.tanh(pre[2*h : 3*h])
	k.sigmoid(pre[3*h : 4*h])
	ig, fg, gg, og, tc := s.act[:h], s.act[h:2*h], s.act[2*h:3*h], s.act[3*h:4*h], s.act[4*h:5*h]
	for j := range tc {
		c := fg[j]*cPrev[j] + ig[j]*gg[j]
		tc[j] = c
		s.hold(cNext, j, cPrev[j], c)
	}
	k.tanh(tc)
	for j, v := range tc {
		s.hold(s.hNext, j, s.hPrev[j], og[j]*v)
	}
}

// gruForward: act = [r z n hw_n].
func (s *recStep[E]) gruForward(k recKernels[E]) {
	h := len(s.hPrev)
	rz := s.act[:2*h]
	for j := range rz {
		rz[j] = s.xp[j] + s.z[j]
	}
	k.sigmoid(rz)
	rg, zg, ng, hwn := s.act[:h], s.act[h:2*h], s.act[2*h:3*h], s.act[3*h:4*h]
	copy(hwn, s.z[2*h:3*h])
	xn := s.xp[2*h : 3*h]
	for j := range ng {
		ng[j] = xn[j] + rg[j]*hwn[j]
	}
	k.tanh(ng)
	for j, v := range ng {
		s.hold(s.hNext, j, s.hPrev[j], v+zg[j]*(s.hPrev[j]-v))
	}
}

// elmanForward: act = [h'].
func (s *recStep[E]) elmanForward(cell RecurrentCell, k recKernels[E]) {
	y := s.act
	for j := range y {
		y[j] = s.xp[j] + s.z[j]
	}
	if cell == RecurrentReLU {
		for j, v := range y {
			if !(v > 0) {
				y[j] = 0
			}
		}
	} else {
		k.tanh(y)
	}
	for j, v := range y {
		s.hold(s.hNext, j, s.hPrev[j], v)
	}
}

// recOutputs copies the outputs S (recLayout) out of the forward buffer p:
// the state after every step and the final states.
func recOutputs[E opFloat](d recDims, p, s []E) {
	l := d.layout()
	h := d.hidden
	for b := 0; b < d.batch; b++ {
		for i := 0; i < d.steps; i++ {
			src := p[l.hT+b*h:][:h]
			if i+1 < d.steps {
				src = p[l.hp+d.row(b, d.at(i+1))*h:][:h]
			}
			copy(s[l.sY+d.row(b, d.at(i))*h:][:h], src)
		}
	}
	copy(s[l.sH:][:d.batch*h], p[l.hT:])
	if d.cell == RecurrentLSTM {
		copy(s[l.sC:][:d.batch*h], p[l.cT:])
	}
}

// recBackward runs backpropagation through time and fills the gradients
// g.out (recLayout). The gradient of the state after the step being undone
// is kept in the dh0 (and dc0) part of the output, which holds the
// gradients of the initial states when the loop is done.
func recBackward[E opFloat](d recDims, g recGradSlices[E], k recKernels[E]) {
	l := d.layout()
	h, n, a := d.hidden, d.width(), d.saved()*d.hidden
	rows := d.batch * d.steps
	lstm, gru := d.cell == RecurrentLSTM, d.cell == RecurrentGRU
	hp, act := g.p[l.hp:], g.p[l.act:]
	dhw := g.out[l.dXP:][:rows*n] // the gradients of h·W_hh (+ b_hh), rows of dxp
	dh := g.out[l.dH0:][:d.batch*h]
	copy(dh, g.ds[l.sH:])
	var cp, dc, dn []E
	if lstm {
		cp = g.p[l.cp:]
		dc = g.out[l.dC0:][:d.batch*h]
		copy(dc, g.ds[l.sC:])
	}
	if gru {
		dn = g.out[l.dN:][:rows*h]
	}
	dy := g.ds[l.sY:]
	parallelFor(d.batch, 2*d.recWork(), func(lo, hi int) {
		for i := d.steps - 1; i >= 0; i-- {
			t := d.at(i)
			for b := lo; b < hi; b++ {
				r := d.row(b, t)
				s := recGradStep[E]{
					dh: dh[b*h:][:h], act: act[r*a:][:a], hPrev: hp[r*h:][:h], dhw: dhw[r*n:][:n], m: 1,
				}
				for j, v := range dy[r*h:][:h] {
					s.dh[j] += v
				}
				if g.mask != nil {
					s.m = g.mask[b*d.steps+t]
				}
				switch d.cell {
				case RecurrentLSTM:
					s.lstmBackward(cp[r*h:][:h], dc[b*h:][:h])
				case RecurrentGRU:
					s.gruBackward(dn[r*h:][:h])
				default:
					s.elmanBackward(d.cell)
				}
			}
			// dh_{t−1} += dgates_t·W_hhᵀ for rows lo..hi.
			k.gemm(blas.NoTrans, blas.Trans, hi-lo, h, n, 1, dhw[d.row(lo, t)*n:], d.batchStride()*n, g.w, n, 1, dh[lo*h:hi*h], h)
		}
	})
	// dW_hh = Σ_t h_{t−1}ᵀ·dgates_t over every row at once: [H,R]×[R,N].
	gemmSplit(k.gemm, blas.Trans, blas.NoTrans, h, n, rows, hp[:rows*h], h, dhw, n, 0, g.out[l.dW:][:h*n], n)
	if d.bias {
		sumRows(dhw, g.out[l.dB:][:n], n)
	}
	if gru { // dxp's n block is the gradient of n's pre-activation, not r ⊙ it
		for r := 0; r < rows; r++ {
			copy(dhw[r*n+2*h:][:h], dn[r*h:][:h])
		}
	}
	if g.ids != nil {
		scatterRows(d, g.ids, dhw, g.out[l.dTable:][:d.vocab*n])
	}
}

// scatterRows sets dtable to the sum of the rows of dxp of every id: the
// gradient of a table whose rows were gathered by ids. The columns are
// split between goroutines, so no two write the same element.
func scatterRows[E opFloat](d recDims, ids []int, dxp, dtable []E) {
	n := d.width()
	clear(dtable)
	parallelFor(n, len(dxp), func(lo, hi int) {
		for b := 0; b < d.batch; b++ {
			for t := 0; t < d.steps; t++ {
				src := dxp[d.row(b, t)*n:][lo:hi]
				dst := dtable[ids[b*d.steps+t]*n:][lo:hi]
				for j, v := range src {
					dst[j] += v
				}
			}
		}
	})
}

// recGradStep is one row of one step of the backward pass: dh holds the
// gradient of the state after the step and receives the part of the
// gradient of the state before it that does not pass through W_hh; dhw
// receives the gradient of the step's h·W_hh (+ b_hh).
type recGradStep[E opFloat] struct {
	dh, act, hPrev, dhw []E
	m                   E
}

// lstmBackward also carries dc, the gradient of the cell state after the
// step, to the cell state before it, cPrev.
func (s *recGradStep[E]) lstmBackward(cPrev, dc []E) {
	h := len(s.dh)
	ig, fg, gg, og, tc := s.act[:h], s.act[h:2*h], s.act[2*h:3*h], s.act[3*h:4*h], s.act[4*h:5*h]
	m := s.m
	for j := range s.dh {
		dhj, dcj := s.dh[j], dc[j]
		dhn := m * dhj                           // of o ⊙ tanh(c')
		dcn := m*dcj + dhn*og[j]*(1-tc[j]*tc[j]) // of c'
		s.dhw[j] = dcn * gg[j] * ig[j] * (1 - ig[j])
		s.dhw[h+j] = dcn * cPrev[j] * fg[j] * (1 - fg[j])
		s.dhw[2*h+j] = dcn * ig[j] * (1 - gg[j]*gg[j])
		s.dhw[3*h+j] = dhn * tc[j] * og[j] * (1 - og[j])
		s.dh[j] = (1 - m) * dhj
		dc[j] = (1-m)*dcj + dcn*fg[j]
	}
}

// gruBackward writes the gradient of n's pre-activation to dn; dhw's n block
// gets r ⊙ it.
func (s *recGradStep[E]) gruBackward(dn []E) {
	h := len(s.dh)
	rg, zg, ng, hwn := s.act[:h], s.act[h:2*h], s.act[2*h:3*h], s.act[3*h:4*h]
	m := s.m
	for j := range s.dh {
		dhj := s.dh[j]
		dhn := m * dhj
		dnp := dhn * (1 - zg[j]) * (1 - ng[j]*ng[j])
		s.dhw[j] = dnp * hwn[j] * rg[j] * (1 - rg[j])
		s.dhw[h+j] = dhn * (s.hPrev[j] - ng[j]) * zg[j] * (1 - zg[j])
		s.dhw[2*h+j] = dnp * rg[j]
		dn[j] = dnp
		s.dh[j] = (1-m)*dhj + dhn*zg[j]
	}
}

func (s *recGradStep[E]) elmanBackward(cell RecurrentCell) {
	m := s.m
	for j, y := range s.act {
		dhj := s.dh[j]
		dhn := m * dhj
		if cell == RecurrentReLU {
			if !(y > 0) {
				dhn = 0
			}
		} else {
			dhn *= 1 - y*y
		}
		s.dhw[j] = dhn
		s.dh[j] = (1 - m) * dhj
	}
}

// The activations, in place: float64 from package math; float32 from
// vec32's vectorised kernels (relative error ≤ 2.4e-7 against float64).

func sigmoid64s(x []float64) {
	for i, v := range x {
		x[i] = 1 / (1 + math.Exp(-v))
	}
}

func tanh64s(x []float64) {
	for i, v := range x {
		x[i] = math.Tanh(v)
	}
}

// recKernels32 and recKernels64 return the kernels' helpers for each type.
func recKernels32(gemm gemmFn[float32]) recKernels[float32] {
	return recKernels[float32]{gemm: gemm, sigmoid: func(x []float32) { vec32.Sigmoid(x, x) }, tanh: func(x []float32) { vec32.Tanh(x, x) }}
}

func recKernels64(gemm gemmFn[float64]) recKernels[float64] {
	return recKernels[float64]{gemm: gemm, sigmoid: sigmoid64s, tanh: tanh64s}
}
