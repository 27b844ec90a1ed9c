package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestProgressElsewhereThanATerminal: written to something other than a
// terminal, progress is whole lines without carriage returns, at most one
// per interval, and the last always.
func TestProgressElsewhereThanATerminal(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b)
	clock := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return clock }
	for i := 1; i <= 100; i++ {
		clock = clock.Add(100 * time.Millisecond) // 10 s in all
		p.Update(i == 100, "sent %d of 100", i)
	}
	p.Done()
	out := b.String()
	if strings.Contains(out, "\r") {
		t.Fatalf("carriage return in %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 2 || len(lines) > 4 || lines[0] != "sent 1 of 100" || lines[len(lines)-1] != "sent 100 of 100" {
		t.Fatalf("lines %q", lines)
	}
	if IsTerminal(&b) {
		t.Fatal("a buffer taken for a terminal")
	}
}
