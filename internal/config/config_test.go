package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

type modelConfig struct {
	Kind   string `json:"kind"`
	DModel int    `json:"d_model"`
	Heads  int    `json:"heads"`
	Layers []int  `json:"layers"`
}

type optimConfig struct {
	LR          float64 `json:"lr"`
	WeightDecay float32 `json:"weight_decay"`
	Betas       [2]float64
}

type common struct {
	Seed uint64 `json:"seed"`
}

type testConfig struct {
	common
	Model modelConfig  `json:"model"`
	Optim *optimConfig `json:"optim"`
	Data  struct {
		Path string `json:"path"`
	} `json:"data"`
	Steps    int               `json:"steps"`
	Compile  bool              `json:"compile"`
	Every    time.Duration     `json:"every"`
	Tags     map[string]string `json:"tags"`
	Scale    *float64          `json:"scale,omitempty"`
	internal int
	Hidden   string `json:"-"`
}

func defaults() testConfig {
	c := testConfig{Steps: 100, Model: modelConfig{Kind: "transformer", DModel: 64, Heads: 4}}
	c.Optim = &optimConfig{LR: 1e-3}
	c.Data.Path = "default.txt"
	return c
}

func TestSet(t *testing.T) {
	scale := 0.5
	tests := []struct {
		assignment string
		edit       func(c *testConfig) // expected change from defaults
	}{
		{"model.d_model=128", func(c *testConfig) { c.Model.DModel = 128 }},
		{"model.kind=lstm", func(c *testConfig) { c.Model.Kind = "lstm" }},
		{"model.kind=", func(c *testConfig) { c.Model.Kind = "" }},
		{"model.kind=a=b", func(c *testConfig) { c.Model.Kind = "a=b" }},
		{"optim.lr=3e-4", func(c *testConfig) { c.Optim.LR = 3e-4 }},
		{"optim.weight_decay=0.1", func(c *testConfig) { c.Optim.WeightDecay = 0.1 }},
		{"optim.Betas=[0.9,0.95]", func(c *testConfig) { c.Optim.Betas = [2]float64{0.9, 0.95} }},
		{"data.path=x.txt", func(c *testConfig) { c.Data.Path = "x.txt" }},
		{"steps=1e6", func(c *testConfig) { c.Steps = 1000000 }},
		{"steps=-3", func(c *testConfig) { c.Steps = -3 }},
		{"compile=true", func(c *testConfig) { c.Compile = true }},
		{"compile=0", func(c *testConfig) { c.Compile = false }},
		{"every=1m30s", func(c *testConfig) { c.Every = 90 * time.Second }},
		{"every=1000", func(c *testConfig) { c.Every = 1000 }},
		{"seed=42", func(c *testConfig) { c.Seed = 42 }},
		{"model.layers=[64,32]", func(c *testConfig) { c.Model.Layers = []int{64, 32} }},
		{`tags={"a":"b"}`, func(c *testConfig) { c.Tags = map[string]string{"a": "b"} }},
		{"scale=0.5", func(c *testConfig) { c.Scale = &scale }},
		{" steps =7", func(c *testConfig) { c.Steps = 7 }},
	}
	for _, tc := range tests {
		t.Run(tc.assignment, func(t *testing.T) {
			got, want := defaults(), defaults()
			tc.edit(&want)
			if err := Set(&got, tc.assignment); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := Dump(got)
				w, _ := Dump(want)
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
		})
	}
}

