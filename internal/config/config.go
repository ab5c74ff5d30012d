// Package config loads the trainer's configuration: a struct of nested
// structs with json tags, filled with defaults by the caller, overridden by a
// JSON or YAML file (Load) and then by key=value assignments from the
// command line (Set), and printed back as indented JSON (Dump).
//
// Keys are the json names of the fields, joined with dots for nested
// structs: "model.d_model", "optim.lr". Unknown keys are errors naming the
// key and, where one is close, the key that was probably meant.
package config

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/internal/inputfile"
	"github.com/gorgonet/gorgonet/internal/strictjson"
)

// MaxFileBytes is the largest configuration file Load reads.
const MaxFileBytes = 64 << 20

// Load overrides the fields of *dst (a pointer to a struct) with the keys
// of the configuration file at path: YAML when its name ends in .yaml or
// .yml (DecodeYAML), JSON otherwise (Decode); fields the file does not
// mention keep their values. The path must name a regular file of at most
// MaxFileBytes of UTF-8 text (Go's decoders would turn other bytes into
// U+FFFD without a word); a leading byte-order mark is ignored.
func Load(path string, dst interface{}) error {
	data, err := inputfile.ReadFile(context.Background(), path, MaxFileBytes)
	if err != nil {
		return errors.Wrap(err, "config")
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if line, b, ok := firstInvalidUTF8(data); ok {
		return errors.Errorf("config %s:%d: not UTF-8 text (byte 0x%02x)", path, line, b)
	}
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".yaml" || ext == ".yml" {
		return DecodeYAML(path, data, dst)
	}
	return Decode(path, data, dst)
}

// firstInvalidUTF8 returns the line (from 1) and value of the first byte of
// data that is not part of valid UTF-8, and whether there is one.
func firstInvalidUTF8(data []byte) (line int, b byte, ok bool) {
	if utf8.Valid(data) {
		return 0, 0, false
	}
	line = 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return line, data[i], true
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return 0, 0, false
}

// Decode overrides the fields of *dst with the keys of the JSON object data,
// the contents of the file at path. Unknown keys, a key written twice in one
// object, values of the wrong type and trailing data are errors naming the
// file and the dotted key.
func Decode(path string, data []byte, dst interface{}) error {
	if err := checkDestination(dst); err != nil {
		return errors.Wrap(err, "config")
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if len(bytes.TrimSpace(data)) == 0 || bytes.TrimSpace(data)[0] != '{' {
		return errors.Errorf("config %s: the file must hold a JSON object", path)
	}
	if err := strictjson.CheckUniqueKeys(data); err != nil {
		var dup *strictjson.DuplicateKeyError
		if errors.As(err, &dup) {
			return errors.Errorf("config %s:%d: key %s appears twice", path, dup.Line, dup.Key)
		}
	}
	return errors.Wrapf(decode(data, dst, ""), "config %s", path)
}

func checkDestination(dst interface{}) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return errors.Errorf("destination must be a non-nil pointer to a struct, got %T", dst)
	}
	return nil
}

// decode decodes the JSON value data into *dst strictly: keys must match
// json names exactly, arrays must have their length, and nothing may follow
// the value (json.Unmarshal checks that). Errors name keys below prefix.
func decode(data []byte, dst interface{}, prefix string) error {
	var raw interface{}
	if err := json.Unmarshal(data, &raw); err != nil {
		return errors.Wrap(err, "invalid JSON")
	}
	if err := checkKeys(raw, reflect.TypeOf(dst), prefix); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errors.Errorf("key %s: value of JSON type %s, expected %s", joinKey(prefix, te.Field), te.Value, typeName(te.Type))
		}
		return err
	}
	return nil
}

