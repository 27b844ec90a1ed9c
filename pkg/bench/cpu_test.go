package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// clockTick is the unit of the CPU times in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux this runs on).
const clockTick = 10 * time.Millisecond

// procCPU is the CPU time (user and system) a process has used so far, or 0
// when it cannot be read (not Linux, or the process is gone).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it are fixed.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * clockTick
}

// backendCPU reads the CPU time of PostgreSQL backends by process id.
func backendCPU(pids []int) map[int]time.Duration {
	m := make(map[int]time.Duration, len(pids))
	for _, p := range pids {
		m[p] = procCPU(p)
	}
	return m
}

// cpuSince sums the CPU time backends used since an earlier reading; a
// backend that was not there then counts from zero.
func cpuSince(before, now map[int]time.Duration) time.Duration {
	var d time.Duration
	for p, c := range now {
		d += c - before[p]
	}
	return d
}

// clientBackends returns the process ids of the PostgreSQL backends serving
// a client process: its TCP connections to the server's port are matched
// with pg_stat_activity by client port. (The hub's connections stay open in
// its pool, so their backends' CPU time is what the hub made PostgreSQL do.)
func clientBackends(ctx context.Context, dsn string, clientPID int) ([]int, error) {
	ports, err := clientPorts(clientPID, 5432)
	if err != nil || len(ports) == 0 {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1) AND client_addr = '127.0.0.1'", ports)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}

// clientPorts lists the local ports of a process's IPv4 TCP connections to
// a remote port.
func clientPorts(pid, remotePort int) ([]int32, error) {
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil, err
	}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/tcp", pid))
	if err != nil {
		return nil, err
	}
	var ports []int32
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 10 || !inodes[f[9]] {
			continue
		}
		local, remote := f[1], f[2]
		rp, err1 := strconv.ParseInt(remote[strings.IndexByte(remote, ':')+1:], 16, 32)
		lp, err2 := strconv.ParseInt(local[strings.IndexByte(local, ':')+1:], 16, 32)
		if err1 == nil && err2 == nil && int(rp) == remotePort {
			ports = append(ports, int32(lp))
		}
	}
	return ports, nil
}

// perRecord is a CPU time per record in microseconds.
func perRecord(d time.Duration, n int) float64 {
	return float64(d.Microseconds()) / float64(n)
}
