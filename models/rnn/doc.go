// Package rnn holds the recurrent models of gorgonet, built from package
// layers on a graph.Model:
//
//   - LM, a language model (Mikolov et al. 2010; Karpathy's char-rnn, 2015):
//     a token embedding, a stack of Elman, LSTM or GRU layers and an output
//     projection, trained on next-token prediction with truncated
//     backpropagation through time, the hidden state carried from each window
//     of a stream to the next (Window, layers.Carry); sampled with
//     temperature and top-k, the state carried from token to token (Sampler).
//   - Seq2Seq, an RNN encoder–decoder (Sutskever et al. 2014; Cho et al.
//     2014) with optional attention over the encoder outputs, additive
//     (Bahdanau et al. 2015) or multiplicative (Luong et al. 2015), trained
//     with teacher forcing, source and target padding handled with masks,
//     decoded greedily.
//
// Parameters: "embedding.weight", "rnn.weight_x_l0", "rnn.weight_h_l0_reverse",
// "head.weight", in gorgonet's [in,out] layout; the recurrent ones are not
// named as PyTorch's weight_ih_l0, … because PyTorch's layout is the
// transpose (layers.TorchStateDict and package interop's PyTorch format
// write PyTorch's names and layouts).
//
// The benchmarks in this package's tests run the full trainings (LSTM on tiny
// shakespeare, the seq2seq reverse task, the delayed-copy task); each test
// runs a short version of them.
package rnn
