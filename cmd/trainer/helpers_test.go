package main

import (
	"os"
	"regexp"

	"github.com/gorgonet/gorgonet/train"
)

// Shorthands of the tests for the run directory's checkpoints.

func stepCheckpointName(step int) string { return train.StepFile(step) }

func stepCheckpoints(dir string) ([]string, error) { return train.StepCheckpoints(dir) }

func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// Names of the best checkpoint and of metadata keys of a checkpoint.
const (
	bestFile = train.BestFile

	metaStep       = train.MetaStep
	metaDropoutRNG = train.MetaDropoutRNG
	metaBatcher    = train.MetaBatcher
	metaOptimizer  = train.MetaOptimizer
	metaTrainLoss  = train.MetaTrainLoss
)

// stepFile matches the name of a step checkpoint (train.StepFile).
var stepFile = regexp.MustCompile(`^ckpt-(\d+)\.safetensors$`)
