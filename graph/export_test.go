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

// PlanBytes returns the size of p's planned arena and the sum of the sizes
// of the registers planned into it (what they took unplanned); both are 0
// when p is not planned.
func PlanBytes(p *Program) (arena, planned int) {
	if p.regs == nil || p.regs.plan == nil {
		return 0, 0
	}
	return len(p.regs.plan.arena), p.regs.plan.planned
}

// PlantShortLifetimes is a planted planning bug for tests: every register
// of p is taken to die at the first instruction that touches it (its reads
// ignored), so registers still to be read share memory with later ones.
func PlantShortLifetimes(p *Program) {
	if p.regs == nil {
		return
	}
	for i := range p.regs.life {
		p.regs.life[i].last = p.regs.life[i].first
	}
	p.regs.replan()
}
