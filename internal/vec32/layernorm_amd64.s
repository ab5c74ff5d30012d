//go:build !purego

#include "textflag.h"
#include "go_asm.h"
#include "macros_amd64.h"

// Layer-norm row kernels of package vec32 (layernorm.go) with AVX2+FMA:
// 8 lanes per step and a masked tail. Macros and conventions: macros_amd64.h.

// func sumSqDevAVX2(x []float32, c float32) float32
TEXT ·sumSqDevAVX2(SB), NOSPLIT, $0-36
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSS c+24(FP), Y8
	VXORPS       Y0, Y0, Y0
	SUBQ         $8, CX
	JL           tail

loop:
	VMOVUPS     (SI), Y2
	VSUBPS      Y8, Y2, Y2
	VFMADD231PS Y2, Y2, Y0
	ADDQ        $32, SI
	SUBQ        $8, CX
	JGE         loop

tail:
	ADDQ        $8, CX
	JZ          done
	TAILMASK(CX, Y15)
	VMASKMOVPS  (SI), Y15, Y2
	VSUBPS      Y8, Y2, Y2
	VANDPS      Y15, Y2, Y2
	VFMADD231PS Y2, Y2, Y0

done:
	HSUM(Y0, X0, X1)
	VZEROUPPER
	MOVSS X0, ret+32(FP)
	RET

// func normalizeAVX2(dst, x, w []float32, b *float32, bStride int, mean, rstd float32)
TEXT ·normalizeAVX2(SB), NOSPLIT, $0-96
	MOVQ         dst_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	MOVQ         w_base+48(FP), DX
	MOVQ         b+72(FP), R9
	MOVQ         bStride+80(FP), R10
	VBROADCASTSS mean+88(FP), Y8
	VBROADCASTSS rstd+92(FP), Y9
	SUBQ         $8, CX
	JL           tail

loop:
	VMOVUPS     (SI), Y0
	VSUBPS      Y8, Y0, Y0
	VMULPS      Y9, Y0, Y0
	VMOVUPS     (DX), Y1
	VFMADD213PS (R9), Y1, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $32, DI
	ADDQ        R10, R9
	SUBQ        $8, CX
	JGE         loop

tail:
	ADDQ        $8, CX
	JZ          done
	TAILMASK(CX, Y15)
	VMASKMOVPS  (SI), Y15, Y0
	VMASKMOVPS  (DX), Y15, Y2
	VMASKMOVPS  (R9), Y15, Y1
	VSUBPS      Y8, Y0, Y0
	VMULPS      Y9, Y0, Y0
	VFMADD213PS Y1, Y2, Y0
	VMASKMOVPS  Y0, Y15, (DI)

done:
	VZEROUPPER
	RET

// func lnGradSumsAVX2(x, w, g []float32, mean float32) (sg, sgx float32)
TEXT ·lnGradSumsAVX2(SB), NOSPLIT, $0-88
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	MOVQ         w_base+24(FP), DX
	MOVQ         g_base+48(FP), R8
	VBROADCASTSS mean+72(FP), Y8
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	SUBQ         $8, CX
	JL           tail

loop:
	VMOVUPS     (R8), Y2
	VMULPS      (DX), Y2, Y2         // ĝ = g⊙w
	VMOVUPS     (SI), Y3
	VSUBPS      Y8, Y3, Y3           // x − mean
	VADDPS      Y2, Y0, Y0
	VFMADD231PS Y3, Y2, Y1
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $32, R8
	SUBQ        $8, CX
	JGE         loop

tail:
	ADDQ        $8, CX
	JZ          done
	TAILMASK(CX, Y15)
	VMASKMOVPS  (R8), Y15, Y2
	VMASKMOVPS  (DX), Y15, Y4
	VMULPS      Y4, Y2, Y2
	VMASKMOVPS  (SI), Y15, Y3
	VSUBPS      Y8, Y3, Y3
	VADDPS      Y2, Y0, Y0
	VFMADD231PS Y3, Y2, Y1

done:
	HSUM(Y0, X0, X2)
	HSUM(Y1, X1, X2)
	VZEROUPPER
	MOVSS X0, sg+80(FP)
	MOVSS X1, sgx+84(FP)
	RET

// func lnGradApplyAVX2(dx, x, w, g []float32, mean, a, b, c float32)
TEXT ·lnGradApplyAVX2(SB), NOSPLIT, $0-112
	MOVQ         dx_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	MOVQ         w_base+48(FP), DX
	MOVQ         g_base+72(FP), R8
	VBROADCASTSS mean+96(FP), Y8
	VBROADCASTSS a+100(FP), Y9
	VBROADCASTSS b+104(FP), Y10
	VBROADCASTSS c+108(FP), Y11
	SUBQ         $8, CX
	JL           tail

loop:
	VMOVUPS     (SI), Y0
	VSUBPS      Y8, Y0, Y0
	VFMADD213PS Y11, Y10, Y0         // b·(x − mean) + c
	VMOVUPS     (R8), Y2
	VMULPS      (DX), Y2, Y2         // g⊙w
	VFMADD231PS Y9, Y2, Y0           // + a·g⊙w
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $32, R8
	ADDQ        $32, DI
	SUBQ        $8, CX
	JGE         loop

tail:
	ADDQ        $8, CX
	JZ          done
	TAILMASK(CX, Y15)
	VMASKMOVPS  (SI), Y15, Y0
	VMASKMOVPS  (R8), Y15, Y2
	VMASKMOVPS  (DX), Y15, Y3
	VSUBPS      Y8, Y0, Y0
	VFMADD213PS Y11, Y10, Y0
	VMULPS      Y3, Y2, Y2
	VFMADD231PS Y9, Y2, Y0
	VMASKMOVPS  Y0, Y15, (DI)

done:
	VZEROUPPER
	RET

// func gainGradAVX2(acc, x, g []float32, mean, rstd float32)
TEXT ·gainGradAVX2(SB), NOSPLIT, $0-80
	MOVQ         acc_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	MOVQ         g_base+48(FP), DX
	VBROADCASTSS mean+72(FP), Y8
	VBROADCASTSS rstd+76(FP), Y9
	SUBQ         $8, CX
	JL           tail

loop:
	VMOVUPS     (SI), Y0
	VSUBPS      Y8, Y0, Y0
	VMULPS      Y9, Y0, Y0
	VMOVUPS     (DI), Y1
	VFMADD231PS (DX), Y0, Y1
	VMOVUPS     Y1, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $32, DI
	SUBQ        $8, CX
	JGE         loop

tail:
	ADDQ        $8, CX
	JZ          done
	TAILMASK(CX, Y15)
	VMASKMOVPS  (SI), Y15, Y0
	VMASKMOVPS  (DX), Y15, Y2
	VMASKMOVPS  (DI), Y15, Y1
	VSUBPS      Y8, Y0, Y0
	VMULPS      Y9, Y0, Y0
	VFMADD231PS Y2, Y0, Y1
	VMASKMOVPS  Y1, Y15, (DI)

done:
	VZEROUPPER
	RET
