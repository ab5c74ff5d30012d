package datasets

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/gorgonet/gorgonet/internal/inputfile"
	"github.com/pkg/errors"
)

// maxGPT2File bounds the size of a vocabulary or merges file that
// ReadGPT2Tokenizer accepts (GPT-2's are 1.0 MB and 0.5 MB).
const maxGPT2File = 64 << 20

// LoadGPT2Tokenizer reads GPT-2's byte-level BPE from its two files: the
// vocabulary, a JSON object of printable token → id (OpenAI's encoder.json,
// Hugging Face's vocab.json), and the merges, one "left right" pair per line
// in rank order after an optional "#version" line (OpenAI's vocab.bpe,
// Hugging Face's merges.txt). Both must be regular files of at most 64 MiB.
func LoadGPT2Tokenizer(vocabPath, mergesPath string) (*GPT2Tokenizer, error) {
	vf, err := inputfile.Open(context.Background(), vocabPath, maxGPT2File)
	if err != nil {
		return nil, errors.Wrap(err, "datasets: loading GPT-2 vocabulary")
	}
	defer vf.Close()
	mf, err := inputfile.Open(context.Background(), mergesPath, maxGPT2File)
	if err != nil {
		return nil, errors.Wrap(err, "datasets: loading GPT-2 merges")
	}
	defer mf.Close()
	return ReadGPT2Tokenizer(vf, vocabPath, mf, mergesPath)
}

// ReadGPT2Tokenizer reads the vocabulary and merges files of
// LoadGPT2Tokenizer from vocab and merges; the names are used in errors. The
// ids must be 0…n−1, every byte must have a token, and every merge must join
// tokens of the vocabulary made before it into a token of the vocabulary.
func ReadGPT2Tokenizer(vocab io.Reader, vocabName string, merges io.Reader, mergesName string) (*GPT2Tokenizer, error) {
	texts, err := readGPT2Vocab(vocab, vocabName)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]int, len(texts))
	for id, t := range texts {
		ids[t] = id
	}
	pairs, err := readGPT2Merges(merges, mergesName, ids)
	if err != nil {
		return nil, err
	}
	t, err := newGPT2Tokenizer(texts, pairs)
	if err != nil {
		return nil, fileError(vocabName+" + "+mergesName, "%v", err)
	}
	return t, nil
}

// readAllBounded reads r whole, refusing more than maxGPT2File bytes.
func readAllBounded(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxGPT2File+1))
	if err != nil {
		return nil, errors.Wrapf(err, "datasets: reading %s", name)
	}
	if len(data) > maxGPT2File {
		return nil, fileError(name, "larger than %d bytes", maxGPT2File)
	}
	return data, nil
}

// readGPT2Vocab reads a JSON object of token → id and returns the tokens in
// id order.
func readGPT2Vocab(r io.Reader, name string) ([]string, error) {
	data, err := readAllBounded(r, name)
	if err != nil {
		return nil, err
	}
	var m map[string]int
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fileError(name, "not a GPT-2 vocabulary (want a JSON object of token → id): %v%s", err, jsonErrorLine(data, err))
	}
	texts := make([]string, len(m))
	for tok, id := range m {
		if id < 0 || id >= len(m) {
			return nil, fileError(name, "token %q has id %d; the %d ids must be 0…%d", tok, id, len(m), len(m)-1)
		}
		if texts[id] != "" {
			return nil, fileError(name, "tokens %q and %q share id %d", texts[id], tok, id)
		}
		if tok == "" {
			return nil, fileError(name, "an empty token (id %d)", id)
		}
		texts[id] = tok
	}
	return texts, nil
}

// readGPT2Merges reads the merges as pairs of ids of the vocabulary ids.
func readGPT2Merges(r io.Reader, name string, ids map[string]int) ([][2]int, error) {
	data, err := readAllBounded(r, name)
	if err != nil {
		return nil, err
	}
	var pairs [][2]int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSuffix(sc.Text(), "\r")
		if s == "" || (line == 1 && strings.HasPrefix(s, "#version")) {
			continue
		}
		f := strings.Split(s, " ")
		if len(f) != 2 || f[0] == "" || f[1] == "" {
			return nil, lineError(name, line, "want a merge \"left right\" (two tokens and one space), got %q", s)
		}
		var p [2]int
		for k, tok := range f {
			id, ok := ids[tok]
			if !ok {
				return nil, lineError(name, line, "merge token %q is not in the vocabulary", tok)
			}
			p[k] = id
		}
		pairs = append(pairs, p)
	}
	if err := sc.Err(); err != nil {
		return nil, errors.Wrapf(err, "datasets: reading %s", name)
	}
	return pairs, nil
}
