package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/distributed"
	"github.com/gorgonet/gorgonet/train"
)

// Synchronous data-parallel training. A trainer built with `-tags mpi` and
// started by `mpirun -np N trainer train …` is one of N ranks: every rank
// builds the same model, draws the same global batch of N·train.batch_size
// rows and trains on its own rows (train.Loop with Comm); the gradients are
// summed with one all-reduce per step, weighted by the tokens of each
// rank's rows, so every rank holds the same parameters. Rank 0 alone
// prints, writes metrics and checkpoints. Built without the tag, or started
// without mpirun, the trainer is a world of one and nothing here changes
// what it does.

// world is this process's communicator: distributed.Local unless a
// training command joined an MPI world (joinWorld, in mpi.go or
// parallel_local.go).
var world distributed.Comm = distributed.Local{}

// runAsRank runs command name. The training commands (train, resume) join
// the MPI world first when the trainer is built with MPI; with more than one
// rank, ranks other than 0 print nothing, and a rank that fails aborts the
// whole job (the others may be waiting for it in an all-reduce) after
// printing its error.
func runAsRank(name string, run func(args []string, stdout, stderr io.Writer) error, args []string, stdout, stderr io.Writer) error {
	if name != "train" && name != "resume" {
		return run(args, stdout, stderr)
	}
	comm, exit, err := joinWorld()
	if err != nil {
		return errors.Wrap(err, "joining the MPI world")
	}
	if comm.Size() == 1 {
		err := run(args, stdout, stderr)
		if exit != nil {
			if ferr := exit(false); err == nil {
				err = ferr
			}
		}
		return err
	}
	world = comm
	defer func() { world = distributed.Local{} }()
	if comm.Rank() != 0 {
		stdout = io.Discard
	}
	err = run(args, stdout, stderr)
	if err == nil || errors.Is(err, train.ErrInterrupted) || errors.Is(err, flag.ErrHelp) {
		if ferr := exit(false); err == nil {
			err = ferr
		}
		return err
	}
	fmt.Fprintf(stderr, "trainer %s (rank %d of %d): %v\nstopping every rank\n", name, comm.Rank(), comm.Size(), err)
	return exit(true)
}

// leader reports whether this process writes the run's files: rank 0.
func leader() bool { return world.Rank() == 0 }

// checkReplicas reports whether GORGONET_CHECK_REPLICAS=1 asks to verify
// after every step that the parameters are the same, bit for bit, on every
// rank.
func checkReplicas() bool { return os.Getenv("GORGONET_CHECK_REPLICAS") == "1" }
