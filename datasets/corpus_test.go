package datasets

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gorgonet/gorgonet/internal/prereq"
)

// writeFile writes content to name under dir and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// withBlock sets the streaming block size for one test.
func withBlock(t testing.TB, n int) {
	old := streamBlock
	streamBlock = n
	t.Cleanup(func() { streamBlock = old })
}

func TestCorpusFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "b.txt", "second file\n")
	writeFile(t, dir, "a.txt", "first file\n")
	writeFile(t, dir, "sub/c.txt", "third, 中文\n")
	writeFile(t, dir, ".hidden", "skipped\n")
	writeFile(t, dir, ".git/x.txt", "skipped\n")
	c, err := OpenCorpus(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := "first file\nsecond file\nthird, 中文\n"
	if text, err := c.Text(0); err != nil || text != want {
		t.Fatalf("Text = %q, %v; want %q", text, err, want)
	}
	if c.Size() != int64(len(want)) || len(c.Files) != 3 {
		t.Errorf("size %d, files %q", c.Size(), c.Files)
	}
	// A limit cutting into "文" keeps whole runes only.
	if text, _ := c.Text(int64(len(want) - 2)); text != "first file\nsecond file\nthird, 中" {
		t.Errorf("Text(limit) = %q", text)
	}
	tok := NewCharTokenizer(want)
	ids, err := c.Encode(tok)
	if err != nil {
		t.Fatal(err)
	}
	if back, _ := tok.Decode(ids); back != want {
		t.Errorf("Encode then Decode = %q", back)
	}
}

// TestStreamingEqualsWhole: encoding a file in small blocks gives exactly the
// ids of encoding it whole, for every tokenizer and block size, even when a
// block ends inside a rune, a word or a run of spaces.
func TestStreamingEqualsWhole(t *testing.T) {
	text := strings.Repeat(mixedScripts+"   spaced   out \n\n\n", 3) + strings.Repeat("x", 150) + " end"
	path := writeFile(t, t.TempDir(), "mixed.txt", text)
	c, err := OpenCorpus(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range buildAll(t, text[:len(text)/2], 40) {
		whole := tok.Encode(text)
		for _, block := range []int{1, 2, 3, 5, 17, 64, 1 << 20} {
			withBlock(t, block)
			got, err := c.Encode(tok)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, whole) {
				t.Errorf("%s, block %d: streamed ids differ from whole-text ids", tok.Kind(), block)
			}
		}
	}
}

// TestStreamingMemory: a 24 MB file streams with a few MB of live heap.
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 24 MB file")
	}
	line := strings.Repeat("abcdefghij", 6) + " " + strings.Repeat("klmnopqrst", 6) + "\n"
	const size = 24 << 20
	var b strings.Builder
	for b.Len() < size {
		b.WriteString(line)
	}
	path := writeFile(t, t.TempDir(), "big.txt", b.String())
	tok, err := NewWordTokenizer(line, WordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := OpenCorpus(path)
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, peak, tokens := ms.HeapAlloc, uint64(0), 0
	err = c.EncodeTo(tok, func(ids []int) error {
		tokens += len(ids)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc-min(base, ms.HeapAlloc))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d MB file, %d tokens, peak live heap while streaming %.1f MB", size>>20, tokens, float64(peak)/(1<<20))
	if peak > 8<<20 {
		t.Errorf("peak live heap %d bytes while streaming a %d-byte file", peak, size)
	}
}

func TestCorpusErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.txt", "line one\nline two\nbad \xff here\n")
	empty := writeFile(t, dir, "empty.txt", "")
	emptyDir := filepath.Join(dir, "nothing")
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	tok := NewCharTokenizer("abc")
	c, err := OpenCorpus(bad)
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range []int{4, 1 << 20} {
		withBlock(t, block)
		if _, err := c.Encode(tok); err == nil || !strings.Contains(err.Error(), "bad.txt:3: invalid UTF-8") {
			t.Errorf("Encode, block %d: error %v, want bad.txt:3: invalid UTF-8", block, err)
		}
	}
	if _, err := c.Text(0); err == nil || !strings.Contains(err.Error(), "bad.txt:3: invalid UTF-8") {
		t.Errorf("Text: error %v, want bad.txt:3: invalid UTF-8", err)
	}
	for _, p := range []string{empty, emptyDir} {
		if _, err := OpenCorpus(p); err == nil || !strings.Contains(err.Error(), "empty corpus") || !strings.Contains(err.Error(), p) {
			t.Errorf("OpenCorpus(%s): error %v, want empty corpus naming the path", p, err)
		}
	}
	if _, err := OpenCorpus(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing corpus: no error")
	}
	spaces, _ := OpenCorpus(writeFile(t, dir, "spaces.txt", "\n"))
	if _, err := spaces.Encode(NewCharTokenizer("a")); err != nil {
		t.Errorf("a one-newline corpus: %v", err)
	}
}

func TestDefaultCorpus(t *testing.T) {
	c, err := DefaultCorpus()
	if err != nil {
		prereq.Missing(t, "no Go toolchain sources on this machine: %v", err)
	}
	if c.Size() != 567198 {
		t.Errorf("Opticks is %d bytes, want 567198", c.Size())
	}
	text, err := c.Text(0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "OPTICKS") {
		t.Error("the default corpus is not Newton's Opticks")
	}
	sample, err := c.Text(100 << 10)
	if err != nil || len(sample) > 100<<10 || len(sample) < 100<<10-3 {
		t.Fatalf("100 kB sample of %d bytes, %v", len(sample), err)
	}
	tok, err := TrainBPE(sample, 500)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := c.Encode(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, tok.Encode(text)) {
		t.Error("streamed ids of the corpus differ from encoding its text whole")
	}
	unk := 0
	for _, id := range ids {
		if id == UnkID {
			unk++
		}
	}
	t.Logf("Opticks: %d bytes, %d BPE tokens (500 merges learned on the first 100 kB), %d unknown", len(text), len(ids), unk)
}

func TestSplit(t *testing.T) {
	ids := make([]int, 1000)
	train, val, err := SplitIDs(ids, 0.1)
	if err != nil || len(train) != 900 || len(val) != 100 {
		t.Errorf("SplitIDs: %d/%d, %v", len(train), len(val), err)
	}
	for _, f := range []float64{-0.1, 1, 2} {
		if _, _, err := SplitIDs(ids, f); err == nil {
			t.Errorf("fraction %v: no error", f)
		}
	}
	pairs, _ := TaskConfig{Task: TaskCopy, MinLen: 1, MaxLen: 8}.Generate(200, 1)
	tr1, va1, _ := SplitPairs(pairs, 0.25, 7)
	tr2, va2, _ := SplitPairs(pairs, 0.25, 7)
	if len(tr1) != 150 || len(va1) != 50 || !slices.Equal(tr1, tr2) || !slices.Equal(va1, va2) {
		t.Errorf("SplitPairs not deterministic or wrong sizes: %d/%d", len(tr1), len(va1))
	}
	if other, _, _ := SplitPairs(pairs, 0.25, 8); slices.Equal(other, tr1) {
		t.Error("SplitPairs ignores the seed")
	}
}
