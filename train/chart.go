package train

import "github.com/gorgonet/gorgonet/plot"

// LossChart is the chart of the training and validation losses of
// records, against the step (plot.LossChart).
func LossChart(records []Record) (plot.Chart, error) {
	var trainLoss, valLoss plot.Curve
	for _, r := range records {
		c := &trainLoss
		if r.Split == Val {
			c = &valLoss
		}
		c.Step = append(c.Step, float64(r.Step))
		c.Loss = append(c.Loss, r.Loss)
	}
	return plot.LossChart(trainLoss, valLoss)
}
