package train

import (
	"context"

	"gorgonia.org/tensor"

	"github.com/gorgonet/gorgonet/datasets"
	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/safetensors"
)

// Task is a model together with its data: what a Loop trains, evaluates
// and checkpoints, whatever the kind of model. LMTask and Seq2SeqTask
// implement it for the language and sequence-to-sequence models of
// gorgonet; any other model can, with a training program compiled by
// graph.Model.Compile.
//
// One optimizer step of the loop trains on one global batch, drawn by Next
// identically in every process. The batch is cut into Part.Of equal parts
// of rows: with k micro-batches of gradient accumulation over n processes,
// Of = k·n and process r trains on parts r·k … r·k+k−1, one Step each. The
// loop weighs each part's gradient by its Tokens, so that the update is the
// gradient of the mean loss per token over the whole global batch, as if it
// had been trained in one piece.
type Task interface {
	// Model returns the model the task trains.
	Model() *graph.Model
	// Next draws the next global batch of training data.
	Next(ctx context.Context) error
	// Tokens returns the number of tokens whose mean loss is the loss of
	// part p of the batch drawn last.
	Tokens(p Part) int
	// Step trains on part p of the batch drawn last: it runs the forward and
	// backward passes, then opt.Step with the gradients of the part's loss
	// (graph.Program.Step), and returns the loss, a mean per token.
	Step(p Part, opt graph.Optimizer) (float64, error)
	// Evaluate returns the mean validation loss per token over at most
	// limit batches (0: all) and the number of tokens evaluated, in
	// evaluation mode; tokens is 0 when the task has no validation data.
	Evaluate(ctx context.Context, limit int) (loss float64, tokens int, err error)
	// Position is the task's data position, saved in checkpoints.
	Position() Position
}

// Part is one part of a global batch of rows cut into Of equal parts:
// rows Index·B … Index·B+B−1 of a batch of Of·B rows.
type Part struct {
	Index, Of int
}

// Whole is the one part of a batch trained in one piece by one process.
var Whole = Part{Index: 0, Of: 1}

// Position is a data position: enough, with the same data and
// configuration, to resume at the exact next batch.
// datasets.LMBatcher and datasets.Seq2SeqBatcher implement it.
type Position interface {
	State() datasets.BatcherState
	Restore(datasets.BatcherState) error
}

// Carrier is implemented by a task whose model carries state from batch to
// batch, row by row (a recurrent LM's hidden state under truncated
// backpropagation through time). Each tensor is [B, …], B the rows of a
// part; checkpoints hold the state of every part stacked along the rows,
// the state of a global batch, so a run can resume with any split into
// processes and micro-batches of the same global batch.
type Carrier interface {
	// Carried returns the state carried into part p of the next batch.
	Carried(p Part) []safetensors.NamedTensor
	// SetCarried replaces the state of part p by state (by name, as
	// Carried returns it).
	SetCarried(p Part, state map[string]*tensor.Dense) error
}
