//go:build mpi

package mpi_test

import (
	"fmt"

	"github.com/gorgonet/gorgonet/distributed/mpi"
)

// Example sums each rank's number across the world. Start it with
// `mpirun -np 2 ./program`: every rank prints the same sum, 0+1 = 1. (Not
// run by go test, whose TestMain owns MPI's one Init and Finalize.)
func Example() {
	comm, err := mpi.Init()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mpi.Finalize()
	buf := []float64{float64(comm.Rank())}
	if err := comm.AllReduceFloat64(buf); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("rank %d of %d: sum of the ranks %v\n", comm.Rank(), comm.Size(), buf[0])
}