func TestSetAllocatesNilPointers(t *testing.T) {
	var c testConfig
	if err := Set(&c, "optim.lr=0.5"); err != nil {
		t.Fatal(err)
	}
	if c.Optim == nil || c.Optim.LR != 0.5 {
		t.Errorf("optim = %+v", c.Optim)
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		assignment string
		want       string
	}{
		{"model.d_model", `override "model.d_model" is not of the form key=value`},
		{"=3", "not of the form key=value"},
		{"model.dmodel=3", "unknown key model.dmodel; did you mean model.d_model?"},
		{"model.D_Model=3", "unknown key model.D_Model; did you mean model.d_model?"},
		{"modle.heads=3", "unknown key modle; did you mean model?"},
		{"model.xyzzy=3", "unknown key model.xyzzy; the keys of model are d_model, heads, kind, layers"},
		{"nonsense=1", "unknown key nonsense; the keys of the top level are"},
		{"internal=1", "unknown key internal"},
		{"Hidden=x", "unknown key Hidden"},
		{"steps.x=1", "unknown key steps.x: steps is a an integer (int), not a group of keys"},
		{"model.d_model=abc", `key model.d_model: invalid value "abc": expected an integer (int)`},
		{"model.d_model=1.5", `invalid value "1.5": expected an integer`},
		{"seed=-1", `key seed: invalid value "-1": expected a non-negative integer (uint64)`},
		{"optim.lr=fast", `key optim.lr: invalid value "fast": expected a finite number (float64)`},
		{"optim.lr=NaN", "expected a finite number"},
		{"optim.weight_decay=1e40", "expected a finite number (float32)"},
		{"compile=yes", `key compile: invalid value "yes": expected a boolean (true or false)`},
		{"every=soon", `key every: invalid value "soon": expected a duration`},
		{"model.layers=64", `key model.layers: invalid value "64": expected []int as JSON`},
		{"optim.Betas=[1,2,3]", `invalid value "[1,2,3]": expected [2]float64 as JSON: key optim.Betas: 3 values, expected 2`},
		{`optim={"lr":1,"mom":2}`, "unknown key optim.mom; the keys of optim are Betas, lr, weight_decay"},
		{`optim={"lr":"x"}`, "key optim.lr: value of JSON type string, expected a finite number (float64)"},
	}
	for _, tc := range tests {
		t.Run(tc.assignment, func(t *testing.T) {
			c := defaults()
			err := Set(&c, tc.assignment)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if err := Set(testConfig{}, "steps=1"); err == nil || !strings.Contains(err.Error(), "pointer to a struct") {
		t.Errorf("non-pointer destination: err = %v", err)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		json string
		edit func(c *testConfig)
		want string // error substring; "" for success
	}{
		{"partial override", `{"model": {"d_model": 256}, "optim": {"lr": 0.01}}`, func(c *testConfig) {
			c.Model.DModel = 256
			c.Optim.LR = 0.01
		}, ""},
		{"embedded and nested", `{"seed": 9, "data": {"path": "a.txt"}, "tags": {"x": "y"}, "every": 1000000000}`, func(c *testConfig) {
			c.Seed = 9
			c.Data.Path = "a.txt"
			c.Tags = map[string]string{"x": "y"}
			c.Every = time.Second
		}, ""},
		{"empty object", `{}`, func(*testConfig) {}, ""},
		{"unknown key", `{"model": {"dmodel": 3}}`, nil, "unknown key model.dmodel; did you mean model.d_model?"},
		{"wrong case", `{"Steps": 3}`, nil, "unknown key Steps; did you mean steps?"},
		{"unknown top key", `{"zzz": 1}`, nil, "unknown key zzz; the keys of the top level are compile, data, every, model"},
		{"wrong type", `{"model": {"d_model": "big"}}`, nil, "key model.d_model: value of JSON type string, expected an integer (int)"},
		{"not an object", `[1]`, nil, "must hold a JSON object"},
		{"short array", `{"optim": {"Betas": [0.9]}}`, nil, "key optim.Betas: 1 values, expected 2"},
		{"invalid JSON", `{"steps": }`, nil, "invalid JSON"},
		{"trailing data", `{"steps": 1} {"steps": 2}`, nil, "invalid JSON"},
	}
	dir := t.TempDir()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("c%d.json", i))
			if err := os.WriteFile(path, []byte(tc.json), 0o644); err != nil {
				t.Fatal(err)
			}
			got := defaults()
			err := Load(path, &got)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
					t.Errorf("err = %v, want it to contain %q and the path", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := defaults()
			tc.edit(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
	if err := Load(filepath.Join(dir, "missing.json"), &testConfig{}); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: err = %v", err)
	}
}

// TestDumpLoadRoundTrip checks that a dumped configuration loads back equal.
func TestDumpLoadRoundTrip(t *testing.T) {
	c := defaults()
	for _, a := range []string{"model.layers=[1,2]", "every=2s", "tags={\"k\":\"v\"}", "seed=5", "scale=2"} {
		if err := Set(&c, a); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Dump(c)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	var back testConfig
	if err := Load(path, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("dumped\n%s\nloaded back %+v", s, back)
	}
	if _, err := Dump(map[string]interface{}{"f": func() {}}); err == nil {
		t.Error("Dump of a function: no error")
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"dmodel", "dmodel", 0}, {"héllo", "hello", 1},
	}
	for _, tc := range tests {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func Example() {
	type Config struct {
		Model struct {
			DModel int `json:"d_model"`
			Heads  int `json:"heads"`
		} `json:"model"`
		Optim struct {
			LR float64 `json:"lr"`
		} `json:"optim"`
	}
	var c Config
	c.Model.DModel, c.Model.Heads, c.Optim.LR = 64, 4, 1e-3 // defaults
	for _, a := range []string{"model.d_model=128", "optim.lr=3e-4", "model.dmodel=1"} {
		if err := Set(&c, a); err != nil {
			fmt.Println(err)
		}
	}
	s, _ := Dump(c)
	fmt.Println(s)
	// Output:
	// config: unknown key model.dmodel; did you mean model.d_model?
	// {
	//   "model": {
	//     "d_model": 128,
	//     "heads": 4
	//   },
	//   "optim": {
	//     "lr": 0.0003
	//   }
	// }
}
