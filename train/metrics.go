package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/pkg/errors"
)

// Split names of Record.
const (
	Train = "train"
	Val   = "val"
)

// Record is one line of a metrics file: the loss of a training step or of a
// validation pass, with the learning rate, throughput and wall time.
// Non-finite numbers (a diverged loss) are written as the JSON strings
// "NaN", "+Inf" and "-Inf", since JSON has no number for them.
type Record struct {
	Step         int     `json:"step"`
	Split        string  `json:"split"` // Train or Val
	Loss         float64 `json:"loss"`
	LR           float64 `json:"lr"`
	TokensPerSec float64 `json:"tokens_per_sec"`
	Elapsed      float64 `json:"elapsed"` // seconds since the start of the run
}

// jsonRecord is Record's encoding, with non-finite numbers as strings.
type jsonRecord struct {
	Step         int       `json:"step"`
	Split        string    `json:"split"`
	Loss         jsonFloat `json:"loss"`
	LR           jsonFloat `json:"lr"`
	TokensPerSec jsonFloat `json:"tokens_per_sec"`
	Elapsed      jsonFloat `json:"elapsed"`
}

// MarshalJSON encodes r as one JSON object.
func (r Record) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonRecord{r.Step, r.Split, jsonFloat(r.Loss), jsonFloat(r.LR), jsonFloat(r.TokensPerSec), jsonFloat(r.Elapsed)})
}

// UnmarshalJSON decodes what MarshalJSON writes; unknown fields are errors.
func (r *Record) UnmarshalJSON(data []byte) error {
	var j jsonRecord
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	*r = Record{j.Step, j.Split, float64(j.Loss), float64(j.LR), float64(j.TokensPerSec), float64(j.Elapsed)}
	return nil
}

// jsonFloat is a float64 whose non-finite values encode as JSON strings.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	x := float64(f)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return []byte(strconv.Quote(strconv.FormatFloat(x, 'g', -1, 64))), nil
	}
	return json.Marshal(x)
}

func (f *jsonFloat) UnmarshalJSON(data []byte) error {
	var x float64
	if err := json.Unmarshal(data, &x); err == nil {
		*f = jsonFloat(x)
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return errors.Errorf("%s is not a number", data)
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || !(math.IsNaN(x) || math.IsInf(x, 0)) {
		return errors.Errorf("%s is not a number", data)
	}
	*f = jsonFloat(x)
	return nil
}

// MetricsWriter appends Records to a JSONL file, one JSON object per line.
type MetricsWriter struct {
	f    *os.File
	path string
}

// CreateMetrics starts an empty metrics file at path, replacing any.
func CreateMetrics(path string) (*MetricsWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return nil, errors.Wrap(err, "train: creating metrics file")
	}
	return &MetricsWriter{f: f, path: path}, nil
}

// ResumeMetrics reopens the metrics file at path for a run resumed after
// step: it truncates the file before the first record of a later step (the
// records written after the checkpoint the run resumes from) and before a
// torn last line, then appends. A missing file is created. A corrupt line
// before that point is an error naming it, and leaves the file unchanged.
func ResumeMetrics(path string, step int) (*MetricsWriter, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, errors.Wrap(err, "train: opening metrics file")
	}
	keep, err := scanMetrics(f, func(r Record) bool { return r.Step <= step })
	if err == nil {
		err = f.Truncate(keep)
	}
	if err == nil && keep > 0 {
		err = endLine(f, keep)
	}
	if err != nil {
		f.Close()
		return nil, errors.Wrapf(err, "train: resuming %s", path)
	}
	return &MetricsWriter{f: f, path: path}, nil
}

// endLine appends a newline to f, of size bytes, unless it ends with one
// (a complete last record whose newline was cut off).
func endLine(f *os.File, size int64) error {
	var last [1]byte
	if _, err := f.ReadAt(last[:], size-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	_, err := f.Write([]byte{'\n'})
	return err
}

// Write appends r as one line.
func (w *MetricsWriter) Write(r Record) error {
	b, err := json.Marshal(r)
	if err == nil {
		_, err = w.f.Write(append(b, '\n'))
	}
	return errors.Wrapf(err, "train: writing %s", w.path)
}

// Sync commits the records written so far to disk, e.g. before saving a
// checkpoint.
func (w *MetricsWriter) Sync() error {
	return errors.Wrapf(w.f.Sync(), "train: syncing %s", w.path)
}

// Close syncs and closes the file.
func (w *MetricsWriter) Close() error {
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return errors.Wrapf(err, "train: closing %s", w.path)
}

// ReadMetrics reads a JSONL metrics stream. Blank lines are skipped; an
// unparsable last line without a newline (a write cut short by a crash) is
// ignored; any other bad line is an error naming its number.
func ReadMetrics(r io.Reader) ([]Record, error) {
	var records []Record
	_, err := scanMetrics(r, func(rec Record) bool {
		records = append(records, rec)
		return true
	})
	return records, err
}

// ReadMetricsFile reads the metrics file at path (see ReadMetrics).
func ReadMetricsFile(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "train")
	}
	defer f.Close()
	records, err := ReadMetrics(f)
	return records, errors.Wrapf(err, "train: reading %s", path)
}

// scanMetrics parses records from r and calls keep for each until it returns
// false. It returns the byte length of the prefix that holds the kept
// records: up to the first refused record, a torn last line or the end.
func scanMetrics(r io.Reader, keep func(Record) bool) (int64, error) {
	br := bufio.NewReader(r)
	var offset int64
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return 0, err
		}
		torn := err == io.EOF // no newline: the last line, maybe cut short
		if len(bytes.TrimSpace(line)) > 0 {
			var rec Record
			if perr := json.Unmarshal(line, &rec); perr != nil {
				if torn {
					return offset, nil
				}
				return 0, errors.Wrapf(perr, "line %d", lineNo)
			}
			if !keep(rec) {
				return offset, nil
			}
		}
		if torn {
			return offset + int64(len(line)), nil
		}
		offset += int64(len(line))
	}
}
