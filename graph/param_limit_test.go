package graph

import (
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

func TestSetParamLimit(t *testing.T) {
	cases := []struct {
		name   string
		limit  int
		shapes []tensor.Shape
		fails  int    // index of the first parameter refused; -1: none
		want   string // part of its error
	}{
		{"no limit", 0, []tensor.Shape{{3, 4}, {5}}, -1, ""},
		{"exactly at the limit", 17, []tensor.Shape{{3, 4}, {5}}, -1, ""},
		{"one element over", 16, []tensor.Shape{{3, 4}, {5}}, 1, `parameter "p1" of shape (5) would take the model past its limit of 16 parameter elements (12 used)`},
		{"huge shape refused before allocating", 100, []tensor.Shape{{1 << 20, 1 << 20}}, 0, "past its limit of 100"},
		{"shape whose size overflows int", 0, []tensor.Shape{{1 << 62, 1 << 62}}, 0, "past its limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, fromValues := range []bool{false, true} {
				m := NewModel(Float32, 1)
				m.SetParamLimit(c.limit)
				for i, s := range c.shapes {
					name := "p" + string(rune('0'+i))
					var err error
					if fromValues && s.TotalSize() <= 1<<10 && s.TotalSize() > 0 {
						_, err = m.NewParamFrom(name, s, make([]float64, s.TotalSize()))
					} else {
						_, err = m.NewParam(name, s, Zeros())
					}
					if i == c.fails {
						if err == nil || !strings.Contains(err.Error(), c.want) {
							t.Fatalf("parameter %d: error %v, want %q", i, err, c.want)
						}
						if len(m.Params()) != i {
							t.Fatalf("%d parameters after the refusal, want %d", len(m.Params()), i)
						}
						break
					}
					if err != nil {
						t.Fatalf("parameter %d: %v", i, err)
					}
				}
			}
		})
	}
}
