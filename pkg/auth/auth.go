// Package auth holds the pieces of local sign-in both programs share:
// password hashing (bcrypt), session cookies, bearer tokens, CSRF checks and
// safe redirects. Each program keeps its own accounts and sessions.
package auth

import (
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/itsmylife/iml/pkg/secret"
)

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 12

// ErrWeakPassword is returned for a password that is too short.
var ErrWeakPassword = errors.New("the password must be at least 12 characters")

// HashPassword hashes a password with bcrypt.
func HashPassword(pw string) (string, error) {
	if len(pw) < MinPasswordLen {
		return "", ErrWeakPassword
	}
	if len(pw) > 72 {
		return "", errors.New("the password must be at most 72 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no account has this password"), bcrypt.DefaultCost)
	return h
})

// CheckPassword compares a password with a hash. With an empty hash (no
// such account) it still spends the time of a comparison, so a wrong email
// cannot be told from a wrong password by timing.
func CheckPassword(hash, pw string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// Bearer returns the bearer token of a request, if any.
func Bearer(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// SetCookie sets (maxAge > 0) or clears (maxAge < 0) a session cookie.
func SetCookie(c *gin.Context, name, value string, maxAge int, secure bool) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// CSRFValid checks the token a state-changing request carries, in the
// X-CSRF-Token header or the csrf form field, against the session's.
func CSRFValid(c *gin.Context, expected string) bool {
	got := c.GetHeader("X-CSRF-Token")
	if got == "" {
		got = c.PostForm("csrf")
	}
	return expected != "" && secret.Equal(got, expected)
}

// Safe reports whether a request method changes nothing.
func Safe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}
