//go:build !race

package sgemm

// raceEnabled reports a race-detector build (race_on_test.go).
const raceEnabled = false
