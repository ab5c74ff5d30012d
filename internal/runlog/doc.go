// Package runlog reports and records the progress of a training run: a
// Progress that draws a live line on a terminal or writes plain log lines
// elsewhere, and a JSONL metrics file (one Record per logged step,
// reopenable for a resumed run). The pictures of a run are drawn by package
// plot.
package runlog
