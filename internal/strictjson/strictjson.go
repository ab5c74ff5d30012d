// Package strictjson checks what encoding/json lets pass: a key that appears
// twice in one object, which json.Unmarshal resolves silently by keeping the
// last value. Tokenizer files and configuration files are checked with it so
// that a repeated field is an error instead of a guess.
package strictjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// DuplicateKeyError reports a key repeated in one JSON object.
type DuplicateKeyError struct {
	Key  string // the repeated key, with the path of the objects above it: "model.layers"
	Line int    // 1-based line of the second occurrence
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("line %d: key %q appears twice in the same object", e.Line, e.Key)
}

// CheckUniqueKeys returns a *DuplicateKeyError for the first key that
// appears twice in one object of the JSON text data, and nil when every
// object's keys are distinct. Malformed JSON is reported as json's own error
// (callers decode the text afterwards, with their own messages for it).
func CheckUniqueKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := checkValue(dec, data, "")
	if err == io.EOF {
		return nil
	}
	return err
}

// checkValue reads one JSON value from dec, checking the objects in it;
// path is the dotted path of the value.
func checkValue(dec *json.Decoder, data []byte, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			keyTok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := keyTok.(string)
			full := key
			if path != "" {
				full = path + "." + key
			}
			if seen[key] {
				line := 1 + bytes.Count(data[:dec.InputOffset()], []byte("\n"))
				return &DuplicateKeyError{Key: full, Line: line}
			}
			seen[key] = true
			if err := checkValue(dec, data, full); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := checkValue(dec, data, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}
