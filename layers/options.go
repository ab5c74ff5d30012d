package layers

import "github.com/gorgonet/gorgonet/graph"

// Option configures the construction of a layer. Options that do not apply
// to a layer are ignored by it (Eps by Linear, NoBias by Embedding), so one
// list of options can be passed down to every layer of a block.
type Option func(*options)

// options is the configuration built from a list of Options over a layer's
// defaults.
type options struct {
	noBias     bool
	weightInit graph.Initializer
	biasInit   graph.Initializer
	eps        float64
}

// NoBias leaves out the bias (the additive shift) of a Linear or LayerNorm.
func NoBias() Option { return func(o *options) { o.noBias = true } }

// WeightInit replaces the default initializer of a layer's weight (the
// matrix of a Linear, the table of an Embedding or learned positional
// encoding, the gain of a LayerNorm).
func WeightInit(init graph.Initializer) Option { return func(o *options) { o.weightInit = init } }

// BiasInit replaces the default initializer of a layer's bias.
func BiasInit(init graph.Initializer) Option { return func(o *options) { o.biasInit = init } }

// Eps sets the ε added to the variance by LayerNorm (default 1e-5).
func Eps(eps float64) Option { return func(o *options) { o.eps = eps } }

// applyOptions applies opts, in order, over the given defaults.
func applyOptions(defaults options, opts []Option) options {
	o := defaults
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}
