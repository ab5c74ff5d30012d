package datasets

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/gorgonet/gorgonet/internal/shareddata"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// hamlet reads the reference word2vec vectors, skipping without them.
func hamlet(t *testing.T) *Vectors {
	t.Helper()
	v, err := ReadVectors(shareddata.Path(t, "word2vec-hamlet-200d.txt"), Word2VecText)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestHamletVectors(t *testing.T) {
	v := hamlet(t)
	if v.Len() != 2631 || v.Dim != 200 || len(v.Values) != 2631*200 {
		t.Fatalf("%d × %d vectors (%d values), want 2631 × 200", v.Len(), v.Dim, len(v.Values))
	}
	if v.Words[0] != "</s>" || v.Values[0] != 0.002001 {
		t.Errorf("first row %q %v, want </s> 0.002001", v.Words[0], v.Values[0])
	}
	// Nearest agrees with a brute-force cosine computed here.
	for _, word := range []string{"king", "Hamlet", "the"} {
		q, ok := v.Vector(word)
		if !ok {
			t.Fatalf("%q missing", word)
		}
		got, err := v.Nearest(word, 5)
		if err != nil {
			t.Fatal(err)
		}
		type scored struct {
			w string
			c float64
		}
		var all []scored
		for i, w := range v.Words {
			if w == word {
				continue
			}
			r := v.Values[i*v.Dim : (i+1)*v.Dim]
			var dot, nq, nr float64
			for j := range r {
				dot, nq, nr = dot+q[j]*r[j], nq+q[j]*q[j], nr+r[j]*r[j]
			}
			all = append(all, scored{w, dot / math.Sqrt(nq) / math.Sqrt(nr)})
		}
		slices.SortStableFunc(all, func(a, b scored) int {
			switch {
			case a.c > b.c:
				return -1
			case a.c < b.c:
				return 1
			}
			return 0
		})
		if len(got) != 5 {
			t.Fatalf("%d neighbours", len(got))
		}
		for i, n := range got {
			if n.Word != all[i].w || math.Abs(n.Cosine-all[i].c) > 1e-12 {
				t.Errorf("%s: neighbour %d = %v, brute force %v", word, i, n, all[i])
			}
		}
		if c, _ := v.Cosine(word, got[0].Word); math.Abs(c-got[0].Cosine) > 1e-15 {
			t.Errorf("Cosine %v != Nearest's %v", c, got[0].Cosine)
		}
		t.Logf("nearest to %q: %v", word, got)
	}
	if _, err := v.Nearest("no-such-word", 3); err == nil {
		t.Error("Nearest of a missing word: no error")
	}
}

// TestWord2VecBinary writes a binary file by hand (independently of
// Vectors.Write) and reads it back.
func TestWord2VecBinary(t *testing.T) {
	var buf bytes.Buffer
	words := []string{"hello", "世界", "x"}
	vals := []float32{0.5, -1.25, 3e-8, 1, 2, 3, 0, -0, 1e30}
	fmt.Fprintf(&buf, "%d %d\n", len(words), 3)
	for i, w := range words {
		buf.WriteString(w + " ")
		for _, x := range vals[i*3 : i*3+3] {
			binary.Write(&buf, binary.LittleEndian, x)
		}
		if i != 1 { // word2vec's newline after a row is optional
			buf.WriteByte('\n')
		}
	}
	path := filepath.Join(t.TempDir(), "hand.bin")
	writeFile(t, filepath.Dir(path), "hand.bin", buf.String())
	v, err := ReadVectors(path, Word2VecBinary)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.Words, words) || v.Dim != 3 {
		t.Fatalf("words %q dim %d", v.Words, v.Dim)
	}
	for i, x := range vals {
		if v.Values[i] != float64(x) {
			t.Errorf("value %d = %v, want %v", i, v.Values[i], x)
		}
	}
}

