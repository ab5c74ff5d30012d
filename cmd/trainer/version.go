package main

import (
	"fmt"
	"runtime/debug"
)

// version describes this build: the module version, and the VCS revision
// and time the binary was built from (with "+modified" for a working tree
// with uncommitted changes), as the Go toolchain records them.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "trainer (no build information)"
	}
	v := fmt.Sprintf("trainer %s %s", info.Main.Path, info.Main.Version)
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		v += ", revision " + rev
		if t := settings["vcs.time"]; t != "" {
			v += " (" + t + ")"
		}
		if settings["vcs.modified"] == "true" {
			v += "+modified"
		}
	}
	return v + ", " + info.GoVersion
}
