package strictjson

import (
	"errors"
	"testing"
)

func TestCheckUniqueKeys(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		wantKey string // "" when the text has no duplicate key
		line    int
	}{
		{"flat, distinct", `{"a": 1, "b": 2}`, "", 0},
		{"same key in two objects", `{"a": {"x": 1}, "b": {"x": 2}}`, "", 0},
		{"repeated top-level key", "{\"a\": 1,\n \"a\": 2}", "a", 2},
		{"repeated nested key", "{\"model\": {\n\"layers\": 2,\n\"layers\": 4}}", "model.layers", 3},
		{"repeated key inside a list", `{"l": [{"k": 1}, {"k": 1, "k": 2}]}`, "l[1].k", 1},
		{"scalars and lists", `[1, "two", null, true, [3]]`, "", 0},
		{"empty input", ``, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckUniqueKeys([]byte(tt.text))
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("CheckUniqueKeys: %v, want nil", err)
				}
				return
			}
			var dup *DuplicateKeyError
			if !errors.As(err, &dup) || dup.Key != tt.wantKey || dup.Line != tt.line {
				t.Fatalf("CheckUniqueKeys: %v, want key %q repeated at line %d", err, tt.wantKey, tt.line)
			}
		})
	}
	if err := CheckUniqueKeys([]byte(`{"a": }`)); err == nil {
		t.Error("malformed JSON: no error")
	}
}
