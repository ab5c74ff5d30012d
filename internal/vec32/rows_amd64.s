//go:build !purego

#include "textflag.h"
#include "go_asm.h"
#include "macros_amd64.h"

// Row kernels of package vec32 (rows.go) with AVX2+FMA: reductions keep two
// 8-lane partial sums (16 elements per iteration), then one 8-lane step and a
// masked tail. Macros and conventions: macros_amd64.h.

// func sumAVX2(x []float32) float32
TEXT ·sumAVX2(SB), NOSPLIT, $0-28
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	SUBQ   $16, CX
	JL     one

loop:
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	ADDQ   $64, SI
	SUBQ   $16, CX
	JGE    loop

one:
	ADDQ   $16, CX
	CMPQ   CX, $8
	JL     tail
	VADDPS (SI), Y0, Y0
	ADDQ   $32, SI
	SUBQ   $8, CX

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK(CX, Y15)
	VMASKMOVPS (SI), Y15, Y2
	VADDPS     Y2, Y1, Y1

done:
	VADDPS Y1, Y0, Y0
	HSUM(Y0, X0, X1)
	VZEROUPPER
	MOVSS  X0, ret+24(FP)
	RET

// func dotAVX2(x, y []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	MOVQ   y_base+24(FP), DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	SUBQ   $16, CX
	JL     one

loop:
	VMOVUPS     (SI), Y2
	VMOVUPS     32(SI), Y3
	VFMADD231PS (DX), Y2, Y0
	VFMADD231PS 32(DX), Y3, Y1
	ADDQ        $64, SI
	ADDQ        $64, DX
	SUBQ        $16, CX
	JGE         loop

one:
	ADDQ        $16, CX
	CMPQ        CX, $8
	JL          tail
	VMOVUPS     (SI), Y2
	VFMADD231PS (DX), Y2, Y0
	ADDQ        $32, SI
	ADDQ        $32, DX
	SUBQ        $8, CX

tail:
	TESTQ       CX, CX
	JZ          done
	TAILMASK(CX, Y15)
	VMASKMOVPS  (SI), Y15, Y2
	VMASKMOVPS  (DX), Y15, Y3
	VFMADD231PS Y3, Y2, Y1

done:
	VADDPS Y1, Y0, Y0
	HSUM(Y0, X0, X1)
	VZEROUPPER
	MOVSS  X0, ret+48(FP)
	RET

// func maxAVX2(x []float32) float32
TEXT ·maxAVX2(SB), NOSPLIT, $0-28
	MOVQ    x_base+0(FP), SI
	MOVQ    x_len+8(FP), CX
	VMOVUPS ·vc+avx2Consts_NegInf(SB), Y0
	VMOVUPS Y0, Y1
	SUBQ    $16, CX
	JL      one

loop:
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VMAXPS  Y0, Y2, Y0
	VMAXPS  Y1, Y3, Y1
	ADDQ    $64, SI
	SUBQ    $16, CX
	JGE     loop

one:
	ADDQ    $16, CX
	CMPQ    CX, $8
	JL      tail
	VMOVUPS (SI), Y2
	VMAXPS  Y0, Y2, Y0
	ADDQ    $32, SI
	SUBQ    $8, CX

tail:
	TESTQ      CX, CX
	JZ         done
	TAILMASK(CX, Y15)
	VMASKMOVPS (SI), Y15, Y2
	VMOVUPS    ·vc+avx2Consts_NegInf(SB), Y3
	VBLENDVPS  Y15, Y2, Y3, Y2
	VMAXPS     Y1, Y2, Y1

done:
	VMAXPS Y1, Y0, Y0
	HMAX(Y0, X0, X1)
	VZEROUPPER
	MOVSS  X0, ret+24(FP)
	RET

// func scaleAVX2(dst, x []float32, a float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-52
	MOVQ         dst_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS a+48(FP), Y8
	SUBQ         $8, CX
	JL           tail

loop:
	VMULPS  (SI), Y8, Y0
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
	VMULPS     Y0, Y8, Y0
	VMASKMOVPS Y0, Y15, (DI)

done:
	VZEROUPPER
	RET

// EXPSUM sets x = exp(scale·(x − shift)) with scale in Y8 and shift in Y9;
// Y1 and Y2 are clobbered.
#define EXPSUM(x) \
	VSUBPS Y9, x, x; \
	VMULPS Y8, x, x; \
	EXP(x, Y1, Y2)

// func expSumAVX2(dst, x []float32, scale, shift float32) float32
TEXT ·expSumAVX2(SB), NOSPLIT, $0-60
	MOVQ         dst_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS scale+48(FP), Y8
	VBROADCASTSS shift+52(FP), Y9
	VXORPS       Y10, Y10, Y10
	SUBQ         $8, CX
	JL           tail

loop:
	VMOVUPS (SI), Y0
	EXPSUM(Y0)
	VMOVUPS Y0, (DI)
	VADDPS  Y0, Y10, Y10
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JGE     loop

tail:
	ADDQ       $8, CX
	JZ         done
	TAILMASK(CX, Y15)
	VMASKMOVPS (SI), Y15, Y0
	EXPSUM(Y0)
	VMASKMOVPS Y0, Y15, (DI)
	VANDPS     Y15, Y0, Y0
	VADDPS     Y0, Y10, Y10

done:
	HSUM(Y10, X10, X1)
	VZEROUPPER
	MOVSS X10, ret+56(FP)
	RET

// func softmaxGradAVX2(dst, y, g []float32, scale float32)
TEXT ·softmaxGradAVX2(SB), NOSPLIT, $0-76
	MOVQ y_base+24(FP), SI
	MOVQ y_len+32(FP), CX
	MOVQ g_base+48(FP), DX

	// Y0 = Σ y⊙g (as dotAVX2, one partial sum)
	VXORPS Y0, Y0, Y0
	SUBQ   $8, CX
	JL     dottail

dotloop:
	VMOVUPS     (SI), Y2
	VFMADD231PS (DX), Y2, Y0
	ADDQ        $32, SI
	ADDQ        $32, DX
	SUBQ        $8, CX
	JGE         dotloop

dottail:
	ADDQ        $8, CX
	JZ          apply
	TAILMASK(CX, Y15)
	VMASKMOVPS  (SI), Y15, Y2
	VMASKMOVPS  (DX), Y15, Y3
	VFMADD231PS Y3, Y2, Y0

apply:
	HSUM(Y0, X0, X1)
	VBROADCASTSS X0, Y9            // Y9 = Σ y⊙g
	VBROADCASTSS scale+72(FP), Y8
	MOVQ         dst_base+0(FP), DI
	MOVQ         y_base+24(FP), SI
	MOVQ         y_len+32(FP), CX
	MOVQ         g_base+48(FP), DX
	SUBQ         $8, CX
	JL           tail

loop:
	VMOVUPS (DX), Y0
	VSUBPS  Y9, Y0, Y0
	VMULPS  (SI), Y0, Y0
	VMULPS  Y8, Y0, Y0
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
	VMASKMOVPS (DX), Y15, Y0
	VMASKMOVPS (SI), Y15, Y2
	VSUBPS     Y9, Y0, Y0
	VMULPS     Y2, Y0, Y0
	VMULPS     Y8, Y0, Y0
	VMASKMOVPS Y0, Y15, (DI)

done:
	VZEROUPPER
	RET
