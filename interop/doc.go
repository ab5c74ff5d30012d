// Package interop brings models from the PyTorch world into gorgonet and
// takes them back: Hugging Face GPT-2 checkpoints (model.safetensors of gpt2
// … gpt2-xl, distilgpt2), nanoGPT state dicts saved as safetensors, and
// recurrent LMs as nn.Embedding + nn.LSTM/GRU/RNN + nn.Linear state dicts,
// besides gorgonet's own names.
//
// A name map alone would be a trap: gorgonet stores Linear weights [In, Out]
// and separate query, key and value projections, Hugging Face's Conv1D
// [In, Out] with the three side by side in c_attn [D, 3·D], nanoGPT's and
// PyTorch's nn.Linear [Out, In]; the square matrices would load transposed
// without any error. ImportLM therefore reads the layout from a shape that
// tells it (c_attn), converts every tensor, infers the configuration from
// the shapes, and checks every name and shape; ExportLM writes the
// ecosystem's names and layouts and refuses a model the format cannot hold
// (an untied head or sinusoidal positions for GPT-2 or nanoGPT, the other
// GELU, …) rather than writing something that loads and computes another
// function. The tests compare logits with PyTorch modules written in the
// layouts of Hugging Face and nanoGPT (testdata/torch_reference.py).
package interop
