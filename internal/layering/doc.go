// Package layering holds no code: its test checks the import rules of
// gorgonet's packages (see layering_test.go and ARCHITECTURE.md).
package layering
