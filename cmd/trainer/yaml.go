package main

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/gorgonet/gorgonet/internal/config"
)

// loadYAML applies a YAML configuration file (path, with its contents data)
// to cfg. The trainer's configuration is a tree of scalars, so it reads the
// block-mapping subset of YAML that such a tree needs:
//
//	model:
//	  kind: transformer_lm   # comments are allowed
//	  d_model: 64
//	sample:
//	  prompt: "Of the "
//
// Nesting is by indentation (spaces), values are plain or quoted scalars;
// each leaf is applied as the --set override "model.d_model=64", so keys and
// values are checked exactly as on the command line. Lists, flow mappings,
// anchors and multi-line scalars are errors naming the line.
func loadYAML(path string, data []byte, cfg *Config) error {
	type level struct {
		indent int
		key    string
	}
	var stack []level   // open mappings, outermost first; indent is their children's
	pendingIndent := -1 // indent of a "key:" line whose children are not yet seen
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	lineNo, seen := 0, false
	for sc.Scan() {
		lineNo++
		raw := strings.TrimRight(sc.Text(), " \t\r")
		if lineNo == 1 {
			raw = strings.TrimPrefix(raw, "\uFEFF")
		}
		text := strings.TrimLeft(raw, " ")
		if text == "" || strings.HasPrefix(text, "#") || (text == "---" && !seen) {
			continue
		}
		seen = true
		fail := func(format string, args ...interface{}) error {
			return errors.Errorf("config %s:%d: %s", path, lineNo, fmt.Sprintf(format, args...))
		}
		if strings.HasPrefix(text, "\t") {
			return fail("tabs are not allowed for indentation")
		}
		indent := len(raw) - len(text)
		if strings.HasPrefix(text, "- ") || text == "-" {
			return fail("lists are not supported (the configuration holds no lists)")
		}
		key, value, ok := strings.Cut(text, ":")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, "{}[]&*!|>'\"") {
			return fail("expected \"key: value\" or \"key:\", got %q", text)
		}
		if value != "" && value[0] != ' ' {
			return fail("expected a space after the colon in %q", text)
		}
		if pendingIndent >= 0 {
			if indent <= pendingIndent {
				return fail("the mapping %q above is empty", stack[len(stack)-1].key)
			}
			stack[len(stack)-1].indent, pendingIndent = indent, -1
		}
		for len(stack) > 0 && indent < stack[len(stack)-1].indent {
			stack = stack[:len(stack)-1]
		}
		if (len(stack) == 0 && indent != 0) || (len(stack) > 0 && indent != stack[len(stack)-1].indent) {
			return fail("inconsistent indentation: %d spaces match no enclosing key", indent)
		}
		prefix := make([]string, 0, len(stack)+1)
		for _, l := range stack {
			prefix = append(prefix, l.key)
		}
		scalar, err := yamlScalar(strings.TrimSpace(value))
		if err != nil {
			return fail("%v", err)
		}
		if scalar == nil {
			stack = append(stack, level{indent: -1, key: key})
			pendingIndent = indent
			continue
		}
		full := strings.Join(append(prefix, key), ".")
		if isGroupKey(full) {
			return fail("%s is a group of keys, not a value: write its keys indented below %q", full, key+":")
		}
		if err := config.Set(cfg, full+"="+*scalar); err != nil {
			return fail("%v", strings.TrimPrefix(err.Error(), "config: "))
		}
	}
	if err := sc.Err(); err != nil {
		return errors.Wrapf(err, "config %s", path)
	}
	if pendingIndent >= 0 {
		return errors.Errorf("config %s: the mapping %q at the end is empty", path, stack[len(stack)-1].key)
	}
	if !seen {
		return errors.Errorf("config %s: the file holds no keys", path)
	}
	return nil
}

// yamlScalar decodes the value part of a "key: value" line: nil for an
// empty value (a nested mapping follows), the unquoted text of a quoted
// scalar, or the plain scalar without a trailing comment.
func yamlScalar(v string) (*string, error) {
	if v == "" || strings.HasPrefix(v, "#") {
		return nil, nil
	}
	switch v[0] {
	case '"':
		end := closingQuote(v)
		if end < 0 {
			return nil, errors.Errorf("unterminated double-quoted value %s", v)
		}
		s, err := strconv.Unquote(v[:end+1])
		if err != nil {
			return nil, errors.Errorf("bad double-quoted value %s", v[:end+1])
		}
		if rest := strings.TrimSpace(v[end+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
			return nil, errors.Errorf("unexpected %q after the quoted value", rest)
		}
		return &s, nil
	case '\'':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			if v[i] != '\'' {
				b.WriteByte(v[i])
				continue
			}
			if i+1 < len(v) && v[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			if rest := strings.TrimSpace(v[i+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
				return nil, errors.Errorf("unexpected %q after the quoted value", rest)
			}
			s := b.String()
			return &s, nil
		}
		return nil, errors.Errorf("unterminated single-quoted value %s", v)
	case '[', '{', '&', '*', '!', '|', '>':
		return nil, errors.Errorf("unsupported YAML value %q (only plain and quoted scalars)", v)
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return &v, nil
}

// closingQuote returns the index of the quote that closes the double-quoted
// string starting at v[0], or −1.
func closingQuote(v string) int {
	for i := 1; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// isGroupKey reports whether key names a group of configuration keys, such
// as "model", rather than a value.
func isGroupKey(key string) bool {
	leaves, err := flatten(defaultConfig())
	if err != nil {
		return false
	}
	if _, ok := leaves[key]; ok {
		return false
	}
	for k := range leaves {
		if strings.HasPrefix(k, key+".") {
			return true
		}
	}
	return false
}
