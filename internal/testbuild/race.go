//go:build race

package testbuild

// raceEnabled reports whether this binary was built with the race detector.
const raceEnabled = true
