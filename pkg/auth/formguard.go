package auth

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/secret"
)

// FormGuard keeps the forms a browser sends before it has a session (the
// sign-in forms, a site's first-run set-up) from being sent by another
// site: without it, a page elsewhere could post its own account's email and
// password to the sign-in form and leave the visitor signed in as that
// account, typing their notes into it (login CSRF).
//
// The page that shows such a form puts a random token in a short-lived
// HttpOnly, SameSite=Lax cookie and in the form's hidden csrf field; the
// form is accepted only when the two are the same (compared in constant
// time). Another site can neither read the cookie nor set it, and a
// cross-site POST does not carry a Lax cookie at all. A browser that
// already holds a token keeps it, so two sign-in pages open side by side
// (or two agents on one host, whose cookies are shared) both work.
type FormGuard struct {
	// Cookie names the cookie, distinct per program.
	Cookie string
	// Secure marks the cookie Secure (served over HTTPS).
	Secure bool
}

// FormTokenTTL is how long a form's token lasts: a sign-in page left open
// longer asks for the form to be sent again.
const FormTokenTTL = 2 * time.Hour

// formTokenLen is the length of secret.Token("").
const formTokenLen = 43

// Token returns the token for a form on the page about to be shown, and
// sets (or renews) the cookie that holds it.
func (g FormGuard) Token(c *gin.Context) string {
	tok, err := c.Cookie(g.Cookie)
	if err != nil || !wellFormedToken(tok) {
		tok = secret.Token("")
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: g.Cookie, Value: tok, Path: "/", MaxAge: int(FormTokenTTL / time.Second),
		HttpOnly: true, Secure: g.Secure, SameSite: http.SameSiteLaxMode})
	return tok
}

// Valid reports whether a posted form carries, in its csrf field, the
// token of the browser's cookie.
func (g FormGuard) Valid(c *gin.Context) bool {
	tok, err := c.Cookie(g.Cookie)
	return err == nil && wellFormedToken(tok) && secret.Equal(c.PostForm("csrf"), tok)
}

// wellFormedToken tells a token this package made (43 characters of
// unpadded URL-safe base64) from anything else a cookie may hold.
func wellFormedToken(tok string) bool {
	if len(tok) != formTokenLen {
		return false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}
