//go:build race

package sgemm

// raceEnabled reports a race-detector build, whose sync.Pool drops items at
// random (so pooled buffers are allocated again).
const raceEnabled = true
