package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc/PID/stat's times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// treeCPU is the user and system time of the processes rooted at root:
// root, every live descendant, and the children they reaped (a PostgreSQL
// backend that exited, say).
func treeCPU(root int) time.Duration {
	stats := map[int][]string{}
	children := map[int][]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		f := procStat(pid)
		if len(f) < 15 {
			continue
		}
		stats[pid] = f
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], pid)
	}
	var ticks int64
	var walk func(pid int)
	walk = func(pid int) {
		f := stats[pid]
		if f == nil {
			return
		}
		// utime, stime, and the cutime and cstime of reaped children
		ticks += field(f, 11) + field(f, 12) + field(f, 13) + field(f, 14)
		for _, c := range children[pid] {
			walk(c)
		}
	}
	walk(root)
	return time.Duration(ticks) * clockTick
}

// procStat returns the fields of /proc/PID/stat after the command name
// (field 3, the state, first), or nil.
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

func field(f []string, i int) int64 {
	n, _ := strconv.ParseInt(f[i], 10, 64)
	return n
}
