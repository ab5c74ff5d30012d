package config

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
	"github.com/pkg/errors"
)

// DecodeYAML overrides the fields of *dst (a pointer to a struct) with the
// keys of the YAML file at path, whose contents are data: YAML 1.2 block and
// flow syntax, parsed by github.com/goccy/go-yaml (mappings, block scalars
// such as "prompt: |", quoted and plain scalars, comments, anchors and
// aliases, one document). A mapping under a group key ("model:") descends
// into the group; every other value is applied as the override
// "key=value" of Set — a scalar as its text, a mapping or sequence as JSON —
// so keys and values are checked exactly as on the command line. Errors
// name the file and line: a syntax error, a key repeated in one mapping, a
// dotted key (write it nested), an unknown key (with the key probably
// meant), a group given a value, an empty value, a merge key (<<) or a
// second document.
func DecodeYAML(path string, data []byte, dst interface{}) error {
	if err := checkDestination(dst); err != nil {
		return errors.Wrap(err, "config")
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		var ye interface {
			GetToken() *token.Token
			GetMessage() string
		}
		if errors.As(err, &ye) && ye.GetToken() != nil {
			return errors.Errorf("config %s:%d: %s", path, ye.GetToken().Position.Line, ye.GetMessage())
		}
		return errors.Errorf("config %s: %v", path, err)
	}
	var body ast.Node
	for _, doc := range file.Docs {
		if doc.Body == nil {
			continue
		}
		if body != nil {
			return yamlError(path, doc.Body, "a second YAML document; a configuration file holds one")
		}
		body = doc.Body
	}
	if body == nil {
		return errors.Errorf("config %s: the file holds no keys", path)
	}
	d := &yamlDecoder{path: path, dst: dst, anchors: map[string]ast.Node{}}
	body = d.resolve(body)
	m, ok := body.(*ast.MappingNode)
	if !ok {
		if mv, single := body.(*ast.MappingValueNode); single { // a file of one key
			m, ok = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}, true
		}
	}
	if !ok {
		return yamlError(path, body, "the file must hold a mapping of keys, not a %s", nodeKind(body))
	}
	return d.mapping(m, reflect.TypeOf(dst).Elem(), "")
}

// yamlDecoder applies the nodes of one YAML file to dst.
type yamlDecoder struct {
	path    string
	dst     interface{}
	anchors map[string]ast.Node // anchor name → value, as they are met
}

// yamlError is an error about the line of node in the file at path.
func yamlError(path string, node ast.Node, format string, args ...interface{}) error {
	line := 0
	if tk := node.GetToken(); tk != nil && tk.Position != nil {
		line = tk.Position.Line
	}
	return errors.Errorf("config %s:%d: %s", path, line, fmt.Sprintf(format, args...))
}

// resolve returns the value behind anchors, aliases and tags, recording
// anchors for the aliases that follow them.
func (d *yamlDecoder) resolve(node ast.Node) ast.Node {
	for {
		switch n := node.(type) {
		case *ast.AnchorNode:
			d.anchors[n.Name.GetToken().Value] = n.Value
			node = n.Value
		case *ast.AliasNode:
			target, ok := d.anchors[n.Value.GetToken().Value]
			if !ok {
				return n // reported by the caller as an unknown alias
			}
			node = target
		case *ast.TagNode:
			node = n.Value
		default:
			return node
		}
	}
}

// mapping applies the entries of m to the group of type t at prefix.
func (d *yamlDecoder) mapping(m *ast.MappingNode, t reflect.Type, prefix string) error {
	fields := structFields(t)
	for _, entry := range m.Values {
		if entry.Key.IsMergeKey() {
			return yamlError(d.path, entry.Key, "merge keys (<<) are not supported; write the keys out")
		}
		keyNode, ok := d.resolve(entry.Key).(ast.ScalarNode)
		if !ok {
			return yamlError(d.path, entry.Key, "a key must be a plain word, not a %s", nodeKind(entry.Key))
		}
		key := fmt.Sprint(keyNode.GetValue())
		full := joinKey(prefix, key)
		if strings.Contains(key, ".") {
			return yamlError(d.path, entry.Key, "key %q holds a dot; write %s nested, one key per level", key, full)
		}
		index, ok := fields[key]
		if !ok {
			return yamlError(d.path, entry.Key, "%s", strings.TrimPrefix(unknownKey(full, prefix, fields).Error(), "config: "))
		}
		ft := t.FieldByIndex(index).Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		value := d.resolve(entry.Value)
		if alias, bad := value.(*ast.AliasNode); bad {
			return yamlError(d.path, alias, "alias *%s names no anchor defined above it", alias.Value.GetToken().Value)
		}
		if ft.Kind() == reflect.Struct && !customDecoding(ft) {
			sub, ok := value.(*ast.MappingNode)
			if !ok {
				if mv, single := value.(*ast.MappingValueNode); single {
					sub, ok = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}, true
				}
			}
			if !ok {
				return yamlError(d.path, entry.Key, "%s is a group of keys, not a value: write its keys indented below %q", full, key+":")
			}
			if err := d.mapping(sub, ft, full); err != nil {
				return err
			}
			continue
		}
		text, err := d.leafText(value)
		if err != nil {
			return yamlError(d.path, entry.Key, "key %s: %v", full, err)
		}
		if err := Set(d.dst, full+"="+text); err != nil {
			return yamlError(d.path, entry.Key, "%s", strings.TrimPrefix(err.Error(), "config: "))
		}
	}
	return nil
}

// leafText returns the text Set parses for a value node: a scalar's text,
// or a collection as JSON.
func (d *yamlDecoder) leafText(node ast.Node) (string, error) {
	switch n := node.(type) {
	case nil, *ast.NullNode:
		return "", errors.New("no value")
	case *ast.StringNode:
		return n.Value, nil
	case *ast.LiteralNode:
		return n.Value.Value, nil
	case ast.ScalarNode:
		return n.GetToken().Value, nil
	case *ast.MappingNode, *ast.SequenceNode, *ast.MappingValueNode:
		var v interface{}
		if err := yaml.NodeToValue(node, &v); err != nil {
			return "", err
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	return "", errors.Errorf("unsupported YAML value (%s)", nodeKind(node))
}

// nodeKind names the kind of a YAML node for a message.
func nodeKind(node ast.Node) string {
	switch node.(type) {
	case *ast.SequenceNode:
		return "list"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "mapping"
	}
	return strings.ToLower(strings.TrimSuffix(node.Type().String(), "Type"))
}
