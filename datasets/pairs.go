package datasets

import (
	"bufio"
	"context"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/internal/inputfile"
)

// Pair is one example of a sequence-to-sequence task: a source text and the
// target text it maps to.
type Pair struct {
	Source, Target string
}

// maxPairLine bounds the length of a line of a pairs file.
const maxPairLine = 1 << 20

// MaxPairsFileBytes is the largest pairs file ReadPairs reads (the pairs are
// held in memory).
const MaxPairsFileBytes = 1 << 30

// ReadPairs reads a TSV file of pairs, one "source<TAB>target" per line
// (see DecodePairs). The path must name a regular file of at most
// MaxPairsFileBytes.
func ReadPairs(path string) ([]Pair, error) {
	f, err := inputfile.Open(context.Background(), path, MaxPairsFileBytes)
	if err != nil {
		return nil, errors.Wrap(err, "datasets: reading pairs")
	}
	defer f.Close()
	return DecodePairs(f, path)
}

// DecodePairs reads pairs, one "source<TAB>target" per line, UTF-8, with
// "\n" or "\r\n" line ends; blank lines are skipped and a leading byte-order
// mark is ignored. A line without exactly one tab, invalid UTF-8, a NUL byte
// (a binary file), a line longer than 1 MiB and a file without pairs are
// errors naming name (a file name) and the line.
func DecodePairs(r io.Reader, name string) ([]Pair, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxPairLine)
	var pairs []Pair
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		if text == "" {
			continue
		}
		if !utf8.ValidString(text) {
			return nil, lineError(name, line, "invalid UTF-8")
		}
		if strings.IndexByte(text, 0) >= 0 {
			return nil, lineError(name, line, "NUL byte: looks like a binary file; pairs are UTF-8 source<TAB>target lines")
		}
		switch tabs := strings.Count(text, "\t"); tabs {
		case 1:
		case 0:
			return nil, lineError(name, line, "no tab: want source<TAB>target, got %q", clip(text))
		default:
			return nil, lineError(name, line, "%d tabs: want exactly one, source<TAB>target", tabs)
		}
		src, tgt, _ := strings.Cut(text, "\t")
		pairs = append(pairs, Pair{Source: src, Target: tgt})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, lineError(name, line+1, "line longer than %d bytes", maxPairLine)
		}
		return nil, errors.Wrapf(err, "datasets: reading %s", name)
	}
	if len(pairs) == 0 {
		return nil, fileError(name, "no pairs")
	}
	return pairs, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
