// Package distributed trains one model on several processes by synchronous
// data parallelism (Li et al. 2020, "PyTorch Distributed: Experiences on
// Accelerating Data Parallel Training"): every process (rank) holds a full
// copy of the parameters, computes the gradient of the mean loss over its
// own shard of the global batch, and the gradients are averaged across ranks
// before the same optimizer step is applied everywhere, so that every rank
// holds identical parameters after every step.
//
// Communication goes through the small Comm interface. This package holds
// the cgo-free implementations: Local (one process, the default) and
// NewGroup (several ranks as goroutines of one process, for tests). The MPI
// implementation is package distributed/mpi, built only with `-tags mpi`
// (it needs Open MPI's libmpi and cgo).
//
// The pieces:
//   - DataParallel wraps any optim.Optimizer: one all-reduce of a flat
//     buffer holding every gradient, a division by the number of ranks, then
//     the wrapped optimizer's step. Broadcast copies rank 0's parameters to
//     every rank (at start and after a resume).
//   - ShardRows cuts a rank's rows out of a global batch, so that N ranks
//     with local batch B together see exactly the rows one process with
//     batch N·B sees.
//   - MeanAcross and AnyAcross agree on a loss and on a stop request.
package distributed
