package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// interrupter turns the first Ctrl-C (SIGINT) or SIGTERM into a request that
// the training loop honours between two steps, by saving a checkpoint and
// exiting; a second signal exits at once (checkpoints are written
// atomically, so even then none is left half-written).
type interrupter struct {
	requested atomic.Bool
	// With several ranks (deferred), interrupted reports the stop the ranks
	// agreed on (agreed), set by agreeStep in parallel.go.
	deferred bool
	agreed   atomic.Bool
	ch       chan os.Signal
	done     chan struct{}
}

// exitInterrupted is the exit status of a run stopped by a signal (128+2,
// the shell's convention for SIGINT).
const exitInterrupted = 130

// watchInterrupts starts watching for SIGINT and SIGTERM; messages go to w.
func watchInterrupts(w io.Writer) *interrupter {
	in := &interrupter{ch: make(chan os.Signal, 2), done: make(chan struct{})}
	parallelInterrupts(in)
	signal.Notify(in.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		for {
			select {
			case <-in.done:
				return
			case sig := <-in.ch:
				if in.requested.Swap(true) {
					fmt.Fprintf(w, "\n%v again: exiting now\n", sig)
					os.Exit(exitInterrupted)
				}
				fmt.Fprintf(w, "\n%v: saving a checkpoint after this step (press Ctrl-C again to quit at once)\n", sig)
			}
		}
	}()
	return in
}

// stop stops watching; the default signal handling returns.
func (in *interrupter) stop() {
	signal.Stop(in.ch)
	close(in.done)
}

// interrupted reports whether a stop was requested.
func (in *interrupter) interrupted() bool {
	if in != nil && in.deferred {
		return in.agreed.Load()
	}
	return in != nil && in.requested.Load()
}
