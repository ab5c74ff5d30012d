//go:build !purego

#include "textflag.h"
#include "go_asm.h"
#include "macros_amd64.h"

// The Adam update of adam.go with AVX2, 8 lanes at a time and a masked tail.
// Every step is one rounded operation in the order of adamGo (no FMA), so the
// results are those of the Go kernel bit for bit. Macros and conventions:
// macros_amd64.h.

// ADAM computes one update from g in Y0, w in Y1, m in Y2 and v in Y4,
// leaving the new w in Y1, m in Y2 and v in Y4; Y0, Y3 and Y5 are clobbered.
// The coefficients are in Y6…Y14 (see adamAVX2).
#define ADAM \
	VMULPS  Y12, Y1, Y3; \
	VADDPS  Y3, Y0, Y0; \
	VMULPS  Y8, Y2, Y2; \
	VMULPS  Y9, Y0, Y3; \
	VADDPS  Y3, Y2, Y2; \
	VMULPS  Y10, Y4, Y4; \
	VMULPS  Y11, Y0, Y3; \
	VMULPS  Y0, Y3, Y3; \
	VADDPS  Y3, Y4, Y4; \
	VSQRTPS Y4, Y5; \
	VDIVPS  Y7, Y5, Y5; \
	VADDPS  Y6, Y5, Y5; \
	VMULPS  Y14, Y2, Y3; \
	VDIVPS  Y5, Y3, Y3; \
	VMULPS  Y13, Y1, Y1; \
	VSUBPS  Y3, Y1, Y1

// func adamAVX2(w, g, m, v []float32, c *AdamCoeffs)
TEXT ·adamAVX2(SB), NOSPLIT, $0-104
	MOVQ         c+96(FP), AX
	VBROADCASTSS AdamCoeffs_Beta1(AX), Y8
	VBROADCASTSS AdamCoeffs_OneMinusBeta1(AX), Y9
	VBROADCASTSS AdamCoeffs_Beta2(AX), Y10
	VBROADCASTSS AdamCoeffs_OneMinusBeta2(AX), Y11
	VBROADCASTSS AdamCoeffs_L2(AX), Y12
	VBROADCASTSS AdamCoeffs_Shrink(AX), Y13
	VBROADCASTSS AdamCoeffs_StepSize(AX), Y14
	VBROADCASTSS AdamCoeffs_SqrtBC2(AX), Y7
	VBROADCASTSS AdamCoeffs_Eps(AX), Y6
	MOVQ         w_base+0(FP), DI
	MOVQ         w_len+8(FP), CX
	MOVQ         g_base+24(FP), SI
	MOVQ         m_base+48(FP), R8
	MOVQ         v_base+72(FP), R9
	SUBQ         $8, CX
	JL           tail

loop:
	VMOVUPS (SI), Y0
	VMOVUPS (DI), Y1
	VMOVUPS (R8), Y2
	VMOVUPS (R9), Y4
	ADAM
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, (R8)
	VMOVUPS Y4, (R9)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, R8
	ADDQ    $32, R9
	SUBQ    $8, CX
	JGE     loop

tail:
	ADDQ       $8, CX
	JZ         done
	TAILMASK(CX, Y15)
	VMASKMOVPS (SI), Y15, Y0
	VMASKMOVPS (DI), Y15, Y1
	VMASKMOVPS (R8), Y15, Y2
	VMASKMOVPS (R9), Y15, Y4
	ADAM
	VMASKMOVPS Y1, Y15, (DI)
	VMASKMOVPS Y2, Y15, (R8)
	VMASKMOVPS Y4, Y15, (R9)

done:
	VZEROUPPER
	RET
