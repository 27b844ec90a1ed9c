package web

import (
	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/auth"
)

// What the middleware leaves in a request's context for the handlers.
const (
	// SessionCookie holds a staff member's session token.
	SessionCookie = "iml_hub_session"
	// CtxUser is the signed-in staff member (store.User).
	CtxUser = "iml.user"
	// CtxSession is their session (store.Session).
	CtxSession = "iml.session"
	// CtxSiteID is the id of the site an agent's credential names.
	CtxSiteID = "iml.site"
	// CtxSite is that site (store.Site).
	CtxSite = "iml.site.row"
)

// ActorName is how the log names the signed-in staff member.
func ActorName(c *gin.Context) string {
	u := c.MustGet(CtxUser).(store.User)
	return u.Email
}

// User is the signed-in staff member.
func User(c *gin.Context) store.User { return c.MustGet(CtxUser).(store.User) }

// StaffName is how a change names the staff member who made it.
func StaffName(c *gin.Context) string {
	u := c.MustGet(CtxUser).(store.User)
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// Site is the site an agent's credential names.
func Site(c *gin.Context) store.Site { return c.MustGet(CtxSite).(store.Site) }

// IsAPI reports whether a request is to the API (answered in JSON) rather
// than a page.
func IsAPI(c *gin.Context) bool {
	p := c.Request.URL.Path
	return len(p) >= 5 && p[:5] == "/api/"
}

// CtxAuditActor is the account a sign-in handler identified (signed in or
// refused), for the audit entry of a request that had no session.
const CtxAuditActor = "iml.audit.actor"

// SessionToken is the staff session token a request carries, and whether
// it came as a bearer token (the API) rather than the cookie.
func SessionToken(c *gin.Context) (string, bool) {
	if t := auth.Bearer(c); t != "" {
		return t, true
	}
	t, _ := c.Cookie(SessionCookie)
	return t, false
}
