// Package layers holds gorgonet's neural-network layers: plain structs that
// own named parameters of a graph.Model and build their part of the model's
// Gorgonia graph in a Forward method taking and returning *gorgonia.Node.
//
// Every layer is created with a name, and its parameters get hierarchical,
// PyTorch-like names built with graph.Join: a Linear named "blocks.0.ff.fc1"
// owns "blocks.0.ff.fc1.weight" [in,out] and "blocks.0.ff.fc1.bias" [out].
// A 2-D weight is laid out [in, out] and applied as x·W.
//
// Shapes are written [N,D] (a batch of vectors) and [B,T,D] (a batch of B
// sequences of T positions with D features). Forward methods check the shapes
// and element types of their inputs when the graph is built and return an
// error naming the layer and both shapes on a mismatch; they never panic.
//
// The building blocks of the plain neural network are here: Linear,
// activations (ReLU, GELU, GELUTanh, Tanh, Sigmoid, Softmax), MLP, Dropout (Srivastava
// et al. 2014), LayerNorm (Ba et al. 2016), and those of the Transformer
// (Vaswani et al. 2017): Embedding, sinusoidal and learned positional
// encodings and the position-wise FeedForward block. Construction is
// configured with functional options (NoBias, WeightInit, BiasInit, Eps).
package layers
