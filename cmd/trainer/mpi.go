//go:build mpi

package main

import (
	"os"

	"github.com/gorgonet/gorgonet/distributed"
	"github.com/gorgonet/gorgonet/distributed/mpi"
)

// joinWorld initialises MPI and returns MPI_COMM_WORLD, whose rank and size
// mpirun sets, and the function that ends this rank's part: MPI_Finalize,
// or MPI_Abort of every rank when abort is set.
// A trainer not started by an MPI launcher (no OMPI_COMM_WORLD_SIZE or
// PMIX_RANK in its environment) does not touch MPI: it is a world of one,
// exactly as the trainer built without MPI.
func joinWorld() (distributed.Comm, func(abort bool) error, error) {
	if os.Getenv("OMPI_COMM_WORLD_SIZE") == "" && os.Getenv("PMIX_RANK") == "" {
		return distributed.Local{}, nil, nil
	}
	comm, err := mpi.Init()
	if err != nil {
		return nil, nil, err
	}
	exit := func(abort bool) error {
		if abort {
			return comm.Abort(1)
		}
		return mpi.Finalize()
	}
	return comm, exit, nil
}
