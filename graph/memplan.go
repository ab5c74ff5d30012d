package graph

import (
	"reflect"
	"sort"
	"unsafe"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Memory planning of compiled programs: buffers assigned by lifetime.
//
// Gorgonia's register allocator gives every op its own register (it reuses
// one only for an op that overwrites its input), and registers.go keeps each
// register's buffer from run to run, so a program's memory is the sum of all
// its intermediates, forward and backward. The tape says when each register
// is live: from the first instruction that touches it to the last one that
// reads it. Two registers whose lifetimes do not meet can hold their values
// in the same memory. memPlan places every plannable register at an offset
// of one arena so that registers live at the same time never overlap
// (greedy by size: the largest first, each at the lowest offset that is
// free for its whole lifetime; Pisarchyk & Lee 2020, "Efficient Memory
// Management for Deep Neural Net Inference", §4), then hands each register
// a tensor over its slice of the arena before every run. Ops and gorgonia's
// alloc instructions write their result into a register's value when dtype
// and shape fit (UsePreallocDo), so the results land in the planned memory,
// bit for bit what fresh buffers would hold: ops overwrite their whole
// output (TestKeptRegistersMatchFreshBuffers).
//
// The plan is computed once per program, when it is compiled, from the tape
// and the shapes of the graph's nodes, so that even the first run uses it.
// A register is planned when it holds the fresh result of an op: an op that
// may return (a view of) one of its inputs joins its register to theirs in
// one alias set, whose owners are planned for the lifetime of the whole set
// and whose views are left to their ops, as are sets that reach a leaf (a
// parameter or an input).

// lifetime is the closed range [first, last] of tape instructions that touch
// a register (write it or read it). first < 0: never touched.
type lifetime struct{ first, last int }

func (a lifetime) meets(b lifetime) bool { return a.first <= b.last && b.first <= a.last }

func (a lifetime) union(b lifetime) lifetime {
	switch {
	case a.first < 0:
		return b
	case b.first < 0:
		return a
	}
	return lifetime{min(a.first, b.first), max(a.last, b.last)}
}

// tape is what memory planning needs from a gorgonia program: the lifetime
// of each CPU register and, per op instruction, the registers it reads and
// the one it writes.
type tape struct {
	life  []lifetime
	execs []tapeExec
}

// tapeExec is one op instruction: the node it runs, what it reads and writes.
type tapeExec struct {
	node  int64
	reads []int
	write int
}

// readTape reads the tape of a gorgonia program with nregs CPU registers
// (the *program CompileFunction returns) by reflection: every field of an
// instruction of the register type (or a slice of it) is a register the
// instruction reads or writes; an op instruction ("execOp") names its node
// in "id", reads "readFrom" and writes "writeTo". free instructions are left
// out (on the CPU they do nothing), and a register written by an identity
// op lives to the end, because the tape machine adds such a gradient into
// its parameter's after the last instruction. It returns false when the
// program does not have the expected form (a gorgonia upgrade); the program
// then runs unplanned.
func readTape(prog interface{}, regType reflect.Type, nregs int) (*tape, bool) {
	p := reflect.ValueOf(prog)
	if p.Kind() != reflect.Ptr || p.Elem().Kind() != reflect.Struct {
		return nil, false
	}
	instrs := p.Elem().FieldByName("instructions")
	if !instrs.IsValid() || instrs.Kind() != reflect.Slice {
		return nil, false
	}
	if regType.Kind() != reflect.Struct || regType.NumField() != 2 ||
		regType.Field(0).Type.Kind() != reflect.Int || regType.Field(1).Type.Kind() != reflect.Int {
		return nil, false
	}
	tp := &tape{life: make([]lifetime, nregs)}
	for i := range tp.life {
		tp.life[i] = lifetime{-1, -1}
	}
	end := instrs.Len()
	// reg returns the id of a CPU register, -1 for another device or none
	// (instructions that write nothing name register -1).
	reg := func(r reflect.Value) int {
		if r.Field(1).Int() != int64(gorgonia.CPU) || r.Field(0).Int() < 0 {
			return -1
		}
		return int(r.Field(0).Int())
	}
	touch := func(id, at int) bool {
		if id < 0 {
			return true
		}
		if id >= nregs {
			return false
		}
		tp.life[id] = tp.life[id].union(lifetime{at, at})
		return true
	}
	iopType := reflect.TypeOf(gorgonia.Iop{})
	for i := 0; i < end; i++ {
		in := instrs.Index(i)
		if in.Kind() != reflect.Interface || in.IsNil() {
			return nil, false
		}
		in = in.Elem()
		if in.Kind() == reflect.Ptr {
			in = in.Elem()
		}
		if in.Kind() != reflect.Struct {
			return nil, false
		}
		if in.Type().Name() == "free" {
			continue
		}
		at := i
		if op := in.FieldByName("op"); op.IsValid() && op.Kind() == reflect.Interface && !op.IsNil() && op.Elem().Type() == iopType {
			at = end
		}
		for f := 0; f < in.NumField(); f++ {
			v := in.Field(f)
			switch {
			case v.Type() == regType:
				if !touch(reg(v), at) {
					return nil, false
				}
			case v.Kind() == reflect.Slice && v.Type().Elem() == regType:
				for j := 0; j < v.Len(); j++ {
					if !touch(reg(v.Index(j)), i) {
						return nil, false
					}
				}
			}
		}
		if in.Type().Name() != "execOp" {
			continue
		}
		id, reads, write := in.FieldByName("id"), in.FieldByName("readFrom"), in.FieldByName("writeTo")
		if id.Kind() != reflect.Int64 || reads.Kind() != reflect.Slice || write.Type() != regType {
			return nil, false
		}
		ex := tapeExec{node: id.Int(), write: reg(write)}
		for j := 0; j < reads.Len(); j++ {
			ex.reads = append(ex.reads, reg(reads.Index(j)))
		}
		tp.execs = append(tp.execs, ex)
	}
	return tp, true
}

// freshResult reports whether op's result is always a buffer of its own (or
// its input overwritten in place, which gorgonia only does in the input's
// register): ops that do not return pointers, and those of gorgonia's
// pointer-returning ops whose Do, UsePreallocDo and UnsafeDo were read to
// allocate, fill the preallocated buffer or overwrite the input. Every other
// op (reshape, slice, transpose, repeat, identity, …) may return a view of
// an input.
func freshResult(op gorgonia.Op) bool {
	if !op.ReturnsPtr() {
		return true
	}
	t := reflect.TypeOf(op)
	if t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	if t.PkgPath() != "gorgonia.org/gorgonia" {
		return false
	}
	switch t.Name() {
	case "elemBinOp", "elemUnaryOp", "linAlgBinOp", "tensordotOp", "sumOp", "maxOp":
		return true
	}
	return false
}

// planAlign is the alignment of every planned buffer in the arena (a cache
// line, and the widest vector load).
const planAlign = 64

// memPlan is the placement of planned registers in one arena.
type memPlan struct {
	arena   []byte
	views   []gorgonia.Value // per register: its tensor over the arena; nil when not planned
	planned int              // sum of the planned registers' sizes in bytes (what they took unplanned)
}

// planItem is one register to place: size bytes for its lifetime.
type planItem struct {
	reg  int
	size uintptr
	life lifetime
	off  uintptr
}

// placeByLifetime sets the offset of each item so that no two items whose
// lifetimes meet overlap in memory, largest first, each at the lowest free
// offset (aligned to planAlign), and returns the arena size needed.
func placeByLifetime(items []planItem) uintptr {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return items[order[a]].size > items[order[b]].size })
	var total uintptr
	var placed []int     // indices of items placed so far, by offset
	var live []*planItem // scratch: placed items whose lifetimes meet the current one
	for _, k := range order {
		it := &items[k]
		live = live[:0]
		for _, j := range placed {
			if items[j].life.meets(it.life) {
				live = append(live, &items[j])
			}
		}
		var off uintptr
		for _, p := range live { // by offset: take the first gap that fits
			if p.off >= off+it.size {
				break
			}
			if end := alignUp(p.off+p.size, planAlign); end > off {
				off = end
			}
		}
		it.off = off
		total = max(total, off+it.size)
		at := sort.Search(len(placed), func(i int) bool { return items[placed[i]].off > off })
		placed = append(placed, 0)
		copy(placed[at+1:], placed[at:])
		placed[at] = k
	}
	return total
}

