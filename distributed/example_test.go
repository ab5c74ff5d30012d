package distributed_test

import (
	"fmt"
	"sync"

	"github.com/gorgonet/gorgonet/distributed"
)

// Example averages a gradient-like buffer over two ranks of an in-process
// group, as DataParallel does over MPI ranks: all-reduce (sum), then divide
// by the number of ranks.
func Example() {
	comms, _ := distributed.NewGroup(2)
	out := make([][]float32, 2)
	var wg sync.WaitGroup
	for _, c := range comms {
		wg.Add(1)
		go func(c distributed.Comm) {
			defer wg.Done()
			g := []float32{float32(c.Rank()), 2 * float32(c.Rank())} // this rank's gradient
			if err := c.AllReduceFloat32(g); err != nil {
				fmt.Println(err)
				return
			}
			for i := range g {
				g[i] /= float32(c.Size())
			}
			out[c.Rank()] = g
		}(c)
	}
	wg.Wait()
	fmt.Println(out[0], out[1])
	// Output: [0.5 1] [0.5 1]
}
