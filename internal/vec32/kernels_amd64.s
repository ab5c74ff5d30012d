//go:build !purego

#include "textflag.h"
#include "go_asm.h"
#include "macros_amd64.h"

// Elementwise AVX2+FMA kernels of package vec32; the algorithms and their
// constants are those of the Go kernels (exp.go, gelu.go, activation.go).
// Macros and conventions: macros_amd64.h.

// SIGMOID sets x = 1/(1 + exp(−x)); t1 and t2 are clobbered.
#define SIGMOID(x, t1, t2) \
	VXORPS  ·vc+avx2Consts_SignMask(SB), x, x; \
	EXP(x, t1, t2); \
	VADDPS  ·vc+avx2Consts_One(SB), x, x; \
	VMOVUPS ·vc+avx2Consts_One(SB), t1; \
	VDIVPS  x, t1, x

// TANH sets x = tanh(x); t1…t5 are clobbered.
#define TANH(x, t1, t2, t3, t4, t5) \
	VANDPS      ·vc+avx2Consts_AbsMask(SB), x, t3; \
	VANDPS      ·vc+avx2Consts_SignMask(SB), x, t4; \
	VADDPS      t3, t3, t5; \
	VXORPS      ·vc+avx2Consts_SignMask(SB), t5, t5; \
	EXP(t5, t1, t2); \
	VMOVUPS     ·vc+avx2Consts_One(SB), t1; \
	VSUBPS      t5, t1, t2; \
	VADDPS      ·vc+avx2Consts_One(SB), t5, t5; \
	VDIVPS      t5, t2, t2; \
	VORPS       t4, t2, t2; \
	VMULPS      x, x, t5; \
	VMOVUPS     ·vc+avx2Consts_TanhPoly+128(SB), t1; \
	VFMADD213PS ·vc+avx2Consts_TanhPoly+96(SB), t5, t1; \
	VFMADD213PS ·vc+avx2Consts_TanhPoly+64(SB), t5, t1; \
	VFMADD213PS ·vc+avx2Consts_TanhPoly+32(SB), t5, t1; \
	VFMADD213PS ·vc+avx2Consts_TanhPoly(SB), t5, t1; \
	VMULPS      x, t5, t5; \
	VFMADD213PS x, t5, t1; \
	VCMPPS      $1, ·vc+avx2Consts_TanhSmall(SB), t3, t3; \
	VBLENDVPS   t3, t1, t2, x

// GELUPOLY sets p = ½ + sign(x)·P(|x|) for the piecewise polynomial P whose
// geluTable tab points to (Φ(x) or GELU′(x)); a, i and t are clobbered.
#define GELUPOLY(tab, x, a, i, p, t) \
	VANDPS      ·vc+avx2Consts_AbsMask(SB), x, a; \
	VMOVUPS     ·vc+avx2Consts_GeluClamp(SB), t; \
	VMINPS      a, t, a; \
	VMULPS      ·vc+avx2Consts_GeluInvWidth(SB), a, i; \
	VCVTTPS2DQ  i, i; \
	VPERMPS     0(tab), i, t; \
	VSUBPS      t, a, a; \
	VPERMPS     288(tab), i, p; \
	VPERMPS     256(tab), i, t; \
	VFMADD213PS t, a, p; \
	VPERMPS     224(tab), i, t; \
	VFMADD213PS t, a, p; \
	VPERMPS     192(tab), i, t; \
	VFMADD213PS t, a, p; \
	VPERMPS     160(tab), i, t; \
	VFMADD213PS t, a, p; \
	VPERMPS     128(tab), i, t; \
	VFMADD213PS t, a, p; \
	VPERMPS     96(tab), i, t; \
	VFMADD213PS t, a, p; \
	VPERMPS     64(tab), i, t; \
	VFMADD213PS t, a, p; \
	VPERMPS     32(tab), i, t; \
	VFMADD213PS t, a, p; \
	VANDPS      ·vc+avx2Consts_SignMask(SB), x, t; \
	VXORPS      t, p, p; \
	VADDPS      ·vc+avx2Consts_Half(SB), p, p

// func expAVX2(dst, x []float32)
MAP(·expAVX2, EXP(Y0, Y1, Y2))

// func sigmoidAVX2(dst, x []float32)
MAP(·sigmoidAVX2, SIGMOID(Y0, Y1, Y2))

// func tanhAVX2(dst, x []float32)
MAP(·tanhAVX2, TANH(Y0, Y1, Y2, Y3, Y4, Y5))

// GELU sets x = max(x, −clamp)·Φ(x), with R8 pointing to ·geluPhiTab.
#define GELU(x) \
	GELUPOLY(R8, x, Y1, Y2, Y3, Y4); \
	VMOVUPS ·vc+avx2Consts_GeluNegClamp(SB), Y4; \
	VMAXPS  x, Y4, Y4; \
	VMULPS  Y4, Y3, x

// func geluAVX2(dst, x []float32)
TEXT ·geluAVX2(SB), NOSPLIT, $0-48
	LEAQ ·geluPhiTab(SB), R8
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	SUBQ $8, CX
	JL   tail

loop:
	VMOVUPS (SI), Y0
	GELU(Y0)
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JGE     loop

tail:
	ADDQ       $8, CX
	JZ         done
	TAILMASK(CX, Y15)
	VMASKMOVPS (SI), Y15, Y0
	GELU(Y0)
	VMASKMOVPS Y0, Y15, (DI)

done:
	VZEROUPPER
	RET

// func geluGradAVX2(dst, x, g []float32)
TEXT ·geluGradAVX2(SB), NOSPLIT, $0-72
	LEAQ ·geluDerivTab(SB), R8
	MOVQ dst_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), CX
	MOVQ g_base+48(FP), DX
	SUBQ $8, CX
	JL   tail

loop:
	VMOVUPS (SI), Y0
	GELUPOLY(R8, Y0, Y1, Y2, Y3, Y4)
	VMULPS  (DX), Y3, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JGE     loop

tail:
	ADDQ       $8, CX
	JZ         done
	TAILMASK(CX, Y15)
	VMASKMOVPS (SI), Y15, Y0
	VMASKMOVPS (DX), Y15, Y5
	GELUPOLY(R8, Y0, Y1, Y2, Y3, Y4)
	VMULPS     Y5, Y3, Y0
	VMASKMOVPS Y0, Y15, (DI)

done:
	VZEROUPPER
	RET
