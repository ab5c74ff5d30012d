// Package transformer holds the Transformer models of gorgonet, built from
// package layers on a graph.Model:
//
//   - Seq2Seq, the encoder–decoder of Vaswani et al. (2017, "Attention Is All
//     You Need"): N encoder and N decoder layers, token embeddings scaled by
//     √d_model plus sinusoidal positions, optionally shared source/target
//     embeddings and an output projection tied to the target embedding,
//     trained with teacher forcing and padding masks; decoded greedily or by
//     beam search with a length penalty (Wu et al. 2016).
//   - LM, a decoder-only GPT (Radford et al. 2018, 2019; nanoGPT): token plus
//     learned or sinusoidal positions, pre-LN blocks of causal self-attention
//     and feed-forward, a final LayerNorm and an output head optionally tied
//     to the token embedding (Press & Wolf 2017), trained on next-token
//     prediction; sampled greedily or with temperature, top-k and top-p
//     (Holtzman et al. 2020), seeded and reproducible.
//
// A model is created on a graph.Model from a config (LMConfig,
// Seq2SeqConfig) that is validated first. Its Loss method declares the
// model's inputs for one batch shape and returns the scalar loss to compile
// with Model.Compile. Generation compiles forward-only programs over the
// same parameters, in evaluation mode (no dropout), one per batch size, and
// runs them on sequences of up to the model's context length: a request for
// more is an error, not a silent truncation.
//
// Parameter names follow nanoGPT and PyTorch: "tok_emb.weight",
// "pos_emb.weight", "blocks.0.ln1.weight", "blocks.0.attn.q.weight",
// "blocks.0.ff.fc1.weight", "ln_f.weight", "head.weight" for the LM;
// "src_emb.weight", "encoder.layers.0.attn.q.weight",
// "decoder.layers.0.cross.k.weight", "head.weight" for Seq2Seq.
package transformer
