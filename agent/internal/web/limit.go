package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/ratelimit"
)

func signInTooMany(c *gin.Context, secs int) string {
	return T(c, "Too many sign-in attempts from this address. Try again in %d seconds.", secs)
}

// TooMany answers a request over a limit with a problem on the API, or
// with page (a form shown again with the message, in the page's language).
func (s *App) TooMany(limit *ratelimit.Limiter, msg func(c *gin.Context, secs int) string, page func(c *gin.Context, msg string)) gin.HandlerFunc {
	return limit.Handler(func(c *gin.Context, secs int) {
		if IsAPI(c) {
			problem.Write(c, problem.New(http.StatusTooManyRequests, problem.TypeRateLimited, msg(c, secs)))
			return
		}
		page(c, msg(c, secs))
	})
}

// LimitSignIn bounds the staff sign-in (form and API) and the
// participant's start and sign-in; a form comes back with the message and
// what was typed in it but the secrets.
func (s *App) LimitSignIn(page string, data func(c *gin.Context) gin.H) gin.HandlerFunc {
	return s.TooMany(s.SignInLimit, signInTooMany, func(c *gin.Context, msg string) {
		d := data(c)
		d["Error"] = msg
		s.RenderOwn(c, http.StatusTooManyRequests, page, s.SigninForm(c, d))
	})
}
