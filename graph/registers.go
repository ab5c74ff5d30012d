package graph

import (
	"reflect"
	"sort"
	"unsafe"

	"gorgonia.org/gorgonia"
)

// keepRegisters makes compile keep register buffers (tests turn it off to
// compare against plain Reset).
var keepRegisters = true

// registers keeps the buffers of a tape machine's CPU registers from one run
// to the next (BENCHMARKS.md measures the saving;
// TestKeptRegistersMatchFreshBuffers pins that results do not change).
//
// Gorgonia's tapeMachine.Reset drops every register, so each run allocates
// (and zeroes, and on this VM page-faults in) every intermediate result of
// the graph again: ~190 MB per Transformer training step, most of it fresh
// memory. Ops and the machine's alloc instructions already reuse a
// register's previous value as their output buffer when its dtype and shape
// fit (UsePreallocDo); keeping the values across runs makes that happen from
// the second run on, so a step allocates almost nothing.
//
// A kept value must never be one the next run's ops could write into while
// something else still reads it, so restore leaves a register empty when its
// value
//   - was loaded from a leaf of the graph (a parameter, an input, a
//     constant), or shares memory with one (a reshaped parameter) or with a
//     parameter's gradient, or
//   - shares memory with another register's value (a view).
//
// The register bank is not exported by gorgonia v0.9.18; newRegisters reaches
// it by reflection and returns nil (plain Reset) if the field is not there.
//
// With the tape's lifetimes (memplan.go), memory is planned when the program
// is compiled: the registers that own their buffer get places in one arena
// by lifetime, before the first run and again at every reset.
type registers struct {
	bank   []gorgonia.Value // the machine's cpumem (same backing array)
	saved  []gorgonia.Value
	leaf   []bool           // registers written by leaves
	leaves []*gorgonia.Node // the leaves: their values and gradients are never reused
	spans  []span
	life   []lifetime // per register, from the tape; nil: no planning
	plan   *memPlan   // nil: no planning
	replan func()     // plans again from life (tests plant wrong lifetimes)
}

// span is the memory of one value: [lo, hi), with the register it is in.
type span struct {
	lo, hi uintptr
	reg    int
	leaf   bool
}

// newRegisters returns the register keeper of a tape machine compiled with
// locMap, or nil when the machine's register bank cannot be reached.
// prog is the program CompileFunction returned with locMap; when its tape
// cannot be read the registers are kept but not planned.
func newRegisters(vm gorgonia.VM, prog, locMap interface{}) *registers {
	bank, ok := cpuRegisterBank(vm)
	if !ok {
		return nil
	}
	r := &registers{bank: bank, saved: make([]gorgonia.Value, len(bank)), leaf: make([]bool, len(bank))}
	lm := reflect.ValueOf(locMap)
	if lm.Kind() != reflect.Map {
		return nil
	}
	writers := make([][]*gorgonia.Node, len(bank)) // the op nodes whose results each register holds
	nodes := map[int64]*gorgonia.Node{}
	iter := lm.MapRange()
	for iter.Next() {
		n, ok := iter.Key().Interface().(*gorgonia.Node)
		reg := iter.Value()
		if !ok || reg.Kind() != reflect.Struct || reg.NumField() < 1 || reg.Field(0).Kind() != reflect.Int {
			return nil
		}
		id := int(reg.Field(0).Int())
		if id < 0 || id >= len(bank) {
			return nil
		}
		nodes[n.ID()] = n
		if op := n.Op(); op != nil && op.Arity() > 0 {
			writers[id] = append(writers[id], n)
			continue
		}
		r.leaf[id] = true
		r.leaves = append(r.leaves, n)
	}
	if tape, ok := readTape(prog, lm.Type().Elem(), len(bank)); ok {
		r.life = tape.life
		r.replan = func() { r.setPlan(newMemPlan(tape, writers, nodes, r.leaf)) }
		r.replan()
	}
	return r
}

// setPlan makes pl the plan and gives the planned registers their places
// for the next run.
func (r *registers) setPlan(pl *memPlan) {
	r.plan = pl
	for i, v := range pl.views {
		if v != nil {
			r.bank[i] = v
		}
	}
}

// cpuRegisterBank returns the cpumem slice of gorgonia's tapeMachine.
func cpuRegisterBank(vm gorgonia.VM) ([]gorgonia.Value, bool) {
	v := reflect.ValueOf(vm)
	if v.Kind() != reflect.Ptr || v.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	f := v.Elem().FieldByName("cpumem")
	if !f.IsValid() || f.Type() != reflect.TypeOf([]gorgonia.Value(nil)) {
		return nil, false
	}
	return *(*[]gorgonia.Value)(unsafe.Pointer(f.UnsafeAddr())), true
}

// reset resets the machine like vm.Reset, then puts back the register values
// that are safe to reuse as output buffers in the next run.
// trained are the program's parameters, whose gradients are never reused.
func (r *registers) reset(vm gorgonia.VM, trained []*Param) {
	copy(r.saved, r.bank)
	vm.Reset()
	r.spans = r.spans[:0]
	for _, n := range r.leaves {
		if v := n.Value(); v != nil {
			r.addSpan(v, -1, true)
		}
	}
	for _, p := range trained {
		if g := p.Grad(); g != nil {
			r.addSpan(g, -1, true)
		}
	}
	if r.plan != nil && len(r.plan.arena) > 0 {
		r.spans = append(r.spans, span{lo: uintptr(unsafe.Pointer(&r.plan.arena[0])), hi: uintptr(unsafe.Pointer(&r.plan.arena[0])) + uintptr(len(r.plan.arena)), reg: -1, leaf: true})
	}
	for i, v := range r.saved {
		if v != nil {
			// a planned register's value of this run (its place, or what
			// an op that ignored it returned) is never kept besides
			r.addSpan(v, i, r.leaf[i] || r.planned(i))
		}
	}
	r.sortSpans()
	// A register's value is kept when no other span overlaps its memory.
	var hiBefore uintptr // the largest end of the spans before i
	for i, s := range r.spans {
		overlapsBefore := hiBefore > s.lo
		if s.hi > hiBefore {
			hiBefore = s.hi
		}
		if s.leaf || overlapsBefore || (i+1 < len(r.spans) && r.spans[i+1].lo < s.hi) {
			continue
		}
		r.bank[s.reg] = r.saved[s.reg]
	}
	if r.plan != nil {
		r.setPlan(r.plan)
	}
	clear(r.saved)
}

func (r *registers) planned(reg int) bool { return r.plan != nil && r.plan.views[reg] != nil }

func (r *registers) sortSpans() {
	sort.Slice(r.spans, func(i, j int) bool { return r.spans[i].lo < r.spans[j].lo })
}

func (r *registers) addSpan(v gorgonia.Value, reg int, leaf bool) {
	size := uintptr(v.MemSize())
	if size == 0 {
		size = 1
	}
	lo := v.Uintptr()
	r.spans = append(r.spans, span{lo: lo, hi: lo + size, reg: reg, leaf: leaf})
}
