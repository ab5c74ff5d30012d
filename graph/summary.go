package graph

import (
	"fmt"
	"strings"
)

// Summary returns a table of the model's parameters in creation order (name,
// shape, element count, and "frozen" where it applies) and their total, like
// Keras' model.summary().
func (m *Model) Summary() string {
	nameW, shapeW := len("parameter"), len("shape")
	shapes := make([]string, len(m.params))
	for i, p := range m.params {
		shapes[i] = fmt.Sprint(p.node.Shape())
		nameW = max(nameW, len(p.name))
		shapeW = max(shapeW, len(shapes[i]))
	}
	var b strings.Builder
	line := strings.Repeat("-", nameW+shapeW+16) + "\n"
	fmt.Fprintf(&b, "%-*s  %-*s  %12s\n", nameW, "parameter", shapeW, "shape", "count")
	b.WriteString(line)
	total, trainable := 0, 0
	for i, p := range m.params {
		n := p.Size()
		total += n
		note := ""
		if p.frozen {
			note = "  frozen"
		} else {
			trainable += n
		}
		fmt.Fprintf(&b, "%-*s  %-*s  %12d%s\n", nameW, p.name, shapeW, shapes[i], n, note)
	}
	b.WriteString(line)
	fmt.Fprintf(&b, "total %d parameters (%d trainable) in %d tensors, %v\n", total, trainable, len(m.params), m.dtype)
	return b.String()
}
