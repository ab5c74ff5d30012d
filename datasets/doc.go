// Package datasets is everything between a user's text files and a model's
// integer batches: tokenizers, corpora, batchers, synthetic tasks and
// pretrained word vectors.
//
// # Tokenizers
//
// Three tokenizers share the Tokenizer interface (Encode, Decode, VocabSize,
// Tokens, Save): CharTokenizer (one id per Unicode code point, so Chinese
// works), WordTokenizer (words, punctuation and whitespace runs, with a
// frequency cutoff) and BPETokenizer (byte-pair encoding over runes, Sennrich
// et al. 2016, "Neural Machine Translation of Rare Words with Subword Units",
// trained by TrainBPE). All of them reserve the same four ids: PadID (0),
// BOSID (1), EOSID (2) and UnkID (3). Decode(Encode(x)) == x whenever every
// symbol of x is in the vocabulary. Tokenizers are saved as a small JSON file
// (SaveTokenizer, LoadTokenizer) and are safe for concurrent use.
//
// # Corpora
//
// OpenCorpus takes a UTF-8 file or a folder of files; Corpus.Encode streams
// them through a tokenizer in blocks, so the heap holds the token ids and a
// block, never the whole file. DefaultCorpus is the public-domain Opticks text
// shipped with every Go toolchain ($(go env GOROOT)/src/testdata). SplitIDs
// and SplitPairs give deterministic train/validation splits.
//
// # Batches
//
// LMBatcher cuts token ids into language-model batches (LMBatch: Inputs and
// Targets, tensor.Int [B,T]), either as random windows or as B contiguous
// streams for stateful RNNs. Seq2SeqBatcher turns (source, target) pairs,
// e.g. from a TSV file read by ReadPairs, into padded batches with masks
// (Seq2SeqBatch). Both draw every random choice from a seeded generator and
// expose a serialisable BatcherState, so a run can be resumed at an exact
// batch.
//
// # Synthetic tasks and word vectors
//
// TaskConfig.Generate makes copy, reverse, sort, delayed-copy and addition
// pairs for tests and demos. ReadVectors reads word2vec (text or binary) and
// GloVe files; Vectors.EmbeddingMatrix maps them onto a vocabulary as the
// row-major [V,D] []float64 that layers.Embedding.SetWeights loads.
//
// Every reader treats its file as untrusted: bad input is an error naming the
// file and line, never a panic, a hang, or an allocation out of proportion to
// the file.
package datasets
