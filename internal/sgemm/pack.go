package sgemm

// packA copies the mc×kc block of op(A) at row i0, column p0 into dst as
// panels of mr rows: element (i, p) of panel r goes to dst[r*kc*mr+p*mr+i],
// so that the micro-kernel reads one column of mr values per step of p. The
// last panel is padded with zero rows. op(A)(i,p) is a[i*lda+p], or
// a[p*lda+i] when aT.
func packA(aT bool, a []float32, lda, i0, p0, mc, kc, mr int, dst []float32) {
	if aT {
		packRows(a[p0*lda+i0:], lda, kc, mc, mr, dst)
		return
	}
	packCols(a[i0*lda+p0:], lda, mc, kc, mr, dst)
}

// packB copies the kc×nc block of op(B) at row p0, column j0 into dst as
// panels of nr columns: element (p, j) of panel r goes to
// dst[r*kc*nr+p*nr+j], one row of nr values per step of p. The last panel is
// padded with zero columns. op(B)(p,j) is b[p*ldb+j], or b[j*ldb+p] when bT.
func packB(bT bool, b []float32, ldb, p0, j0, kc, nc, nr int, dst []float32) {
	if bT {
		packCols(b[j0*ldb+p0:], ldb, nc, kc, nr, dst)
		return
	}
	packRows(b[p0*ldb+j0:], ldb, kc, nc, nr, dst)
}

// packRows packs the rows×cols matrix s (row stride lds) into panels of w
// columns, the layout of packB: element (p, j) goes to
// dst[(j/w)*rows*w + p*w + j%w], zero-padding the last panel. Each row of s
// is read once, in order.
func packRows(s []float32, lds, rows, cols, w int, dst []float32) {
	full := cols / w * w
	for p := 0; p < rows; p++ {
		src := s[p*lds : p*lds+cols]
		d := dst[p*w:]
		copyPanels(d, src[:full], rows*w, w)
		if full < cols {
			tail := d[full*rows : full*rows+w]
			clear(tail[copy(tail, src[full:]):])
		}
	}
}

// packCols packs the transpose of the cols×rows matrix s (row stride lds)
// into panels of w columns: element (p, j) of the packed matrix is s[j*lds+p]
// and goes where packRows puts it. Four rows of s are read at a time so that
// each step writes four adjacent values.
func packCols(s []float32, lds, cols, rows, w int, dst []float32) {
	for jr := 0; jr < cols; jr += w {
		ww := min(w, cols-jr)
		d := dst[jr*rows : (jr+w)*rows]
		j := 0
		if packT8 != nil && w%8 == 0 && rows >= 8 {
			// Blocks of 8×8 transposed in registers, the last rows%8 rows
			// of the packed panel by the loops below.
			p8 := rows / 8 * 8
			for ; j+8 <= ww; j += 8 {
				packT8(d[j:], w, s[(jr+j)*lds:], lds, p8/8)
				for q := j; q < j+8; q++ {
					for p, v := range s[(jr+q)*lds+p8 : (jr+q)*lds+rows] {
						d[(p8+p)*w+q] = v
					}
				}
			}
		}
		for ; j+4 <= ww; j += 4 {
			s0 := s[(jr+j)*lds:][:rows]
			s1 := s[(jr+j+1)*lds:][:rows]
			s2 := s[(jr+j+2)*lds:][:rows]
			s3 := s[(jr+j+3)*lds:][:rows]
			for p := range s0 {
				q := d[p*w+j : p*w+j+4]
				q[0], q[1], q[2], q[3] = s0[p], s1[p], s2[p], s3[p]
			}
		}
		for ; j < ww; j++ {
			for p, v := range s[(jr+j)*lds:][:rows] {
				d[p*w+j] = v
			}
		}
		if ww < w {
			for p := 0; p < rows; p++ {
				clear(d[p*w+ww : (p+1)*w])
			}
		}
	}
}

// copyPanels copies src, consecutive runs of w values, to dst with run i at
// dst[i*stride:]. Runs of the widths of the kernels' panels are copied as
// arrays (inline moves, where copy would call memmove for each run).
func copyPanels(dst, src []float32, stride, w int) {
	switch w {
	case 32:
		for j := 0; j < len(src); j += 32 {
			*(*[32]float32)(dst[j/32*stride:]) = [32]float32(src[j:])
		}
	case 16:
		for j := 0; j < len(src); j += 16 {
			*(*[16]float32)(dst[j/16*stride:]) = [16]float32(src[j:])
		}
	case 8:
		for j := 0; j < len(src); j += 8 {
			*(*[8]float32)(dst[j/8*stride:]) = [8]float32(src[j:])
		}
	default:
		for j := 0; j < len(src); j += w {
			copy(dst[j/w*stride:j/w*stride+w], src[j:j+w])
		}
	}
}