// checkKeys walks a decoded JSON value against type t and reports the first
// object key that matches no field exactly (encoding/json would otherwise
// accept "D_Model" for "d_model").
func checkKeys(raw interface{}, t reflect.Type, prefix string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if customDecoding(t) {
		return nil
	}
	switch v := raw.(type) {
	case map[string]interface{}:
		switch t.Kind() {
		case reflect.Struct:
			fields := structFields(t)
			for _, key := range sortedKeys(v) {
				f, ok := fields[key]
				if !ok {
					return unknownKey(joinKey(prefix, key), prefix, fields)
				}
				if err := checkKeys(v[key], t.FieldByIndex(f).Type, joinKey(prefix, key)); err != nil {
					return err
				}
			}
		case reflect.Map:
			for _, key := range sortedKeys(v) {
				if err := checkKeys(v[key], t.Elem(), joinKey(prefix, key)); err != nil {
					return err
				}
			}
		}
	case []interface{}:
		if t.Kind() == reflect.Array && len(v) != t.Len() {
			return errors.Errorf("key %s: %d values, expected %d", prefix, len(v), t.Len())
		}
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, e := range v {
				if err := checkKeys(e, t.Elem(), fmt.Sprintf("%s[%d]", prefix, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]interface{}) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// structFields maps the json names of t's exported fields to their index
// path (for reflect.Value.FieldByIndex, through embedded structs), following
// encoding/json: a tag name wins over the field name, "-" hides a
// field, untagged embedded structs contribute their fields.
func structFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			for n, f := range structFields(ft) {
				if _, shadowed := out[n]; !shadowed {
					out[n] = append([]int{i}, f...)
				}
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out[name] = []int{i}
	}
	return out
}

// unknownKey reports key as unknown among the fields at prefix, suggesting
// the closest one.
func unknownKey(key, prefix string, fields map[string][]int) error {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	last := key[strings.LastIndex(key, ".")+1:]
	if best := closest(last, names); best != "" {
		return errors.Errorf("unknown key %s; did you mean %s?", key, joinKey(prefix, best))
	}
	where := "the top level"
	if prefix != "" {
		where = prefix
	}
	return errors.Errorf("unknown key %s; the keys of %s are %s", key, where, strings.Join(names, ", "))
}

// closest returns the candidate nearest to s by edit distance, ignoring case
// and underscores, if it is near enough to be a likely typo.
func closest(s string, candidates []string) string {
	norm := func(x string) string { return strings.ReplaceAll(strings.ToLower(x), "_", "") }
	best, bestDist := "", math.MaxInt
	for _, c := range candidates {
		if d := editDistance(norm(s), norm(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist <= max(1, len(s)/3) {
		return best
	}
	return ""
}

// editDistance is the optimal-string-alignment distance between a and b in
// runes: the Levenshtein distance with the swap of two adjacent runes
// ("modle" for "model") counted as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

var (
	durationType        = reflect.TypeOf(time.Duration(0))
	textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
	jsonUnmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()
)

// customDecoding reports whether values of type t decode themselves.
func customDecoding(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(textUnmarshalerType) || p.Implements(jsonUnmarshalerType)
}

// Set applies one command-line override "key=value" to *dst (a pointer to a
// struct). key is a dotted path of json names ("model.d_model"); value is
// parsed by the field's type: strings as is, bools by strconv.ParseBool,
// integers in decimal (or an exact float such as 1e6), floats by
// strconv.ParseFloat (finite only), time.Duration by time.ParseDuration or
// as an integer of nanoseconds (its encoding/json form, used by Load and Dump),
// types implementing encoding.TextUnmarshaler by it, and anything else
// (slices, maps, structs) as JSON, e.g. layers=[64,64]. A JSON object given
// to a group of keys (sample={"length":5}) is merged into the group, as a
// configuration file's keys are: the keys it does not name keep their values.
func Set(dst interface{}, assignment string) error {
	key, value, ok := strings.Cut(assignment, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return errors.Errorf("config: override %q is not of the form key=value", assignment)
	}
	if err := checkDestination(dst); err != nil {
		return errors.Wrap(err, "config")
	}
	target, err := lookup(reflect.ValueOf(dst).Elem(), key)
	if err != nil {
		return errors.Wrap(err, "config")
	}
	return errors.Wrapf(setValue(target, key, value), "config: key %s", key)
}

// lookup returns the settable field at the dotted key, allocating nil
// pointers to structs on the way.
func lookup(v reflect.Value, key string) (reflect.Value, error) {
	prefix := ""
	for _, part := range strings.Split(key, ".") {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct || customDecoding(v.Type()) {
			return reflect.Value{}, errors.Errorf("unknown key %s: %s is a %s, not a group of keys", key, prefix, typeName(v.Type()))
		}
		fields := structFields(v.Type())
		index, ok := fields[part]
		if !ok {
			return reflect.Value{}, unknownKey(joinKey(prefix, part), prefix, fields)
		}
		for _, i := range index {
			for v.Kind() == reflect.Pointer {
				if v.IsNil() {
					v.Set(reflect.New(v.Type().Elem()))
				}
				v = v.Elem()
			}
			v = v.Field(i)
		}
		prefix = joinKey(prefix, part)
	}
	return v, nil
}

// setValue parses s into v, the field at key, according to v's type.
func setValue(v reflect.Value, key, s string) error {
	t := v.Type()
	if t.Kind() == reflect.Pointer && t.Elem().Kind() != reflect.Struct {
		p := reflect.New(t.Elem())
		if err := setValue(p.Elem(), key, s); err != nil {
			return err
		}
		v.Set(p)
		return nil
	}
	bad := func() error {
		return errors.Errorf("invalid value %q: expected %s", s, typeName(t))
	}
	if t.Kind() != reflect.Pointer && v.Addr().Type().Implements(textUnmarshalerType) {
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return errors.Wrapf(err, "invalid value %q for %s", s, typeName(t))
		}
		return nil
	}
	if t == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			n, nerr := parseInt(s) // nanoseconds, as encoding/json writes durations
			if nerr != nil {
				return bad()
			}
			d = time.Duration(n)
		}
		v.SetInt(int64(d))
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return bad()
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := parseInt(s)
		if err != nil || v.OverflowInt(n) {
			return bad()
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := parseInt(s)
		if err != nil || n < 0 || v.OverflowUint(uint64(n)) {
			return bad()
		}
		v.SetUint(uint64(n))
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, t.Bits())
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return bad()
		}
		v.SetFloat(f)
	default:
		p := reflect.New(t)
		p.Elem().Set(v) // decode merges into the current value
		if err := decode([]byte(s), p.Interface(), key); err != nil {
			return errors.Wrapf(err, "invalid value %q: expected %s as JSON", s, typeName(t))
		}
		v.Set(p.Elem())
	}
	return nil
}

// parseInt parses a decimal integer, or a float such as 1e6 that is an
// exact integer within int64.
func parseInt(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err == nil {
		return n, nil
	}
	f, ferr := strconv.ParseFloat(s, 64)
	if ferr != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
		return 0, err
	}
	return int64(f), nil
}

// typeName describes a Go type for error messages.
func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration such as 90s or 1h30m"
	case t.Kind() == reflect.Bool:
		return "a boolean (true or false)"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return fmt.Sprintf("an integer (%s)", t.Kind())
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		return fmt.Sprintf("a non-negative integer (%s)", t.Kind())
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return fmt.Sprintf("a finite number (%s)", t.Kind())
	case t.Kind() == reflect.String:
		return "a string"
	}
	return t.String()
}

// Dump returns v as indented JSON, for printing the resolved configuration.
func Dump(v interface{}) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", errors.Wrap(err, "config: dump")
	}
	return string(b), nil
}
