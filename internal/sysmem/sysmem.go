// Package sysmem tells how much memory a process may still take: what the
// kernel reports as available (MemAvailable in /proc/meminfo), lowered to
// the room left under the process's cgroup limit when one is set
// (memory.max minus memory.current, cgroup v2). The trainer checks a
// configuration's memory estimate against it before allocating anything.
package sysmem

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Available returns the bytes of memory available to this process.
func Available() (int64, error) {
	return available("/proc/meminfo", "/sys/fs/cgroup")
}

// available reads the meminfo file and the cgroup folder (files that are
// absent are skipped: no cgroup v2, or no limit).
func available(meminfo, cgroup string) (int64, error) {
	data, err := os.ReadFile(meminfo)
	if err != nil {
		return 0, errors.Wrap(err, "sysmem: reading the memory available")
	}
	avail := int64(-1)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, errors.Errorf("sysmem: %s: bad MemAvailable %q", meminfo, f[1])
			}
			avail = kb << 10
		}
	}
	if avail < 0 {
		return 0, errors.Errorf("sysmem: %s has no MemAvailable line", meminfo)
	}
	limit, lerr := readInt(cgroup + "/memory.max") // "max" when unlimited
	used, uerr := readInt(cgroup + "/memory.current")
	if lerr == nil && uerr == nil && limit-used < avail {
		avail = max(0, limit-used)
	}
	return avail, nil
}

// readInt reads a file holding one integer.
func readInt(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
}
