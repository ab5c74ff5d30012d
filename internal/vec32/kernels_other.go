//go:build !amd64 || purego

package vec32

// kernelSets lists the kernel sets this CPU can run, fastest first: only the
// Go kernels outside amd64 (or with the purego build tag).
func kernelSets() []*kernelSet { return []*kernelSet{goKernels} }
