// Macros shared by the assembly files of package vec32 (AVX2+FMA). Go
// assembler operand order: sources first, destination last (VSUBPS a, b, d:
// d = b − a; VFMADD213PS c, b, a: a = b·a + c; VMAXPS/VMINPS return their
// first operand when either is NaN; VBLENDVPS m, a, b, d: d = m ? a : b).
// Constants are fields of ·vc (avx2Consts in kernels_amd64.go, one YMM each;
// offsets from go_asm.h).

// EXP sets x = exp(x); t1 and t2 are clobbered.
#define EXP(x, t1, t2) \
	VMOVUPS      ·vc+avx2Consts_ExpLo(SB), t1; \
	VMAXPS       x, t1, x; \
	VMOVUPS      ·vc+avx2Consts_ExpHi(SB), t1; \
	VMINPS       x, t1, x; \
	VMULPS       ·vc+avx2Consts_Log2e(SB), x, t1; \
	VROUNDPS     $0, t1, t1; \
	VFNMADD231PS ·vc+avx2Consts_Ln2Hi(SB), t1, x; \
	VFNMADD231PS ·vc+avx2Consts_Ln2Lo(SB), t1, x; \
	VMOVUPS      ·vc+avx2Consts_ExpPoly+128(SB), t2; \
	VFMADD213PS  ·vc+avx2Consts_ExpPoly+96(SB), x, t2; \
	VFMADD213PS  ·vc+avx2Consts_ExpPoly+64(SB), x, t2; \
	VFMADD213PS  ·vc+avx2Consts_ExpPoly+32(SB), x, t2; \
	VFMADD213PS  ·vc+avx2Consts_ExpPoly(SB), x, t2; \
	VFMADD213PS  ·vc+avx2Consts_One(SB), x, t2; \
	VFMADD213PS  ·vc+avx2Consts_One(SB), x, t2; \
	VCVTPS2DQ    t1, t1; \
	VPSRAD       $1, t1, x; \
	VPSUBD       x, t1, t1; \
	VPADDD       ·vc+avx2Consts_Bias(SB), x, x; \
	VPSLLD       $23, x, x; \
	VMULPS       x, t2, t2; \
	VPADDD       ·vc+avx2Consts_Bias(SB), t1, t1; \
	VPSLLD       $23, t1, t1; \
	VMULPS       t1, t2, x

// TAILMASK sets m to a mask of the first n (1…7) lanes; AX and BX are clobbered.
#define TAILMASK(n, m) \
	MOVQ    n, AX; \
	SHLQ    $2, AX; \
	LEAQ    ·vc+avx2Consts_TailMask+32(SB), BX; \
	SUBQ    AX, BX; \
	VMOVDQU (BX), m

// MAP defines func name(dst, x []float32) applying BODY to Y0 for every
// element; BODY may use Y1…Y14 as scratch. Y15 holds the tail mask.
#define MAP(name, BODY) \
TEXT name(SB), NOSPLIT, $0-48; \
	MOVQ       dst_base+0(FP), DI; \
	MOVQ       x_base+24(FP), SI; \
	MOVQ       x_len+32(FP), CX; \
	SUBQ       $8, CX; \
	JL         tail; \
loop: \
	VMOVUPS    (SI), Y0; \
	BODY; \
	VMOVUPS    Y0, (DI); \
	ADDQ       $32, SI; \
	ADDQ       $32, DI; \
	SUBQ       $8, CX; \
	JGE        loop; \
tail: \
	ADDQ       $8, CX; \
	JZ         done; \
	TAILMASK(CX, Y15); \
	VMASKMOVPS (SI), Y15, Y0; \
	BODY; \
	VMASKMOVPS Y0, Y15, (DI); \
done: \
	VZEROUPPER; \
	RET

// HSUM sets the low lane of x (the XMM half of y) to the sum of y's 8 lanes;
// t is an XMM scratch register.
#define HSUM(y, x, t) \
	VEXTRACTF128 $1, y, t; \
	VADDPS       t, x, x; \
	VPERMILPS    $0x4e, x, t; \
	VADDPS       t, x, x; \
	VPERMILPS    $0xb1, x, t; \
	VADDPS       t, x, x

// HMAX is HSUM with max for sum.
#define HMAX(y, x, t) \
	VEXTRACTF128 $1, y, t; \
	VMAXPS       t, x, x; \
	VPERMILPS    $0x4e, x, t; \
	VMAXPS       t, x, x; \
	VPERMILPS    $0xb1, x, t; \
	VMAXPS       t, x, x
