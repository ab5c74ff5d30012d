package main

import (
	"fmt"
)

// Example_loadConfig resolves a configuration the way `trainer train --set`
// does: the defaults, then each override, then derived values.
func Example_loadConfig() {
	cfg, err := loadConfig("", []string{"model.kind=rnn_lm", "model.cell=gru", "train.steps=1000"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Model.Kind, cfg.Model.Cell, cfg.Optim.Warmup, cfg.Optim.DecaySteps)
	_, err = loadConfig("", []string{"model.heads=5"})
	fmt.Println(err)
	// Output:
	// rnn_lm gru 100 1000
	// config: model.d_model: 64 is not divisible by model.heads 5
}
