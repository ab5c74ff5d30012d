//go:build !purego

package sgemm

import "golang.org/x/sys/cpu"

// kernAVX512 is the 8×32 AVX-512F micro-kernel (kernel_amd64.s); see
// kernelFunc for the meaning of the arguments (strides in elements).
//
//go:noescape
func kernAVX512(kc int, a *float32, rsA, ksA int, b *float32, ksB int, c *float32, ldc int, alpha, beta float32)

// kernAVX2 is the 6×16 AVX2+FMA micro-kernel (kernel_amd64.s).
//
//go:noescape
func kernAVX2(kc int, a *float32, rsA, ksA int, b *float32, ksB int, c *float32, ldc int, alpha, beta float32)

// transpose8 transposes n 8×8 blocks (kernel_amd64.s): row j < 8 of src,
// src[j*lds : j*lds+8*n], becomes column j of dst, dst[p*ldd+j] for p < 8·n.
//
//go:noescape
func transpose8(dst *float32, ldd int, src *float32, lds int, n int)

// packT8 is transpose8 on slices where the CPU has AVX (see packCols).
var packT8 = func() func(dst []float32, ldd int, src []float32, lds, n int) {
	if !cpu.X86.HasAVX {
		return nil
	}
	return func(dst []float32, ldd int, src []float32, lds, n int) {
		_ = dst[(8*n-1)*ldd+7]
		_ = src[7*lds+8*n-1]
		transpose8(&dst[0], ldd, &src[0], lds, n)
	}
}()

var (
	avx512Kernel = &kernel{name: "AVX-512", mr: 8, nr: 32, kc: 256, mc: 256, nc: 2048,
		fn: func(kc int, a []float32, rsA, ksA int, b []float32, ksB int, c []float32, ldc int, alpha, beta float32) {
			kernAVX512(kc, &a[0], rsA, ksA, &b[0], ksB, &c[0], ldc, alpha, beta)
		}}
	avx2Kernel = &kernel{name: "AVX2", mr: 6, nr: 16, kc: 256, mc: 240, nc: 2048,
		fn: func(kc int, a []float32, rsA, ksA int, b []float32, ksB int, c []float32, ldc int, alpha, beta float32) {
			kernAVX2(kc, &a[0], rsA, ksA, &b[0], ksB, &c[0], ldc, alpha, beta)
		}}
)

// kernels lists the micro-kernels this CPU can run, fastest first.
func kernels() []*kernel {
	var ks []*kernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, avx512Kernel)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Kernel)
	}
	return append(ks, goKernel)
}
