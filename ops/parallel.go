package ops

import (
	"runtime"
	"sync"
)

// parallelMinWork is the work (in multiply-adds or element operations)
// below which parallelFor runs on the calling goroutine only: smaller jobs
// cost more to hand out than they gain.
const parallelMinWork = 1 << 18

// parallelFor calls fn on consecutive ranges [lo,hi) covering [0,n), split
// between up to GOMAXPROCS goroutines when work (the total cost of all n
// items) reaches parallelMinWork, else in one call. fn must only write
// what belongs to its range.
func parallelFor(n, work int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers > n {
		workers = n
	}
	if workers < 2 || work < parallelMinWork {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(w*n/workers, (w+1)*n/workers)
	}
	wg.Wait()
}
