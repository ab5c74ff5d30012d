// Package plot draws gorgonet's pictures as PNG images with
// gonum.org/v1/plot: line and scatter charts (Chart), the loss curves of a
// training run (LossChart) and heat maps with a colour bar, such as
// attention weights (Heatmap). The trainer writes them to files (Save,
// atomically); a notebook displays the bytes of PNG with its kernel's
// display function (with gophernotes, Display(display.PNG(b))).
//
// Every picture keeps what it draws inside the frame: the data range of a
// chart is widened by a margin so that its extreme points are not cut by
// the edge of the plotting area, and the legend sits beside the plot with a
// margin to the right edge of the image.
package plot
