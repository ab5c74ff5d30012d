package graph

import "testing"

// TestPlaceByLifetime checks the offsets of the greedy placement: items
// whose lifetimes meet never overlap in memory, items that never live at
// the same time share it, and every offset is aligned.
func TestPlaceByLifetime(t *testing.T) {
	for _, tc := range []struct {
		name  string
		items []planItem
		total uintptr // the arena the placement must reach, no more
	}{
		{"disjoint lifetimes share one place", []planItem{
			{reg: 0, size: 100, life: lifetime{0, 1}}, {reg: 1, size: 100, life: lifetime{2, 3}}, {reg: 2, size: 50, life: lifetime{4, 9}},
		}, 100},
		{"overlapping lifetimes stack", []planItem{
			{reg: 0, size: 100, life: lifetime{0, 5}}, {reg: 1, size: 100, life: lifetime{5, 6}},
		}, 128 + 100},
		{"a small item fills the gap left by a dead large one", []planItem{
			{reg: 0, size: 1000, life: lifetime{0, 2}}, {reg: 1, size: 1000, life: lifetime{1, 9}},
			{reg: 2, size: 64, life: lifetime{3, 9}}, {reg: 3, size: 64, life: lifetime{3, 9}},
		}, 1024 + 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := append([]planItem(nil), tc.items...)
			total := placeByLifetime(items)
			if total != tc.total {
				t.Errorf("arena %d bytes, want %d", total, tc.total)
			}
			for i, a := range items {
				if a.off%planAlign != 0 || a.off+a.size > total {
					t.Errorf("item %d at %d (size %d) in an arena of %d: unaligned or outside", a.reg, a.off, a.size, total)
				}
				for _, b := range items[i+1:] {
					if a.life.meets(b.life) && a.off < b.off+b.size && b.off < a.off+a.size {
						t.Errorf("items %d [%d,%d) and %d [%d,%d) live together and overlap", a.reg, a.off, a.off+a.size, b.reg, b.off, b.off+b.size)
					}
				}
			}
		})
	}
}