func alignUp(x, a uintptr) uintptr { return (x + a - 1) &^ (a - 1) }

// newMemPlan plans the registers of a program from its tape, the op nodes
// whose results each register holds (writers) and which registers hold
// leaves; nodes maps node ids to nodes.
func newMemPlan(tp *tape, writers [][]*gorgonia.Node, nodes map[int64]*gorgonia.Node, leaf []bool) *memPlan {
	nregs := len(tp.life)
	sets := newDisjointSets(nregs)
	for _, ex := range tp.execs {
		n := nodes[ex.node]
		if n == nil || ex.write < 0 || freshResult(n.Op()) {
			continue
		}
		for _, r := range ex.reads {
			if r >= 0 {
				sets.union(ex.write, r)
			}
		}
	}
	setLife := make([]lifetime, nregs)
	setLeaf := make([]bool, nregs)
	for i := range setLife {
		setLife[i] = lifetime{-1, -1}
	}
	for r := 0; r < nregs; r++ {
		root := sets.find(r)
		setLife[root] = setLife[root].union(tp.life[r])
		setLeaf[root] = setLeaf[root] || leaf[r]
	}
	var items []planItem
	pl := &memPlan{views: make([]gorgonia.Value, nregs)}
	shapes := make([]tensor.Shape, nregs)
	dtypes := make([]tensor.Dtype, nregs)
	for r, ws := range writers {
		root := sets.find(r)
		if len(ws) == 0 || setLeaf[root] || setLife[root].first < 0 {
			continue
		}
		s, dt, ok := ownResult(ws)
		if !ok {
			continue
		}
		size := uintptr(s.TotalSize()) * dt.Size()
		items = append(items, planItem{reg: r, size: size, life: setLife[root]})
		shapes[r], dtypes[r] = s, dt
		pl.planned += int(size)
	}
	total := placeByLifetime(items)
	if total == 0 {
		return pl
	}
	raw := make([]byte, total+planAlign)
	shift := alignUp(uintptr(unsafe.Pointer(&raw[0])), planAlign) - uintptr(unsafe.Pointer(&raw[0]))
	pl.arena = raw[shift : shift+total]
	for _, it := range items {
		n := shapes[it.reg].TotalSize()
		backing := reflect.SliceAt(dtypes[it.reg].Type, unsafe.Pointer(&pl.arena[it.off]), n).Interface()
		pl.views[it.reg] = tensor.New(tensor.WithShape(shapes[it.reg].Clone()...), tensor.WithBacking(backing))
	}
	return pl
}

// ownResult returns the shape and dtype of the tensor the op nodes ws
// (those writing one register) produce, when they all produce fresh results
// of one shape and one pointer-free element type, with at least one element.
func ownResult(ws []*gorgonia.Node) (tensor.Shape, tensor.Dtype, bool) {
	s, dt := ws[0].Shape(), ws[0].Dtype()
	if s.Dims() == 0 || s.TotalSize() == 0 {
		return nil, dt, false
	}
	switch dt.Kind() {
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint8, reflect.Bool:
	default:
		return nil, dt, false
	}
	for _, w := range ws {
		if !freshResult(w.Op()) || !w.Shape().Eq(s) || w.Dtype() != dt {
			return nil, dt, false
		}
	}
	return s, dt, true
}

// disjointSets is a union–find over 0…n−1.
type disjointSets []int

func newDisjointSets(n int) disjointSets {
	d := make(disjointSets, n)
	for i := range d {
		d[i] = i
	}
	return d
}

func (d disjointSets) find(x int) int {
	for d[x] != x {
		d[x] = d[d[x]]
		x = d[x]
	}
	return x
}

func (d disjointSets) union(a, b int) { d[d.find(a)] = d.find(b) }
