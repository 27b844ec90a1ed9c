package cli

import (
	"fmt"
	"io"
	"os"
	"time"
)

// Progress writes a running count of long work (a sync, an import). On a
// terminal it is one line rewritten in place; anywhere else (a log file, a
// pipe, a service's journal) it is whole lines, at most one every Every
// and the last one always, so that what is kept reads as lines.
type Progress struct {
	w     io.Writer
	tty   bool
	open  bool      // a terminal line is written and not yet ended
	last  time.Time // when a line was last written elsewhere
	Every time.Duration
	now   func() time.Time
}

// NewProgress writes progress to w.
func NewProgress(w io.Writer) *Progress {
	return &Progress{w: w, tty: IsTerminal(w), Every: 5 * time.Second, now: time.Now}
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Update shows the count; last says it is the final one.
func (p *Progress) Update(last bool, format string, args ...any) {
	if p.tty {
		fmt.Fprintf(p.w, "\r"+format, args...)
		p.open = true
		if last {
			p.Done()
		}
		return
	}
	if !last && !p.last.IsZero() && p.now().Sub(p.last) < p.Every {
		return
	}
	p.last = p.now()
	fmt.Fprintf(p.w, format+"\n", args...)
}

// Done ends the terminal line, if one is open, before other output.
func (p *Progress) Done() {
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}
