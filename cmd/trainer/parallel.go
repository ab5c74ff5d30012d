package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/distributed"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/optim"
)

// Synchronous data-parallel training. A trainer built with `-tags mpi` and
// started by `mpirun -np N trainer train …` is one of N ranks: every rank
// builds the same model, draws the same global batch of N·train.batch_size
// rows and trains on its own train.batch_size rows; the gradients are
// averaged with one all-reduce per step (distributed.DataParallel), so every
// rank holds the same parameters. Rank 0 alone prints, writes metrics and
// checkpoints; the other ranks write into a scratch directory that is
// removed at the end. Built without the tag, or started without mpirun, the
// trainer is a world of one and nothing here changes what it does.

// world is this process's communicator: distributed.Local unless a
// training command joined an MPI world (joinWorld, in mpi.go or
// parallel_local.go).
var world distributed.Comm = distributed.Local{}

// scratchDir is the directory of a rank other than 0, removed at the end.
var scratchDir string

// worldInterrupter is the interrupter of a rank, whose stop requests the
// ranks agree on after every step (agreeStep).
var worldInterrupter *interrupter

// replicaParams are the parameters every rank holds a copy of.
var replicaParams []*graph.Param

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
	defer func() {
		world, worldInterrupter, replicaParams = distributed.Local{}, nil, nil
		if scratchDir != "" {
			os.RemoveAll(scratchDir)
			scratchDir = ""
		}
	}()
	if comm.Rank() != 0 {
		stdout = io.Discard
	}
	err = run(args, stdout, stderr)
	if err == nil || errors.Is(err, errInterrupted) || errors.Is(err, flag.ErrHelp) {
		if ferr := exit(false); err == nil {
			err = ferr
		}
		return err
	}
	fmt.Fprintf(stderr, "trainer %s (rank %d of %d): %v\nstopping every rank\n", name, comm.Rank(), comm.Size(), err)
	return exit(true)
}

// prepareRankDir is prepareRunDir on rank 0; the other ranks get a fresh
// scratch directory for the files they would otherwise write.
func prepareRankDir(out string, explicit, force bool) (string, error) {
	if world.Rank() == 0 {
		return prepareRunDir(out, explicit, force)
	}
	return rankDir(out), nil
}

// rankDir returns dir on rank 0 and a fresh scratch directory on the other
// ranks (dir when none can be made, which then fails loudly).
func rankDir(dir string) string {
	if world.Rank() == 0 {
		return dir
	}
	if scratchDir == "" {
		d, err := os.MkdirTemp("", fmt.Sprintf("trainer-rank%d-", world.Rank()))
		if err != nil {
			return dir
		}
		scratchDir = d
	}
	return scratchDir
}

// parallelOptimizer wraps opt in gradient averaging across the ranks
// (outside clipping, so that clipping sees the averaged gradients).
func parallelOptimizer(opt optim.Optimizer) optim.Optimizer {
	if world.Size() == 1 {
		return opt
	}
	return distributed.NewDataParallel(world, opt)
}

// syncReplicas copies rank 0's parameters to every rank: after building a
// run and after restoring a checkpoint, before the first step.
func syncReplicas(r *run) error {
	if world.Size() == 1 {
		return nil
	}
	switch {
	case r.net.lm == nil:
		return errors.Errorf("model.kind %s: data-parallel training (%d ranks) supports transformer_lm only: a seq2seq loss is a mean over the non-padding tokens, whose number differs from shard to shard", r.cfg.Model.Kind, world.Size())
	case r.net.lm.batchMode() != datasets.RandomWindows:
		return errors.Errorf("model.kind %s: data-parallel training (%d ranks) supports transformer_lm only: a recurrent LM carries per-row hidden state across batches, which a checkpoint would save for rank 0's rows only", r.cfg.Model.Kind, world.Size())
	}
	replicaParams = r.net.m.Params()
	return distributed.Broadcast(world, replicaParams)
}

// globalRows returns the rows of the global batch: size × the local batch.
func globalRows(local int) int { return local * world.Size() }

// shardLM returns this rank's rows of a global batch.
func shardLM(b datasets.LMBatch) (datasets.LMBatch, error) {
	var err error
	if b.Inputs, err = distributed.ShardRows(b.Inputs, world.Rank(), world.Size()); err != nil {
		return b, err
	}
	b.Targets, err = distributed.ShardRows(b.Targets, world.Rank(), world.Size())
	return b, err
}

// agreeStep turns this rank's loss of a step into the mean over the ranks,
// and makes every rank stop after this step when any of them was
// interrupted (one all-reduce of two values). A NaN on any rank is a NaN on
// every rank, so the ranks stop together on divergence too. With check set
// (GORGONET_CHECK_REPLICAS=1) it also verifies that the parameters are the
// same, bit for bit, on every rank.
func agreeStep(loss float64, err error) (float64, error) {
	if world.Size() == 1 || err != nil {
		return loss, err
	}
	requested := worldInterrupter != nil && worldInterrupter.requested.Load()
	mean, stop, err := distributed.MeanAcross(world, loss, requested)
	if err != nil {
		return mean, err
	}
	if stop && worldInterrupter != nil {
		worldInterrupter.agreed.Store(true)
	}
	if os.Getenv("GORGONET_CHECK_REPLICAS") == "1" {
		if err := distributed.Identical(world, replicaParams); err != nil {
			return mean, err
		}
	}
	return mean, nil
}

// parallelInterrupts makes in, with several ranks, report only the stop the
// ranks agreed on (agreeStep), so that every rank leaves after the same step.
func parallelInterrupts(in *interrupter) {
	if world.Size() > 1 {
		in.deferred = true
		worldInterrupter = in
	}
}
