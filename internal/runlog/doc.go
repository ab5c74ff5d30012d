// Package runlog reports and records the progress of a training run: a
// Progress that draws a live line on a terminal or writes plain log lines
// elsewhere, a JSONL metrics file (one Record per logged step, reopenable
// for a resumed run), and PNG plots of the loss curves and of attention
// weights, rendered with gonum.org/v1/plot.
package runlog
