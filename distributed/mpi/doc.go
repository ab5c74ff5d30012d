// Package mpi is a small cgo binding of MPI (Open MPI 4, `libopenmpi-dev`)
// for synchronous data-parallel training: Init and Finalize, the rank and
// size of MPI_COMM_WORLD, in-place all-reduce (sum) of float32 and float64
// buffers, broadcast, barrier and abort. MPI errors are returned as Go
// errors (the communicator's error handler is MPI_ERRORS_RETURN).
//
// The binding is compiled only with the build tag mpi (`go build -tags mpi`),
// which needs cgo and pkg-config's ompi package; without the tag the package
// is empty and the project stays pure Go. *Comm implements
// distributed.Comm. Programs using it are started with mpirun:
//
//	mpirun -np 2 ./program
package mpi
