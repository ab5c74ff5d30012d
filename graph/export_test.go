package graph

// SetKeepRegisters turns the keeping of register buffers across runs
// (registers.go) on or off for programs compiled afterwards, for tests that
// compare both ways; it returns the previous setting.
func SetKeepRegisters(on bool) bool {
	prev := keepRegisters
	keepRegisters = on
	return prev
}

// KeepsRegisters reports whether p keeps its register buffers across runs,
// i.e. whether registers.go could reach gorgonia's register bank.
func KeepsRegisters(p *Program) bool { return p.regs != nil }
