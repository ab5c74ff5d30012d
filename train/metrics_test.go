package train

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func trainRecords(from, to int) []Record {
	var out []Record
	for s := from; s <= to; s++ {
		out = append(out, Record{Step: s, Split: Train, Loss: 3 / float64(s), LR: 1e-3, TokensPerSec: 1000, Elapsed: float64(s) / 10})
		if s%5 == 0 {
			out = append(out, Record{Step: s, Split: Val, Loss: 4 / float64(s), Elapsed: float64(s) / 10})
		}
	}
	return out
}

func writeRecords(t *testing.T, w *MetricsWriter, records []Record) {
	t.Helper()
	for _, r := range records {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
}

// sameRecords compares records, treating NaN losses as equal.
func sameRecords(a, b []Record) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if math.IsNaN(x.Loss) && math.IsNaN(y.Loss) {
			x.Loss, y.Loss = 0, 0
		}
		if x != y {
			return false
		}
	}
	return true
}

func TestMetricsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	w, err := CreateMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	records := append(trainRecords(1, 5),
		Record{Step: 6, Split: Train, Loss: math.NaN(), LR: 1e-3},
		Record{Step: 7, Split: Train, Loss: math.Inf(1)},
		Record{Step: 8, Split: Train, Loss: math.Inf(-1)})
	writeRecords(t, w, records)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMetricsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !sameRecords(got, records) {
		t.Errorf("read %v, wrote %v", got, records)
	}
	data, _ := os.ReadFile(path)
	lines := strings.Split(string(data), "\n")
	if want := `{"step":1,"split":"train","loss":3,"lr":0.001,"tokens_per_sec":1000,"elapsed":0.1}`; lines[0] != want {
		t.Errorf("first line %s, want %s", lines[0], want)
	}
	if !strings.Contains(lines[len(lines)-4], `"loss":"NaN"`) {
		t.Errorf("NaN line %s", lines[len(lines)-4])
	}
	// CreateMetrics starts over.
	w, err = CreateMetrics(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if got, err := ReadMetricsFile(path); err != nil || len(got) != 0 {
		t.Errorf("after CreateMetrics: %v, %v", got, err)
	}
}

func TestResumeMetrics(t *testing.T) {
	full := trainRecords(1, 10)
	keptTo6 := trainRecords(1, 6)
	tests := []struct {
		name   string
		before string // file contents; "-" for no file
		step   int
		want   []Record // records before the appended one
	}{
		{"drop later steps", encode(full), 6, keptTo6},
		{"keep everything", encode(full), 10, full},
		{"keep nothing", encode(full), 0, nil},
		{"missing file", "-", 3, nil},
		{"torn last line", encode(keptTo6) + `{"step":7,"spl`, 100, keptTo6},
		{"missing final newline", strings.TrimSuffix(encode(keptTo6), "\n"), 100, keptTo6},
		{"blank lines", "\n" + encode(keptTo6) + "\n\n", 100, keptTo6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.jsonl")
			if tc.before != "-" {
				if err := os.WriteFile(path, []byte(tc.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			w, err := ResumeMetrics(path, tc.step)
			if err != nil {
				t.Fatal(err)
			}
			next := Record{Step: tc.step + 1, Split: Train, Loss: 0.5}
			writeRecords(t, w, []Record{next})
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := ReadMetricsFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := append(append([]Record(nil), tc.want...), next); !sameRecords(got, want) {
				t.Errorf("read\n%v\nwant\n%v", got, want)
			}
		})
	}
}

func encode(records []Record) string {
	var b strings.Builder
	for _, r := range records {
		j, _ := r.MarshalJSON()
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestMetricsErrors(t *testing.T) {
	good := encode(trainRecords(1, 3))
	tests := []struct {
		name, contents, want string
	}{
		{"bad line", good + "not json\n" + good, "line 4: invalid character"},
		{"unknown field", `{"step":1,"split":"train","loss":1,"extra":2}` + "\n", `line 1: json: unknown field "extra"`},
		{"bad number", `{"step":1,"split":"train","loss":"fast"}` + "\n", `line 1: "fast" is not a number`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.jsonl")
			if err := os.WriteFile(path, []byte(tc.contents), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadMetricsFile(path); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("ReadMetricsFile err = %v, want %q and the path", err, tc.want)
			}
			if _, err := ResumeMetrics(path, 100); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ResumeMetrics err = %v, want %q", err, tc.want)
			}
			if after, _ := os.ReadFile(path); string(after) != tc.contents {
				t.Error("a failed resume changed the file")
			}
		})
	}
	if _, err := ReadMetricsFile(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("no error for a missing file")
	}
}

// Example shows the metrics file of a run that stops after step 3, is
// resumed from a checkpoint of step 2, and goes on.
func Example() {
	dir, _ := os.MkdirTemp("", "runlog")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "metrics.jsonl")

	w, _ := CreateMetrics(path)
	for step := 1; step <= 3; step++ {
		w.Write(Record{Step: step, Split: Train, Loss: 4 - float64(step)})
	}
	w.Close()

	w, _ = ResumeMetrics(path, 2) // the record of step 3 is dropped
	w.Write(Record{Step: 3, Split: Train, Loss: 1.5})
	w.Write(Record{Step: 3, Split: Val, Loss: 1.75})
	w.Close()

	records, err := ReadMetricsFile(path)
	fmt.Println(err)
	for _, r := range records {
		fmt.Println(r.Step, r.Split, r.Loss)
	}
	// Output:
	// <nil>
	// 1 train 3
	// 2 train 2
	// 3 train 1.5
	// 3 val 1.75
}

func TestRecordJSONIsStable(t *testing.T) {
	r := Record{Step: 3, Split: Val, Loss: 1.25, LR: 2e-4, TokensPerSec: 12.5, Elapsed: 7}
	j, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := back.UnmarshalJSON(j); err != nil || !reflect.DeepEqual(back, r) {
		t.Errorf("%s decoded to %+v (%v)", j, back, err)
	}
}
