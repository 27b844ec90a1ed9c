package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/ratelimit"
)

// Limits on what anyone may send without a session, per client address (a
// token bucket each, ratelimit.PerMinute: n at once, then n a minute).
//
// Sign-in (staff and participants together): the lock-out stops guessing
// one account's secret; this stops one address from trying a few on every
// account in turn, while a cohort signing in to their journals one after
// the other on a shared tablet still can.
//
// The anonymous survey: anyone who can reach the survey page can send it,
// so one address must not be able to fill the site's figures with made-up
// answers, while a whole cohort filling in the survey on one tablet (one
// address) at the end of a meeting still can.
const (
	DefaultSignInPerMinute = 30
	DefaultSurveyPerMinute = 30
)

type limits struct {
	signIn, survey *ratelimit.Limiter
}

func signInTooMany(secs int) string {
	return "Too many sign-in attempts from this address. Try again in " + strconv.Itoa(secs) + " seconds."
}

// tooMany answers a request over a limit with a problem on the API, or
// with page (a form shown again with the message).
func (s *app) tooMany(limit *ratelimit.Limiter, msg func(secs int) string, page func(c *gin.Context, msg string)) gin.HandlerFunc {
	return limit.Handler(func(c *gin.Context, secs int) {
		if isAPI(c) {
			problem.Write(c, problem.New(http.StatusTooManyRequests, problem.TypeRateLimited, msg(secs)))
			return
		}
		page(c, msg(secs))
	})
}

// limitSignIn bounds the staff sign-in (form and API) and the
// participant's start and sign-in; a form comes back with the message and
// what was typed in it but the secrets.
func (s *app) limitSignIn(page string, data func(c *gin.Context) gin.H) gin.HandlerFunc {
	return s.tooMany(s.limits.signIn, signInTooMany, func(c *gin.Context, msg string) {
		d := data(c)
		d["Error"] = msg
		s.renderOwn(c, http.StatusTooManyRequests, page, s.signinForm(c, d))
	})
}
