package recipe

import (
	"fmt"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/graph"
	"github.com/gorgonet/gorgonet/internal/inputfile"
	"github.com/gorgonet/gorgonet/internal/sysmem"
)

// optimizerSlots is the number of parameter-sized moment buffers each
// optimizer keeps.
var optimizerSlots = map[string]int64{"adamw": 2, "adam": 2, "sgd": 0, "momentum": 1, "nesterov": 1, "rmsprop": 1, "adagrad": 1}

// MemoryEstimate is what a run of a configuration is estimated to hold.
type MemoryEstimate struct {
	graph.Memory       // the training program (or the forward program alone)
	Optimizer    int64 // the optimizer's moments
	Eval         int64 // the evaluation program's own intermediates
}

// Total returns the whole estimate in bytes.
func (e MemoryEstimate) Total() int64 { return e.Memory.Total() + e.Optimizer + e.Eval }

// estimateMemory builds cfg's model for a vocabulary of vocab ids on shape
// models (graph.NewShapeModel: no parameter values) and estimates the memory
// of its programs at train.batch_size rows of model.context tokens: with
// training, the training program, the optimizer's moments and the
// evaluation program; without, the forward (evaluation) program alone.
// Nothing of the model's size is allocated; a model with more than
// maxParams parameter elements (0: no cap) stops being built at the first
// parameter past the cap, with a *graph.ParamLimitError.
func estimateMemory(cfg Config, vocab, maxParams int, training bool) (MemoryEstimate, error) {
	var est MemoryEstimate
	eval, err := estimateProgram(cfg, vocab, maxParams, false)
	if err != nil || !training {
		return MemoryEstimate{Memory: eval}, err
	}
	if est.Memory, err = estimateProgram(cfg, vocab, maxParams, true); err != nil {
		return est, err
	}
	est.Eval = eval.Activations + eval.Inputs
	est.Optimizer = optimizerSlots[cfg.Optim.Name] * est.Params
	return est, nil
}

// estimateProgram estimates cfg's training program (training) or forward
// program in evaluation mode, each on a shape model of its own.
func estimateProgram(cfg Config, vocab, maxParams int, training bool) (graph.Memory, error) {
	m := graph.NewShapeModel(dtypeOf(cfg.Model.Dtype))
	m.SetTraining(training)
	m.SetParamLimit(maxParams)
	n, err := buildNetworkOn(m, cfg, vocab)
	if err != nil {
		return graph.Memory{}, err
	}
	loss, err := n.loss(cfg.Train.BatchSize, cfg.Model.Context)
	if err != nil {
		return graph.Memory{}, errors.Wrap(err, "estimating memory")
	}
	if training {
		return m.EstimateTraining(loss)
	}
	return m.EstimateForward(loss)
}

// CheckMemory returns an error when the estimate of cfg's run (see
// estimateMemory) exceeds the budget: train.memory_limit GiB, or the memory
// available to the process when that is 0. The error states both and the
// keys that drive the largest part. It returns the estimate. paramCap > 0
// caps the model's parameter elements below what the budget allows (a
// checkpoint's configuration may not claim more than the checkpoint holds);
// passing it is a *graph.ParamLimitError.
func CheckMemory(cfg Config, vocab, paramCap int, training bool) (MemoryEstimate, error) {
	budget, source := int64(cfg.Train.MemoryLimit*(1<<30)), "train.memory_limit"
	if budget <= 0 {
		var err error
		if budget, err = sysmem.Available(); err != nil {
			return MemoryEstimate{}, err
		}
		source = "the memory available"
	}
	perParam := int64(dtypeOf(cfg.Model.Dtype).Size())
	if training {
		perParam *= 2 + optimizerSlots[cfg.Optim.Name] // value, gradient, moments
	}
	paramDrivers := "model.d_model, model.layers, model.hidden and the vocabulary"
	maxParams := int(budget / perParam)
	if paramCap > 0 && paramCap < maxParams {
		maxParams = paramCap
	}
	est, err := estimateMemory(cfg, vocab, maxParams, training)
	var tooMany *graph.ParamLimitError
	if errors.As(err, &tooMany) && tooMany.Limit != paramCap {
		return est, errors.Errorf("the %s model has more than %d parameter elements, which with their gradients and optimizer moments pass the budget of %s (%s); lower %s",
			cfg.Model.Kind, tooMany.Limit, inputfile.Bytes(budget), source, paramDrivers)
	}
	if err != nil || est.Total() <= budget {
		return est, err
	}
	drivers := "train.batch_size, model.context, model.layers and model.d_model (intermediate results of every layer; attention grows with the square of model.context)"
	if est.Params+est.Grads+est.Optimizer > est.Activations+est.Eval {
		drivers = paramDrivers + " (parameters, gradients and optimizer moments)"
	}
	return est, errors.Errorf("the %s model needs an estimated %s (parameters %s, gradients %s, optimizer %s, intermediate results %s), more than the budget of %s (%s); lower %s, or set train.memory_limit (GiB) if the estimate is too cautious",
		cfg.Model.Kind, inputfile.Bytes(est.Total()), inputfile.Bytes(est.Params), inputfile.Bytes(est.Grads), inputfile.Bytes(est.Optimizer),
		inputfile.Bytes(est.Activations+est.Eval+est.Inputs), inputfile.Bytes(budget), source, drivers)
}

// Describe is the estimate in one line for a start-up summary.
func (est MemoryEstimate) Describe() string {
	return fmt.Sprintf("estimated memory %s (parameters %s, optimizer %s, intermediate results %s)",
		inputfile.Bytes(est.Total()), inputfile.Bytes(est.Params+est.Grads), inputfile.Bytes(est.Optimizer),
		inputfile.Bytes(est.Activations+est.Eval+est.Inputs))
}
