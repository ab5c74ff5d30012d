package datasets

import (
	"encoding/json"
	"github.com/gorgonet/gorgonet/internal/shareddata"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// checkBatch checks the layout documented on Seq2SeqBatch against the pairs
// the batch says it holds.
func checkBatch(t *testing.T, b *Seq2SeqBatcher, batch Seq2SeqBatch, src, tgt Tokenizer) {
	t.Helper()
	R, S := batch.Source.Shape()[0], batch.Source.Shape()[1]
	T := batch.Target.Shape()[1]
	if !batch.DecoderInput.Shape().Eq([]int{R, T}) || len(batch.SourceMask) != R*S || len(batch.TargetMask) != R*T || len(batch.Indices) != R {
		t.Fatalf("inconsistent shapes: source %v, decoder %v, target %v, masks %d %d",
			batch.Source.Shape(), batch.DecoderInput.Shape(), batch.Target.Shape(), len(batch.SourceMask), len(batch.TargetMask))
	}
	s, d, y := batch.Source.Ints(), batch.DecoderInput.Ints(), batch.Target.Ints()
	for r, i := range batch.Indices {
		p := b.Pair(i)
		srcIDs, tgtIDs := src.Encode(p.Source), tgt.Encode(p.Target)
		srcIDs, tgtIDs = srcIDs[:min(len(srcIDs), S)], tgtIDs[:min(len(tgtIDs), T-1)]
		wantSrc := append(slices.Clone(srcIDs), make([]int, S-len(srcIDs))...)
		wantDec := append(append([]int{BOSID}, tgtIDs...), make([]int, T-1-len(tgtIDs))...)
		wantTgt := append(append(slices.Clone(tgtIDs), EOSID), make([]int, T-1-len(tgtIDs))...)
		if !slices.Equal(s[r*S:(r+1)*S], wantSrc) || !slices.Equal(d[r*T:(r+1)*T], wantDec) || !slices.Equal(y[r*T:(r+1)*T], wantTgt) {
			t.Fatalf("row %d (pair %d %q): source %v decoder %v target %v", r, i, p, s[r*S:(r+1)*S], d[r*T:(r+1)*T], y[r*T:(r+1)*T])
		}
		if batch.SourceLens[r] != len(srcIDs) || batch.TargetLens[r] != len(tgtIDs)+1 {
			t.Fatalf("row %d: lengths %d %d", r, batch.SourceLens[r], batch.TargetLens[r])
		}
		for j := 0; j < S; j++ {
			if (batch.SourceMask[r*S+j] == 1) != (j < len(srcIDs)) || (batch.SourceMask[r*S+j] != 0 && batch.SourceMask[r*S+j] != 1) {
				t.Fatalf("row %d: source mask %v for %d tokens", r, batch.SourceMask[r*S:(r+1)*S], len(srcIDs))
			}
		}
		for j := 0; j < T; j++ {
			if (batch.TargetMask[r*T+j] == 1) != (j <= len(tgtIDs)) || (batch.TargetMask[r*T+j] == 1) != (y[r*T+j] != PadID) {
				t.Fatalf("row %d: target mask %v for target %v", r, batch.TargetMask[r*T:(r+1)*T], y[r*T:(r+1)*T])
			}
		}
	}
}

func TestKJVPairs(t *testing.T) {
	pairs, err := ReadPairs(shareddata.Path(t, "kjv-rv1909.en-es.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 31084 {
		t.Fatalf("%d pairs, want 31,084", len(pairs))
	}
	if !strings.HasPrefix(pairs[0].Source, "In the beginning God created") || !strings.HasPrefix(pairs[0].Target, "EN el principio") {
		t.Errorf("first pair %q", pairs[0])
	}
	var en, es strings.Builder
	for _, p := range pairs[:5000] {
		en.WriteString(p.Source + "\n")
		es.WriteString(p.Target + "\n")
	}
	srcTok, err := NewWordTokenizer(en.String(), WordOptions{MinFreq: 2})
	if err != nil {
		t.Fatal(err)
	}
	tgtTok, err := NewWordTokenizer(es.String(), WordOptions{MinFreq: 2})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Seq2SeqConfig{BatchSize: 32, MaxSourceLen: 40, MaxTargetLen: 40, Shuffle: true, Bucket: true, Seed: 1}
	b, err := NewSeq2SeqBatcher(pairs, srcTok, tgtTok, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len()+b.Dropped() != len(pairs) || b.Len() == 0 || b.Dropped() == 0 {
		t.Fatalf("kept %d, dropped %d of %d", b.Len(), b.Dropped(), len(pairs))
	}
	padded, real := 0, 0
	for k := 0; k < 20; k++ {
		batch := b.Next()
		checkBatch(t, b, batch, srcTok, tgtTok)
		for _, m := range batch.SourceMask {
			padded++
			real += int(m)
		}
	}
	t.Logf("kept %d pairs (≤ 40 tokens each side), dropped %d; bucketed source padding %.1f%%",
		b.Len(), b.Dropped(), 100*float64(padded-real)/float64(padded))
}

func TestSeq2SeqOptions(t *testing.T) {
	pairs, _ := TaskConfig{Task: TaskReverse, MinLen: 1, MaxLen: 12}.Generate(103, 5)
	tok := NewCharTokenizer(TaskConfig{Task: TaskReverse}.Alphabet())
	tests := []struct {
		name          string
		cfg           Seq2SeqConfig
		rows, batches int
		S, T          int // fixed shapes, 0 when they vary
	}{
		{"plain", Seq2SeqConfig{BatchSize: 10}, 10, 10, 0, 0},
		{"keep last", Seq2SeqConfig{BatchSize: 10, KeepLast: true}, 10, 11, 0, 0},
		{"fixed shape", Seq2SeqConfig{BatchSize: 8, MaxSourceLen: 12, MaxTargetLen: 12, FixedShape: true}, 8, 12, 12, 13},
		{"truncate", Seq2SeqConfig{BatchSize: 8, MaxSourceLen: 5, MaxTargetLen: 4, Truncate: true, FixedShape: true}, 8, 12, 5, 5},
		{"bucket shuffle", Seq2SeqConfig{BatchSize: 5, Shuffle: true, Bucket: true, BucketPool: 4, Seed: 9}, 5, 20, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := NewSeq2SeqBatcher(pairs, tok, tok, tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if b.BatchesPerEpoch() != tc.batches {
				t.Errorf("%d batches per epoch, want %d", b.BatchesPerEpoch(), tc.batches)
			}
			seen := map[int]int{}
			for k := 0; k < b.BatchesPerEpoch(); k++ {
				batch := b.Next()
				checkBatch(t, b, batch, tok, tok)
				R := batch.Source.Shape()[0]
				if R != tc.rows && !(tc.cfg.KeepLast && k == b.BatchesPerEpoch()-1) {
					t.Errorf("batch %d has %d rows", k, R)
				}
				if tc.S > 0 && (batch.Source.Shape()[1] != tc.S || batch.Target.Shape()[1] != tc.T) {
					t.Errorf("batch %d: shapes %v %v, want S=%d T=%d", k, batch.Source.Shape(), batch.Target.Shape(), tc.S, tc.T)
				}
				for _, i := range batch.Indices {
					seen[i]++
				}
			}
			if want := min(b.Len(), tc.batches*tc.rows); len(seen) != want {
				t.Errorf("an epoch covers %d distinct pairs, want %d", len(seen), want)
			}
		})
	}
	if b, _ := NewSeq2SeqBatcher(pairs, tok, tok, Seq2SeqConfig{BatchSize: 4, MaxSourceLen: 5}); b.Dropped() == 0 || b.Len()+b.Dropped() != len(pairs) {
		t.Errorf("length limit: kept %d, dropped %d", b.Len(), b.Dropped())
	}
}

func TestSeq2SeqMaskTensors(t *testing.T) {
	pairs := []Pair{{"abc", "xy"}, {"a", ""}}
	tok := NewCharTokenizer("abcxy")
	b, err := NewSeq2SeqBatcher(pairs, tok, tok, Seq2SeqConfig{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	batch := b.Next()
	id := func(s string) int { return tok.Encode(s)[0] }
	wantSrc := []int{id("a"), id("b"), id("c"), id("a"), PadID, PadID}
	wantDec := []int{BOSID, id("x"), id("y"), BOSID, PadID, PadID}
	wantTgt := []int{id("x"), id("y"), EOSID, EOSID, PadID, PadID}
	if !slices.Equal(batch.Source.Ints(), wantSrc) || !slices.Equal(batch.DecoderInput.Ints(), wantDec) || !slices.Equal(batch.Target.Ints(), wantTgt) {
		t.Fatalf("source %v decoder %v target %v", batch.Source.Ints(), batch.DecoderInput.Ints(), batch.Target.Ints())
	}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		sm, err := batch.SourceMaskTensor(dt)
		if err != nil {
			t.Fatal(err)
		}
		tm, err := batch.TargetMaskTensor(dt)
		if err != nil {
			t.Fatal(err)
		}
		if sm.Dtype() != dt || !sm.Shape().Eq([]int{2, 3}) || !tm.Shape().Eq([]int{2, 3}) {
			t.Errorf("%v: mask tensors %v %v %v", dt, sm.Dtype(), sm.Shape(), tm.Shape())
		}
		on, _ := sm.At(1, 0)
		off, _ := tm.At(1, 1)
		if asFloat(on) != 1 || asFloat(off) != 0 {
			t.Errorf("%v: source mask [1,0] = %v, target mask [1,1] = %v; want 1 and 0", dt, on, off)
		}
	}
	if _, err := MaskTensor([]float64{1, 0}, []int{3}, tensor.Float64); err == nil {
		t.Error("mask of the wrong size: no error")
	}
	if _, err := MaskTensor([]float64{1, 0}, []int{2}, tensor.Int); err == nil {
		t.Error("mask of an integer type: no error")
	}
}

func asFloat(v interface{}) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	}
	return -1
}

func TestSeq2SeqResume(t *testing.T) {
	pairs, _ := TaskConfig{Task: TaskSort, MinLen: 1, MaxLen: 20}.Generate(250, 2)
	tok := NewCharTokenizer(TaskConfig{Task: TaskSort}.Alphabet())
	cfg := Seq2SeqConfig{BatchSize: 16, Shuffle: true, Bucket: true, BucketPool: 3, Seed: 4}
	a, _ := NewSeq2SeqBatcher(pairs, tok, tok, cfg)
	for i := 0; i < 20; i++ { // 15 batches per epoch: into the second epoch
		a.Next()
	}
	saved, _ := json.Marshal(a.State())
	var st BatcherState
	if err := json.Unmarshal(saved, &st); err != nil {
		t.Fatal(err)
	}
	b, _ := NewSeq2SeqBatcher(pairs, tok, tok, cfg)
	if err := b.Restore(st); err != nil {
		t.Fatal(err)
	}
	var epochs [2][]int
	for i := 0; i < 40; i++ {
		x, y := a.Next(), b.Next()
		if !slices.Equal(x.Indices, y.Indices) || x.Epoch != y.Epoch || x.Step != y.Step {
			t.Fatalf("batch %d after resuming differs", i)
		}
		if x.Epoch < 3 {
			epochs[x.Epoch-1] = append(epochs[x.Epoch-1], x.Indices...)
		}
	}
	if slices.Equal(epochs[0], epochs[1]) {
		t.Error("two epochs have the same order despite Shuffle")
	}
	cfg.Seed++
	other, _ := NewSeq2SeqBatcher(pairs, tok, tok, cfg)
	if err := other.Restore(st); err == nil {
		t.Error("restored a state of another configuration")
	}
}

func TestSeq2SeqErrors(t *testing.T) {
	pairs := []Pair{{"ab", "ba"}, {"ba", "ab"}}
	tok := NewCharTokenizer("ab")
	for name, cfg := range map[string]Seq2SeqConfig{
		"zero batch":      {},
		"negative limit":  {BatchSize: 1, MaxSourceLen: -1},
		"fixed no limits": {BatchSize: 1, FixedShape: true},
		"too few pairs":   {BatchSize: 3},
		"all dropped":     {BatchSize: 1, MaxSourceLen: 1, MaxTargetLen: 1},
	} {
		if _, err := NewSeq2SeqBatcher(pairs, tok, tok, cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := NewSeq2SeqBatcher(pairs, nil, tok, Seq2SeqConfig{BatchSize: 1}); err == nil {
		t.Error("nil tokenizer: no error")
	}
}

func TestReadPairsErrors(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"no tab", "a\tb\nc\td\nno tab here\n", "pairs.tsv:3: no tab"},
		{"two tabs", "a\tb\tc\n", "pairs.tsv:1: 2 tabs"},
		{"invalid utf8", "a\tb\n\nx\t\xfe\n", "pairs.tsv:3: invalid UTF-8"},
		{"empty", "\n\n", "pairs.tsv: no pairs"},
		{"too long", "a\t" + strings.Repeat("b", maxPairLine+10) + "\n", "pairs.tsv:1: line longer"},
		{"NUL byte", "a\tb\nc\x00\td\n", "pairs.tsv:2: NUL byte: looks like a binary file"},
	}
	for _, tc := range tests {
		_, err := DecodePairs(strings.NewReader(tc.file), "pairs.tsv")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	got, err := DecodePairs(strings.NewReader("\uFEFFsrc\ttgt\r\n\nα\t\n"), "ok.tsv")
	if err != nil || !slices.Equal(got, []Pair{{"src", "tgt"}, {"α", ""}}) {
		t.Errorf("BOM, CRLF, blank line, empty target: %q, %v", got, err)
	}
	path := writeFile(t, t.TempDir(), "bad.tsv", "one\ttwo\nthree\n")
	if _, err := ReadPairs(path); err == nil || !strings.Contains(err.Error(), path+":2: no tab") {
		t.Errorf("ReadPairs: error %v, want one naming %s:2", err, path)
	}
	if _, err := ReadPairs("/dev/zero"); err == nil || !strings.Contains(err.Error(), "/dev/zero is a character device, not a regular file") {
		t.Errorf("ReadPairs(/dev/zero): %v, want a not-a-regular-file error", err)
	}
}
