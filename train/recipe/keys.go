package recipe

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// The rules of each configuration key live in the struct tags of its field
// in Config, so that validation, `trainer help config` and `trainer
// init-config` read one table and cannot drift apart:
//
//	json:"d_model"     the key's name in its group
//	help:"…"           what it means, one line
//	enum:"a|b|c"       the values it may take
//	range:"positive"   positive, nonneg, unit ([0, 1)) or prob ([0, 1])
//	kinds:"k1|k2"      the model kinds it applies to (all when absent)
//
// Rules between keys (model.d_model divisible by model.heads, the schedule's
// steps, …) are checked in code after these (Config.validate).

// Key is one configuration key and its rules.
type Key struct {
	Key     string // dotted: "model.d_model"
	Help    string
	Enum    []string
	Range   string
	Kinds   []string
	Default interface{}
	index   []int        // of the field in Config
	Type    reflect.Type // of the field
}

// Keys returns every key of Config in the order of the fields, with
// its default from Default.
func Keys() []Key {
	def := reflect.ValueOf(Default())
	var keys []Key
	t := def.Type()
	for g := 0; g < t.NumField(); g++ {
		group := t.Field(g)
		for f := 0; f < group.Type.NumField(); f++ {
			field := group.Type.Field(f)
			k := Key{
				Key:     group.Tag.Get("json") + "." + field.Tag.Get("json"),
				Help:    field.Tag.Get("help"),
				Range:   field.Tag.Get("range"),
				Default: def.Field(g).Field(f).Interface(),
				index:   []int{g, f},
				Type:    field.Type,
			}
			if e, ok := field.Tag.Lookup("enum"); ok {
				k.Enum = strings.Split(e, "|")
			}
			if kinds := field.Tag.Get("kinds"); kinds != "" {
				k.Kinds = strings.Split(kinds, "|")
			}
			keys = append(keys, k)
		}
	}
	return keys
}

// AppliesTo reports whether the key means something for a model of kind.
func (k Key) AppliesTo(kind string) bool {
	if len(k.Kinds) == 0 {
		return true
	}
	for _, kk := range k.Kinds {
		if kk == kind {
			return true
		}
	}
	return false
}

// TypeName describes the key's type for the help.
func (k Key) TypeName() string {
	switch k.Type.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Float64:
		return "number"
	}
	return "integer"
}

// Rule describes the values the key accepts, or "".
func (k Key) Rule() string {
	if k.Enum != nil {
		quoted := make([]string, len(k.Enum))
		for i, e := range k.Enum {
			quoted[i] = e
			if e == "" {
				quoted[i] = `""`
			}
		}
		return "one of " + strings.Join(quoted, ", ")
	}
	return map[string]string{"positive": "> 0", "nonneg": "≥ 0", "unit": "in [0, 1)", "prob": "in [0, 1]"}[k.Range]
}

// Check validates the key's value in c by its enum and range.
func (k Key) Check(c *Config) error {
	v := reflect.ValueOf(c).Elem().FieldByIndex(k.index)
	if k.Enum != nil {
		for _, e := range k.Enum {
			if v.String() == e {
				return nil
			}
		}
		return KeyError(k.Key, "unknown value %q (want %s)", v.String(), k.Rule())
	}
	var x float64
	switch v.Kind() {
	case reflect.Int:
		x = float64(v.Int())
	case reflect.Float64:
		x = v.Float()
	default:
		return nil
	}
	switch {
	case k.Range == "positive" && !(x > 0):
		return KeyError(k.Key, "must be positive, got %v", v.Interface())
	case k.Range == "nonneg" && !(x >= 0):
		return KeyError(k.Key, "must not be negative, got %v", v.Interface())
	case k.Range == "unit" && !(x >= 0 && x < 1):
		return KeyError(k.Key, "%v outside [0, 1)", v.Interface())
	case k.Range == "prob" && !(x >= 0 && x <= 1):
		return KeyError(k.Key, "%v outside [0, 1]", v.Interface())
	}
	return nil
}

// validateKeys checks every key that applies to the model kind by its own
// rules, in the order of Keys.
func (c *Config) validateKeys() error {
	for _, k := range Keys() {
		if k.Key == "model.kind" || k.AppliesTo(c.Model.Kind) {
			if err := k.Check(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteKeys prints every key: name, type, default, accepted values,
// meaning and the model kinds it applies to.
func WriteKeys(w io.Writer) error {
	fmt.Fprintln(w, `Configuration keys (a --config file holds them by group, --set key=value sets one):`)
	group := ""
	for _, k := range Keys() {
		if g, _, _ := strings.Cut(k.Key, "."); g != group {
			group = g
			fmt.Fprintf(w, "\n%s\n", g)
		}
		line := fmt.Sprintf("  %s (%s, default %s", k.Key, k.TypeName(), formatDefault(k.Default))
		if r := k.Rule(); r != "" {
			line += "; " + r
		}
		fmt.Fprintln(w, line+")")
		fmt.Fprintf(w, "      %s\n", k.Help)
		if k.Kinds != nil {
			fmt.Fprintf(w, "      only for %s\n", strings.Join(k.Kinds, ", "))
		}
	}
	_, err := fmt.Fprintln(w)
	return errors.Wrap(err, "writing the help")
}

// formatDefault writes a default value as it is written in YAML.
func formatDefault(v interface{}) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// WriteTemplate writes a YAML configuration holding every key that applies
// to models of kind, at its default, each under a comment with its meaning.
func WriteTemplate(w io.Writer, kind string) error {
	fmt.Fprintf(w, "# gorgonet trainer configuration for a %s model, every key at its default.\n", kind)
	fmt.Fprintln(w, "# Train with: trainer train --config THIS_FILE   (`trainer help config` lists every key.)")
	group := ""
	for _, k := range Keys() {
		if !k.AppliesTo(kind) {
			continue
		}
		g, name, _ := strings.Cut(k.Key, ".")
		if g != group {
			group = g
			fmt.Fprintf(w, "\n%s:\n", g)
		}
		comment := k.Help
		if r := k.Rule(); r != "" {
			comment += " (" + r + ")"
		}
		value := formatDefault(k.Default)
		if k.Key == "model.kind" {
			value = kind
		}
		if _, err := fmt.Fprintf(w, "  # %s\n  %s: %s\n", comment, name, value); err != nil {
			return errors.Wrap(err, "writing the configuration")
		}
	}
	return nil
}