// TestVectorFormatsRoundTrip writes the Hamlet vectors in every format and
// reads them back.
func TestVectorFormatsRoundTrip(t *testing.T) {
	h := hamlet(t)
	dir := t.TempDir()
	for _, format := range []VectorFormat{Word2VecBinary, Word2VecText, GloVeText} {
		p := filepath.Join(dir, fmt.Sprint(int(format)))
		if err := h.WriteFile(p, format); err != nil {
			t.Fatal(err)
		}
		back, err := ReadVectors(p, format)
		if err != nil {
			t.Fatalf("%v: %v", format, err)
		}
		if !slices.Equal(back.Words, h.Words) || back.Dim != h.Dim {
			t.Fatalf("%v: words or dimension differ", format)
		}
		for i, x := range h.Values {
			want := x
			if format == Word2VecBinary {
				want = float64(float32(x))
			}
			if back.Values[i] != want {
				t.Fatalf("%v: value %d = %v, want %v", format, i, back.Values[i], want)
			}
		}
	}
}

func TestVectorErrors(t *testing.T) {
	bin := func(header string, rows ...string) string { return header + strings.Join(rows, "") }
	f32 := func(xs ...float32) string {
		var b bytes.Buffer
		binary.Write(&b, binary.LittleEndian, xs)
		return b.String()
	}
	tests := []struct {
		name, file string
		format     VectorFormat
		want       string
	}{
		{"wrong dimension", "3 2\na 1 2\nb 1 2 3\nc 1 2\n", Word2VecText, "v.txt:3: row for \"b\" has 3 values, want 2"},
		{"short row", "2 2\na 1 2\nb 1\n", Word2VecText, "v.txt:3: row for \"b\" has 1 values, want 2"},
		{"glove dimension", "a 1 2\nb 1 2\nc 1\n", GloVeText, "v.txt:3: row for \"c\" has 1 values, want 2"},
		{"not a number", "1 2\na 1 x\n", Word2VecText, "v.txt:2: value 2 of \"a\" is \"x\""},
		{"nan", "1 2\na 1 NaN\n", Word2VecText, "not a finite number"},
		{"invalid utf8", "1 2\na\xff 1 2\n", Word2VecText, "v.txt:2: invalid UTF-8"},
		{"no header", "a 1 2\n", Word2VecText, "v.txt:1: not a word2vec header"},
		{"huge header", "1000000000000 300\na 1\n", Word2VecText, "v.txt:1: header declares 1000000000000 rows"},
		{"huge dim", "1 100000000\n", Word2VecText, "v.txt:1: header declares 1 rows of dimension 100000000"},
		{"fewer rows", "3 1\na 1\nb 2\n", Word2VecText, "file ends after 2 rows; the header declares 3"},
		{"more rows", "1 1\na 1\nb 2\n", Word2VecText, "v.txt:3: more rows than the 1"},
		{"empty", "", GloVeText, "no vectors"},
		{"glove no values", "word\n", GloVeText, "v.txt:1: first row has 0 values"},
		{"binary huge header", "1000000000000 300\nxx", Word2VecBinary, "header declares 1000000000000 rows"},
		{"binary truncated", bin("2 2\n", "a "+f32(1, 2)+"\n", "b "+f32(1)), Word2VecBinary, "v.txt: row 2 at byte"},
		{"binary nan", bin("1 2\n", "a "+f32(1, float32(math.NaN()))), Word2VecBinary, "value 2 of \"a\" is not finite"},
		{"binary utf8", bin("1 1\n", "\xff "+f32(1)), Word2VecBinary, "not valid UTF-8"},
		{"binary trailing", bin("1 1\n", "a "+f32(1)+"\nzzzz"), Word2VecBinary, "data after the 1 rows"},
		{"binary no header", "", Word2VecBinary, "v.txt:1: file ends in the header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeVectors(strings.NewReader(tc.file), "v.txt", int64(len(tc.file)), tc.format)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	// A header claiming 10^12 rows fails before allocating, even when the
	// size of the input is unknown.
	for _, size := range []int64{-1, 40} {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		_, err := DecodeVectors(strings.NewReader("1000000000000 300\nword 1 2 3\n"), "huge.txt", size, Word2VecText)
		runtime.ReadMemStats(&ms)
		if err == nil || ms.TotalAlloc-before > 1<<20 {
			t.Errorf("size %d: error %v after allocating %d bytes", size, err, ms.TotalAlloc-before)
		}
	}
	// A header whose claim the file's size allows (a million rows of one
	// value fit in 4 MB of "w 1\n") reserves nothing for rows never read.
	for _, format := range []VectorFormat{Word2VecText, Word2VecBinary} {
		file := "1000000 1\n" + strings.Repeat("\n", 4_000_000)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		_, err := DecodeVectors(strings.NewReader(file), "claims.txt", int64(len(file)), format)
		runtime.ReadMemStats(&ms)
		if err == nil || ms.TotalAlloc-before > 4<<20 {
			t.Errorf("%v: error %v after allocating %d bytes for a %d-byte file", format, err, ms.TotalAlloc-before, len(file))
		}
	}
	if _, err := ReadVectors(filepath.Join(t.TempDir(), "missing"), GloVeText); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := ReadVectors("/dev/zero", Word2VecBinary); err == nil || !strings.Contains(err.Error(), "/dev/zero is a character device, not a regular file") {
		t.Errorf("ReadVectors(/dev/zero): %v, want a not-a-regular-file error", err)
	}
	if _, err := DecodeVectors(strings.NewReader("1 1\na 1\n"), "v", -1, VectorFormat(9)); err == nil {
		t.Error("unknown format: no error")
	}
	bad, _ := NewVectors([]string{"two words"}, 1, []float64{1})
	if err := bad.Write(&bytes.Buffer{}, GloVeText); err == nil {
		t.Error("writing a word with a space: no error")
	}
}

func TestEmbeddingMatrix(t *testing.T) {
	v, err := NewVectors([]string{"the", "cat", "Dog", "<unk>"}, 2, []float64{1, 2, 3, 4, 5, 6, 7, 8})
	if err != nil {
		t.Fatal(err)
	}
	tokens := append(specialTokens[:], "cat", "the", "dog", "bird")
	m, cov, err := v.EmbeddingMatrix(tokens, EmbeddingOptions{OOV: OOVZero})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 0, 0, 0, 0, 0, 7, 8, 3, 4, 1, 2, 0, 0, 0, 0}
	if !slices.Equal(m, want) {
		t.Errorf("matrix %v, want %v", m, want)
	}
	if cov.Tokens != 4 || cov.Found != 2 || !slices.Equal(cov.Missing, []string{"dog", "bird"}) || cov.Fraction() != 0.5 {
		t.Errorf("coverage %+v", cov)
	}
	if cov.String() != "2 of 4 tokens (50.0%) have pretrained vectors" {
		t.Errorf("coverage %q", cov)
	}
	// Lowercase fallback finds nothing for "dog" (the table has "Dog"), but
	// finds "the" for "The".
	_, cov, _ = v.EmbeddingMatrix(append(specialTokens[:], "The"), EmbeddingOptions{FoldCase: true})
	if cov.Found != 1 {
		t.Errorf("FoldCase: %+v", cov)
	}
	r1, _, _ := v.EmbeddingMatrix(tokens, EmbeddingOptions{OOV: OOVRandom, Seed: 1})
	r2, _, _ := v.EmbeddingMatrix(tokens, EmbeddingOptions{OOV: OOVRandom, Seed: 1})
	if !slices.Equal(r1, r2) || r1[0] != 0 || r1[1] != 0 || r1[4*2+0] != 3 || r1[6*2] == 0 || r1[7*2+1] == 0 {
		t.Errorf("random OOV rows: %v", r1)
	}
	for name, opts := range map[string]EmbeddingOptions{"std": {Std: -1}, "nan std": {Std: math.NaN()}, "oov": {OOV: 5}} {
		if _, _, err := v.EmbeddingMatrix(tokens, opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := NewVectors([]string{"a"}, 2, []float64{1}); err == nil {
		t.Error("NewVectors of the wrong size: no error")
	}
}

// TestHamletCoverage maps the Hamlet vectors onto a word vocabulary built
// from a few lines of the play.
func TestHamletCoverage(t *testing.T) {
	v := hamlet(t)
	tok, err := NewWordTokenizer("to be or not to be that is the question xyzzy in the mind to suffer", WordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, cov, err := v.EmbeddingMatrix(tok.Tokens(), EmbeddingOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != tok.VocabSize()*v.Dim {
		t.Fatalf("matrix of %d values for %d × %d", len(m), tok.VocabSize(), v.Dim)
	}
	// " " and " xyzzy" have no vector; everything else ("to", " be", …)
	// is in Hamlet, found without its leading space.
	if !slices.Equal(cov.Missing, []string{" ", " xyzzy"}) {
		t.Errorf("missing %q", cov.Missing)
	}
	t.Log(cov)
}
