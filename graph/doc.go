// Package graph is gorgonet's core over Gorgonia (gorgonia.org/gorgonia v0.9.18).
//
// A Model owns one Gorgonia expression graph, an ordered registry of named
// parameters (hierarchical names such as "blocks.0.attn.q.weight", the same
// names used by Summary, checkpoints and error messages) and two seeded
// random number generators: one for parameter initialisation and one for
// dropout masks. Two models built with the same seed and the same layers hold
// bitwise-identical parameters and, trained on the same batches, produce
// bitwise-identical losses.
//
// A loss node is compiled to a training Program (Model.Compile): gradients of
// every trainable parameter, a tape machine with bound dual values, and inputs
// fed by name. Program.Step feeds a batch, runs the forward and backward
// passes, applies an Optimizer and resets the machine. Model.CompileForward
// compiles a forward-only program over the same parameters for evaluation and
// inference. Shapes are fixed per program, a property of Gorgonia's tape
// machine: build one program per batch shape.
//
// GradCheck is a float64 finite-difference gradient checker usable on any
// loss. The custom operations models are built from (Affine, LayerNorm,
// Dropout, the fused recurrences, …) are in package ops.
package graph
