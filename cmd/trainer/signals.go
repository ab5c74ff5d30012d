package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// exitInterrupted is the exit status of a run stopped by a signal (128+2,
// the shell's convention for SIGINT).
const exitInterrupted = 130

// interruptContext returns a context that the first Ctrl-C (SIGINT) or
// SIGTERM cancels: whatever the command is doing (reading data, training a
// tokenizer, training, validating, sampling) stops, a training run after
// saving a checkpoint. A second signal exits at once (checkpoints are
// written atomically, so even then none is left half-written). stop
// restores the default handling. Messages go to w.
func interruptContext(w io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	done := make(chan struct{})
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		for {
			select {
			case <-done:
				return
			case sig := <-ch:
				if ctx.Err() != nil {
					fmt.Fprintf(w, "\n%v again: exiting now\n", sig)
					os.Exit(exitInterrupted)
				}
				fmt.Fprintf(w, "\n%v: stopping; a run in training saves a checkpoint first (press Ctrl-C again to quit at once)\n", sig)
				cancel()
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}
