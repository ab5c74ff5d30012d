package transformer

import "github.com/gorgonet/gorgonet/models/sampling"

// Sampling says how LM.Generate picks each next token from the model's
// logits (temperature, top-k, top-p, seed); the zero value is greedy
// decoding. It is package sampling's type, shared with the recurrent LM.
type Sampling = sampling.Sampling
