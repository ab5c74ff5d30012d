// Package safetensors reads and writes the safetensors format
// (https://github.com/huggingface/safetensors), the tensor file format of
// Hugging Face and PyTorch checkpoints, for gorgonia.org/tensor values. It
// depends on nothing else of gorgonet, so any Go program can use it.
//
// A file is an 8-byte little-endian header length N, a JSON header of N
// bytes mapping each tensor name to its dtype, shape and byte range
// (data_offsets, relative to the data section), with an optional
// "__metadata__" object of strings, then the data section: every tensor's
// elements, little endian and row-major.
//
// Read treats a file as untrusted: it caps the header at MaxHeaderSize,
// checks every entry (dtype, shape, dtype size × elements = byte length,
// offsets inside the file, tiling the data section without overlap or gap,
// unique names) before it allocates any tensor, and names the offending
// tensor in its errors. Write produces byte-identical files for equal inputs.
package safetensors
