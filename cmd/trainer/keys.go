package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/gorgonet/gorgonet/train/recipe"
)

// writeConfigHelp prints every configuration key (recipe.WriteKeys).
func writeConfigHelp(w io.Writer) error {
	if err := recipe.WriteKeys(w); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "`trainer init-config --kind KIND` writes these as a commented YAML file to start from.")
	return err
}

// joinKinds lists the model kinds for a message.
func joinKinds() string { return strings.Join(recipe.ModelKinds, ", ") }
