package main

import (
	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/internal/config"
	"github.com/gorgonet/gorgonet/train/recipe"
)

// Config is the trainer's configuration (recipe.Config).
type Config = recipe.Config

// loadConfig starts from the defaults, applies the file at path (JSON, or
// YAML when it ends in .yaml or .yml; none when path is empty) and then the
// key=value overrides, and returns the resolved, validated configuration.
func loadConfig(path string, sets []string) (Config, error) {
	cfg := recipe.Default()
	if path != "" {
		if err := config.Load(path, &cfg); err != nil {
			return cfg, err
		}
	}
	if err := applySets(&cfg, sets); err != nil {
		return cfg, err
	}
	return cfg, cfg.Resolve()
}

// applySets applies --set overrides in order.
func applySets(cfg *Config, sets []string) error {
	for _, s := range sets {
		if err := config.Set(cfg, s); err != nil {
			return errors.Wrap(err, "--set")
		}
	}
	return nil
}
