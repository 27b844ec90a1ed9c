package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/ratelimit"
)

// Limits on what anyone may ask without a session, per client address (a
// token bucket each, ratelimit.PerMinute: n at once, then n a minute), in
// each replica's memory.
//
// Verification: with 80-bit random codes, at most a few tens of thousands
// of guesses an hour against 2^80 codes make guessing hopeless. All clients
// together get twenty times one client's share as well, so that many
// addresses cannot add up to more.
//
// Sign-in: the lock-out stops guessing one account's password; this stops
// one address from trying a few passwords on every account in turn, while
// leaving room for a whole office behind one address signing in in the
// morning.
type limits struct {
	verify, verifyAll, signIn *ratelimit.Limiter
}

func newLimits(cfg Config) limits {
	return limits{verify: ratelimit.PerMinute(cfg.VerifyPerMinute), verifyAll: ratelimit.PerMinute(20 * cfg.VerifyPerMinute),
		signIn: ratelimit.PerMinute(cfg.SignInPerMinute)}
}

// tooMany answers a request over a limit: a problem for the API, a page
// otherwise (page draws it; nil for the error page with msg).
func (s *Server) tooMany(c *gin.Context, msg string, page func(c *gin.Context, msg string)) {
	if web.IsAPI(c) {
		problem.Write(c, problem.New(http.StatusTooManyRequests, problem.TypeRateLimited, msg))
		return
	}
	if page != nil {
		page(c, msg)
		return
	}
	s.Render(c, http.StatusTooManyRequests, "error.html", gin.H{"Title": "Too many requests", "Message": msg})
}

// limitVerify bounds public verification requests per client address.
func (s *Server) limitVerify(c *gin.Context) {
	ok, wait := s.limits.verify.Allow(c.ClientIP())
	if ok {
		ok, wait = s.limits.verifyAll.Allow("")
	}
	if ok {
		c.Next()
		return
	}
	secs := ratelimit.Seconds(wait)
	c.Header("Retry-After", strconv.Itoa(secs))
	s.tooMany(c, "Too many verification requests from this address. Try again in "+strconv.Itoa(secs)+" seconds.", nil)
	c.Abort()
}

// limitSignIn bounds sign-in attempts per client address: the sign-in
// page shows the form again with the message.
func (s *Server) limitSignIn() gin.HandlerFunc {
	return s.limits.signIn.Handler(func(c *gin.Context, secs int) {
		s.tooMany(c, "Too many sign-in attempts from this address. Try again in "+strconv.Itoa(secs)+" seconds.", func(c *gin.Context, msg string) {
			next := c.PostForm("next")
			if next == "" {
				next = c.Query("next")
			}
			d := s.h.staff.LoginData(c, auth.SafeNext(next))
			d["Email"], d["Error"] = c.PostForm("email"), msg
			s.Render(c, http.StatusTooManyRequests, "login.html", d)
		})
	})
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

// maxPageBytes bounds the body of a page's form (none but the kits' takes
// a file, and those are bounded by limitUploads): below the 10 MB the
// standard library reads of a form, so a form let through is read whole.
const maxPageBytes = 8 << 20

// pageForm tells a request to a page other than the kits': the API and the
// sync protocol bound their bodies as they read them.
func (s *Server) pageForm(c *gin.Context) bool {
	return !s.refusals().IsAPI(c) && !strings.HasPrefix(c.Request.URL.Path, "/kits/")
}
