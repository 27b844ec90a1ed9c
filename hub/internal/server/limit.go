package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/problem"
)

// rateLimiter allows each client a number of requests per window, and all
// clients together twenty times that (a client address can be forged in
// X-Forwarded-For). With 80-bit random codes it makes guessing
// verification codes hopeless: at most a few tens of thousands of guesses
// an hour against 2^80 codes.
type rateLimiter struct {
	mu     sync.Mutex
	per    int
	total  int
	window time.Duration
	now    func() time.Time
	start  time.Time
	counts map[string]int
}

func newRateLimiter(per int, window time.Duration, now func() time.Time) *rateLimiter {
	return &rateLimiter{per: per, total: 20 * per, window: window, now: now, start: now(), counts: map[string]int{}}
}

// allow counts a request of a client and reports whether it is within the
// limit, and if not, how long until the window turns.
func (l *rateLimiter) allow(client string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.start) >= l.window {
		l.start, l.counts = now, map[string]int{}
	}
	l.counts[client]++
	l.counts[""]++
	if l.counts[client] > l.per || l.counts[""] > l.total {
		return false, l.window - now.Sub(l.start)
	}
	return true, 0
}

// limitVerify bounds public verification requests per client address.
func (s *Server) limitVerify(c *gin.Context) {
	ok, wait := s.verifyLimit.allow(c.ClientIP())
	if ok {
		c.Next()
		return
	}
	secs := int(wait.Seconds()) + 1
	c.Header("Retry-After", strconv.Itoa(secs))
	msg := "Too many verification requests from this address. Try again in " + strconv.Itoa(secs) + " seconds."
	if isAPI(c) {
		problem.Write(c, problem.New(http.StatusTooManyRequests, problem.TypeRateLimited, msg))
		return
	}
	s.render(c, http.StatusTooManyRequests, "error.html", gin.H{"Title": "Too many requests", "Message": msg})
	c.Abort()
}

// limitUploads bounds the bodies of the kit pages and draft API, which take
// files, before anything (the CSRF check) parses a form.
func limitUploads(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := c.Request.URL.Path
		if c.Request.Body != nil && (strings.HasPrefix(p, "/kits/") || strings.HasPrefix(p, "/api/v1/release-drafts")) {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		}
		c.Next()
	}
}
