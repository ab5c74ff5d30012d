package main

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestHelpConfigListsEveryKey checks that `trainer help config` lists every
// key of the configuration with a meaning, and nothing else.
func TestHelpConfigListsEveryKey(t *testing.T) {
	var out bytes.Buffer
	if code := runMain([]string{"help", "config"}, &out, &out); code != 0 {
		t.Fatalf("help config: exit %d: %s", code, out.String())
	}
	leaves, err := flatten(defaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	keys := configKeys()
	if len(keys) != len(leaves) {
		t.Errorf("%d keys in the table, %d in the configuration", len(keys), len(leaves))
	}
	for _, k := range keys {
		if _, ok := leaves[k.Key]; !ok {
			t.Errorf("table key %s is not a configuration key", k.Key)
		}
		if k.Help == "" {
			t.Errorf("%s has no help tag", k.Key)
		}
		if !strings.Contains(out.String(), "  "+k.Key+" (") {
			t.Errorf("help config does not list %s", k.Key)
		}
	}
}

// TestKeyRulesAreValidated derives a case from every rule of the table:
// each allowed value passes, a value outside the enum or the range is an
// error naming the key, for a model kind the key applies to.
func TestKeyRulesAreValidated(t *testing.T) {
	bad := map[string][]string{
		"positive": {"0", "-1"},
		"nonneg":   {"-2"}, // -1 is optim.warmup's "train.steps/10"
		"unit":     {"-0.5", "1"},
		"prob":     {"-0.5", "1.5"},
	}
	checked := 0
	for _, k := range configKeys() {
		kind := kindTransformerLM
		if !k.appliesTo(kind) {
			kind = k.Kinds[0]
		}
		set := func(v string) error {
			_, err := loadConfig("", []string{"model.kind=" + kind, k.Key + "=" + v})
			return err
		}
		for _, v := range k.Enum {
			if err := set(v); err != nil && strings.Contains(err.Error(), k.Key+": unknown value") {
				t.Errorf("%s=%q (allowed) refused: %v", k.Key, v, err)
			}
		}
		if k.Enum != nil {
			if err := set("bogus"); err == nil || !strings.Contains(err.Error(), "config: "+k.Key+": unknown value \"bogus\"") {
				t.Errorf("%s=bogus: %v, want an error naming the key", k.Key, err)
			}
			checked++
		}
		for _, v := range bad[k.Range] {
			if k.typ.Kind() == reflect.Int && strings.Contains(v, ".") {
				continue
			}
			if err := set(v); err == nil || !strings.Contains(err.Error(), "config: "+k.Key+":") {
				t.Errorf("%s=%s (range %s): %v, want an error naming the key", k.Key, v, k.Range, err)
			}
			checked++
		}
	}
	t.Logf("%d rule violations checked", checked)
}

// TestInitConfigRoundTrips checks that the file `trainer init-config`
// writes for each model kind loads to that kind's default configuration.
func TestInitConfigRoundTrips(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range modelKinds {
		path := filepath.Join(dir, kind+".yaml")
		var out bytes.Buffer
		if code := runMain([]string{"init-config", "--kind", kind, "--out", path}, &out, &out); code != 0 {
			t.Fatalf("init-config --kind %s: exit %d: %s", kind, code, out.String())
		}
		got, err := loadConfig(path, nil)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		want, err := loadConfig("", []string{"model.kind=" + kind})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: init-config file loads to\n%+v\nwant\n%+v", kind, got, want)
		}
		if code := runMain([]string{"init-config", "--kind", kind, "--out", path}, &out, &out); code != 1 {
			t.Errorf("init-config over an existing file: exit %d, want 1", code)
		}
	}
	var out bytes.Buffer
	if code := runMain([]string{"init-config", "--kind", "gpt5"}, &out, &out); code != 2 || !strings.Contains(out.String(), `--kind "gpt5" is not a model kind`) {
		t.Errorf("init-config --kind gpt5: exit %d: %s", code, out.String())
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		var out bytes.Buffer
		if code := runMain(args, &out, &out); code != 0 || !strings.Contains(out.String(), "github.com/gorgonet/gorgonet") {
			t.Errorf("%v: exit %d: %q", args, code, out.String())
		}
	}
}

// TestHelpSpellsFlagsWithTwoDashes checks every command's help: its flags
// are listed as --name, the way the usage lines and examples spell them.
func TestHelpSpellsFlagsWithTwoDashes(t *testing.T) {
	for _, c := range commands {
		var out bytes.Buffer
		if code := runMain([]string{"help", c.name}, &out, &out); code != 0 {
			t.Fatalf("help %s: exit %d", c.name, code)
		}
		flags := strings.SplitN(out.String(), "\nFlags:\n", 2)
		if len(flags) != 2 {
			t.Fatalf("help %s has no Flags section", c.name)
		}
		for _, line := range strings.Split(flags[1], "\n") {
			if strings.HasPrefix(line, "  -") && !strings.HasPrefix(line, "  --") {
				t.Errorf("help %s lists a flag with one dash: %q", c.name, line)
			}
			if strings.Count(line, "(default") > 1 {
				t.Errorf("help %s states two defaults: %q", c.name, line)
			}
		}
	}
}
