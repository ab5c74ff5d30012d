// Package optim holds gorgonet's optimizers, learning-rate schedules and
// gradient clipping, written here rather than taken from gorgonia: in
// gorgonia v0.9.18 AdamW never updates the weights, AdaGrad ignores its
// learning rate, clipping, L2 and epsilon, and Momentum applies L2 to the
// velocity. TestFirstUpdatesMatchFormulas checks the first updates of each
// optimizer here against its formula.
//
// An Optimizer updates graph.Param values in place from their gradients.
// graph.Program.Step calls it once per training step, after the backward
// pass, and zeroes the gradients afterwards:
//
//	opt := optim.ClipByGlobalNorm(optim.NewAdamW(optim.WarmupCosine(1e-3, 100, 2000, 1e-4), 0.1), 1)
//	for step := 0; step < 2000; step++ {
//		loss, err := prog.Step(feeds, opt)
//		...
//	}
//
// Every optimizer follows the update rule of its PyTorch namesake
// (torch.optim), with hyper-parameters preset to PyTorch's defaults; each type's
// documentation writes the rule out. The arithmetic of an update is done in
// float64 and the results are stored in the model's element type (Adam and
// AdamW update float32 parameters in float32 with an AVX2 kernel, as PyTorch
// does): float32 models keep float32 parameters and float32 optimizer state.
//
// Weight decay, of either kind (the coupled L2 term of SGD, Momentum, Adam,
// RMSProp and Adagrad, or AdamW's decoupled decay), applies only to parameters
// whose Decays() is true, which by default excludes biases, norm gains and
// other 1-D parameters. That is PyTorch with two parameter groups, the second
// with weight_decay=0, as nanoGPT configures it.
//
// Optimizer state (moment buffers and the update count) is keyed by parameter
// name and can be saved with State and restored with SetState exactly: an
// optimizer restored from a saved State continues bit for bit as the original
// would have.
package optim
