//go:build !mpi

package main

import "github.com/gorgonet/gorgonet/distributed"

// joinWorld returns the world of one process: this trainer is built without
// MPI (build it with `-tags mpi` for data-parallel training under mpirun).
func joinWorld() (distributed.Comm, func(abort bool) error, error) {
	return distributed.Local{}, nil, nil
}
