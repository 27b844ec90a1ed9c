package server

import (
	"io"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/problem"
)

// maxRequestBytes bounds every request body before anything reads it (the
// sign-in and CSRF checks parse forms): the largest legitimate one is a
// receipt upload, which the stipend rules bound more tightly.
const maxRequestBytes = 12 << 20

// accessLog logs method, path template, status and time: never a body, a
// query or a participant's id.
func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		path := c.FullPath()
		if path == "" {
			path = "(unmatched)"
		}
		if web.SurveyRoute(path) {
			return // when a survey came in is not kept anywhere
		}
		if problem.GoneUnlogged(c) {
			// The body broke off: the client went away mid-request,
			// whatever the handler made of what it could read.
			problem.LogGone(c, s.Log, io.ErrUnexpectedEOF)
		}
		s.Log.Info("http", "method", c.Request.Method, "route", path, "status", c.Writer.Status(), "ms", time.Since(start).Milliseconds())
	}
}
