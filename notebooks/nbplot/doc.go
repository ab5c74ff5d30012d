// Package nbplot draws the pictures of gorgonet's notebooks as PNG images:
// line and scatter charts (Chart) and heatmaps with a colour bar (Heatmap),
// using gonum.org/v1/plot.
//
// It knows nothing of Jupyter: a notebook hands the bytes to its kernel's
// display function (with GoNB, gonbui.DisplayPNG), so the same calls work in
// any Go kernel or in a program that writes the PNG to a file.
package nbplot
