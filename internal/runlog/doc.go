// Package runlog draws PNG plots of a training run: the loss curves and
// attention weights, rendered with gonum.org/v1/plot.
package runlog
