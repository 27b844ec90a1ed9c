package staff

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/problem"
)

func (s *Handlers) setSessionCookie(c *gin.Context, tok string, maxAge int) {
	auth.SetCookie(c, web.SessionCookie, tok, maxAge, s.secure)
}

// lockedMessage answers a sign-in to a locked account.
const lockedMessage = "Too many failed sign-ins. The account is locked for 15 minutes."

func (s *Handlers) APILogin(c *gin.Context) {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if !s.ReadJSON(c, 16<<10, &req) {
		return
	}
	u, tok, err := s.staff.Login(c.Request.Context(), req.Email, req.Password)
	switch {
	case errors.Is(err, ErrBadLogin):
		problem.Write(c, problem.New(http.StatusUnauthorized, problem.TypeUnauthorized, "The email or password is wrong."))
	case errors.Is(err, ErrLocked):
		c.Header("Retry-After", strconv.Itoa(auth.RetryAfter(err, s.St.Now())))
		problem.Write(c, problem.New(http.StatusTooManyRequests, problem.TypeUnauthorized, lockedMessage))
	case err != nil:
		s.Respond(c, err)
	default:
		c.Set(web.CtxAuditActor, u)
		c.JSON(http.StatusOK, gin.H{"token": tok, "user": userView(u)})
	}
}

// userView is the signed-in user: role and org_id are the role they act
// under by default (the widest) and its organization; roles lists all.
func userView(u store.User) gin.H {
	grants := u.Grants
	if grants == nil {
		grants = []store.Grant{}
	}
	return gin.H{"id": u.ID, "email": u.Email, "name": u.Name, "role": u.Role, "org_id": u.OrgID, "roles": grants}
}

func (s *Handlers) APIMe(c *gin.Context) {
	c.JSON(http.StatusOK, userView(c.MustGet(web.CtxUser).(store.User)))
}

// LoginData is what the sign-in page shows: the local form (with its
// token against login CSRF, see auth.FormGuard) and, when a provider is
// configured, the button to sign in through it.
func (s *Handlers) LoginData(c *gin.Context, next string) gin.H {
	d := gin.H{"Title": "Sign in", "Next": next, "CSRF": s.signin.Token(c)}
	if s.oidc != nil {
		d["Provider"] = s.oidc.cfg.Name
		d["ProviderURL"] = "/auth/oidc/start?next=" + url.QueryEscape(next)
	}
	return d
}

func (s *Handlers) LoginPage(c *gin.Context) {
	s.Render(c, http.StatusOK, "login.html", s.LoginData(c, auth.SafeNext(c.Query("next"))))
}

// formExpired is the sign-in form's answer to a post without its token
// (the page was open for hours, or the form was sent from another site).
const formExpired = "The sign-in form had expired. Sign in again."

func (s *Handlers) LoginSubmit(c *gin.Context) {
	next := auth.SafeNext(c.PostForm("next"))
	email := c.PostForm("email")
	if !s.signin.Valid(c) {
		d := s.LoginData(c, next)
		d["Email"], d["Error"] = email, formExpired
		s.Render(c, http.StatusForbidden, "login.html", d)
		return
	}
	u, tok, err := s.staff.Login(c.Request.Context(), email, c.PostForm("password"))
	if errors.Is(err, ErrBadLogin) || errors.Is(err, ErrLocked) {
		d := s.LoginData(c, next)
		d["Email"], d["Error"] = email, "The email or password is wrong."
		status := http.StatusUnauthorized
		if errors.Is(err, ErrLocked) {
			d["Error"], status = lockedMessage, http.StatusTooManyRequests
			c.Header("Retry-After", strconv.Itoa(auth.RetryAfter(err, s.St.Now())))
		}
		s.Render(c, status, "login.html", d)
		return
	}
	if fe, ok := web.FieldErrors(c, err); ok {
		// A form the hub could not take as it was sent (web.MarkUnclean).
		d := s.LoginData(c, next)
		d["Email"], d["Errors"] = c.PostForm("email"), map[string]map[string]string{"signin": fe}
		s.Render(c, http.StatusUnprocessableEntity, "login.html", d)
		return
	}
	if err != nil {
		s.Log.Error("login", "err", err)
		s.Render(c, http.StatusInternalServerError, "error.html", gin.H{"Title": "Sign-in failed", "Message": "The hub could not sign you in. The failure has been logged."})
		return
	}
	c.Set(web.CtxAuditActor, u)
	s.setSessionCookie(c, tok, int(store.SessionTTL.Seconds()))
	c.Redirect(http.StatusSeeOther, next)
}

func (s *Handlers) Logout(c *gin.Context) {
	tok, _ := web.SessionToken(c)
	_ = s.staff.Logout(c.Request.Context(), tok)
	s.setSessionCookie(c, "", -1)
	c.Redirect(http.StatusSeeOther, "/login")
}
