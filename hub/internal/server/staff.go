package server

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/problem"
)

func (s *Server) sessionToken(c *gin.Context) (string, bool) {
	if t := auth.Bearer(c); t != "" {
		return t, true
	}
	t, _ := c.Cookie(web.SessionCookie)
	return t, false
}

// requireStaff lets signed-in staff through. Pages send others to the sign-in
// page; the API answers 401. A state-changing request authenticated by the
// cookie must carry the session's CSRF token.
func (s *Server) requireStaff(page bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok, viaBearer := s.sessionToken(c)
		u, sess, err := s.staff.SessionUser(c.Request.Context(), tok)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			problem.Internal(c, s.log, err)
			return
		}
		if err != nil {
			if page {
				c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
				c.Abort()
				return
			}
			problem.Write(c, problem.New(http.StatusUnauthorized, problem.TypeUnauthorized, "Sign in first (POST /api/v1/auth/login) and send the session token as a Bearer token."))
			return
		}
		if !viaBearer && !auth.Safe(c.Request.Method) {
			// The audit entry of a refused form names who sent it.
			c.Set(ctxAuditActor, u)
			if !auth.CSRFValid(c, sess.CSRF) {
				if page {
					s.Render(c, http.StatusForbidden, "error.html", gin.H{"Title": "Form expired", "Message": "This form is out of date. Go back, reload the page and try again."})
					c.Abort()
					return
				}
				problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, "The CSRF token is missing or wrong."))
				return
			}
		}
		c.Set(web.CtxUser, u)
		c.Set(web.CtxSession, sess)
		c.Next()
	}
}

// requireRole lets only the given roles through. A user holding several
// roles acts, for the rest of the request, under the widest of them the
// route allows: handlers read u.Role and u.OrgID (a Program Director's
// organization) and see that role, never a wider one the route refuses.
func (s *Server) requireRole(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := c.MustGet(web.CtxUser).(store.User)
		if acting, ok := u.ActAs(roles...); ok {
			c.Set(web.CtxUser, acting)
			c.Next()
			return
		}
		if web.IsAPI(c) {
			problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, "Your role does not allow this."))
			return
		}
		s.Render(c, http.StatusForbidden, "error.html", gin.H{"Title": "Not allowed", "Message": "Your role does not allow this page."})
		c.Abort()
	}
}

func (s *Server) setSessionCookie(c *gin.Context, tok string, maxAge int) {
	auth.SetCookie(c, web.SessionCookie, tok, maxAge, s.cfg.SecureCookies)
}

// lockedMessage answers a sign-in to a locked account.
const lockedMessage = "Too many failed sign-ins. The account is locked for 15 minutes."

func (s *Server) apiLogin(c *gin.Context) {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if !s.ReadJSON(c, 16<<10, &req) {
		return
	}
	u, tok, err := s.staff.Login(c.Request.Context(), req.Email, req.Password)
	switch {
	case errors.Is(err, staff.ErrBadLogin):
		problem.Write(c, problem.New(http.StatusUnauthorized, problem.TypeUnauthorized, "The email or password is wrong."))
	case errors.Is(err, staff.ErrLocked):
		c.Header("Retry-After", strconv.Itoa(auth.RetryAfter(err, s.st.Now())))
		problem.Write(c, problem.New(http.StatusTooManyRequests, problem.TypeUnauthorized, lockedMessage))
	case err != nil:
		problem.Internal(c, s.log, err)
	default:
		c.Set(ctxAuditActor, u)
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

func (s *Server) apiMe(c *gin.Context) {
	c.JSON(http.StatusOK, userView(c.MustGet(web.CtxUser).(store.User)))
}

// loginData is what the sign-in page shows: the local form (with its
// token against login CSRF, see auth.FormGuard) and, when a provider is
// configured, the button to sign in through it.
func (s *Server) loginData(c *gin.Context, next string) gin.H {
	d := gin.H{"Title": "Sign in", "Next": next, "CSRF": s.signin.Token(c)}
	if s.oidc != nil {
		d["Provider"] = s.oidc.cfg.Name
		d["ProviderURL"] = "/auth/oidc/start?next=" + url.QueryEscape(next)
	}
	return d
}

func (s *Server) loginPage(c *gin.Context) {
	s.Render(c, http.StatusOK, "login.html", s.loginData(c, auth.SafeNext(c.Query("next"))))
}

// formExpired is the sign-in form's answer to a post without its token
// (the page was open for hours, or the form was sent from another site).
const formExpired = "The sign-in form had expired. Sign in again."

func (s *Server) loginSubmit(c *gin.Context) {
	next := auth.SafeNext(c.PostForm("next"))
	email := c.PostForm("email")
	if !s.signin.Valid(c) {
		d := s.loginData(c, next)
		d["Email"], d["Error"] = email, formExpired
		s.Render(c, http.StatusForbidden, "login.html", d)
		return
	}
	u, tok, err := s.staff.Login(c.Request.Context(), email, c.PostForm("password"))
	if errors.Is(err, staff.ErrBadLogin) || errors.Is(err, staff.ErrLocked) {
		d := s.loginData(c, next)
		d["Email"], d["Error"] = email, "The email or password is wrong."
		status := http.StatusUnauthorized
		if errors.Is(err, staff.ErrLocked) {
			d["Error"], status = lockedMessage, http.StatusTooManyRequests
			c.Header("Retry-After", strconv.Itoa(auth.RetryAfter(err, s.st.Now())))
		}
		s.Render(c, status, "login.html", d)
		return
	}
	if err != nil {
		s.log.Error("login", "err", err)
		s.Render(c, http.StatusInternalServerError, "error.html", gin.H{"Title": "Sign-in failed", "Message": "The hub could not sign you in. The failure has been logged."})
		return
	}
	c.Set(ctxAuditActor, u)
	s.setSessionCookie(c, tok, int(store.SessionTTL.Seconds()))
	c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) logout(c *gin.Context) {
	tok, _ := s.sessionToken(c)
	_ = s.staff.Logout(c.Request.Context(), tok)
	s.setSessionCookie(c, "", -1)
	c.Redirect(http.StatusSeeOther, "/login")
}
