package datasets

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorgonet/gorgonet/internal/prereq"
)

// gpt2MixedText is the text of TestGPT2MatchesReferenceEncoder: tiny
// Shakespeare, the Tang poems, the first 256 KiB of the English–Spanish Bible
// pairs, this package's Go source, emoji, every C0 control character and
// DEL, and invalid UTF-8. It leaves out U+0085 and U+FEFF, the two runes
// where JavaScript's \s differs from Unicode's White_Space (GPT-2's Python
// pattern, and this package, follow White_Space).
func gpt2MixedText(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(readShared(t, "tinyshakespeare.txt"))
	b.WriteString(readShared(t, "tang300.txt"))
	pairs := readShared(t, "kjv-rv1909.en-es.tsv")
	pairs = pairs[:strings.LastIndexByte(pairs[:1<<18], '\n')+1]
	b.WriteString(pairs)
	sources, err := filepath.Glob("*.go")
	if err != nil || len(sources) == 0 {
		t.Fatalf("no Go sources (%v)", err)
	}
	for _, name := range sources {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(src)
	}
	b.WriteString("\nEmoji: 🙂👍🏽 👨‍👩‍👧‍👦 🇪🇸🇨🇳 ❤️‍🔥 🧑🏿‍🚀, 2️⃣ #️⃣ 🫠🫡 — it's 🔥's\n")
	for c := 0; c < 0x20; c++ {
		b.WriteString("ctl")
		b.WriteByte(byte(c))
		b.WriteByte(byte(c))
		b.WriteString(" x")
	}
	b.WriteString("\x7f del\n")
	for _, bad := range []string{"\xff", "\xfe\xfe", "\xc3(", "\xe2\x82 ", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\x80\x80\x80"} {
		b.WriteString(" bad" + bad + "bytes 'll" + bad + "\n")
	}
	b.WriteString("the end\n")
	return b.String()
}

// TestGPT2MatchesReferenceEncoder encodes a large mixed text with this
// package and with npm's gpt-3-encoder@1.1.4 (OpenAI's GPT-2 encoder in
// JavaScript, run by node) and requires the same ids, and Decode(Encode(x))
// == x for the text with its invalid UTF-8 bytes. A JavaScript string cannot
// hold invalid UTF-8: node reads the file as UTF-8, replacing each invalid
// sequence by U+FFFD, and both sides encode that string, which node sends
// back. Skipped without node or the package, except under CI=true.
func TestGPT2MatchesReferenceEncoder(t *testing.T) {
	t.Parallel() // node takes most of the time
	tok := loadGPT2(t)
	node, err := exec.LookPath("node")
	if err != nil {
		prereq.Missing(t, "node is not installed: cannot run the JavaScript reference encoder")
	}
	raw := gpt2MixedText(t)
	begin := time.Now()
	ids := tok.Encode(raw)
	goTime := time.Since(begin)
	back, err := tok.Decode(ids)
	if err != nil || back != raw {
		t.Fatalf("Decode(Encode(x)) != x for the raw text of %d bytes (%v)", len(raw), err)
	}
	if utf8.ValidString(raw) {
		t.Fatal("the test text must hold invalid UTF-8")
	}

	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.json")
	if err := os.WriteFile(in, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("testdata", "gpt3encoder.js"), gpt2Reference(t), in, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Text      string `json:"text"`
		IDs       []int  `json:"ids"`
		RoundTrip bool   `json:"roundtrip"`
		MS        int    `json:"ms"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	if !ref.RoundTrip {
		t.Error("the reference encoder's own decode(encode(x)) != x")
	}
	if n := strings.Count(ref.Text, "\uFFFD"); n < 8 {
		t.Fatalf("node's text holds %d U+FFFD, want one at least for each of the 8 invalid sequences", n)
	}
	got := tok.Encode(ref.Text)
	same := 0
	for same < min(len(got), len(ref.IDs)) && got[same] == ref.IDs[same] {
		same++
	}
	if same != len(got) || len(got) != len(ref.IDs) {
		lo := max(0, same-5)
		t.Fatalf("ids differ from gpt-3-encoder's at position %d of %d/%d: got %v, want %v (text near it: %q)",
			same, len(got), len(ref.IDs), got[lo:min(len(got), same+5)], ref.IDs[lo:min(len(ref.IDs), same+5)],
			decodeOrEmpty(tok, got[lo:min(len(got), same+5)]))
	}
	if back, _ := tok.Decode(got); back != ref.Text {
		t.Error("Decode(Encode(x)) != x for node's text")
	}
	t.Logf("%d bytes (%d as node read them): %d ids identical to gpt-3-encoder's; encoding took %v here, %d ms in node",
		len(raw), len(ref.Text), len(got), goTime.Round(time.Millisecond), ref.MS)
}

// decodeOrEmpty decodes ids, or returns "" for an invalid id.
func decodeOrEmpty(tok Tokenizer, ids []int) string {
	s, _ := tok.Decode(ids)
	return s
}
