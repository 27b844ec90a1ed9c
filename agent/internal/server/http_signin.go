package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
	"github.com/itsmylife/iml/pkg/auth"
	"github.com/itsmylife/iml/pkg/problem"
)

// signinHandlers are staff sign-in and sign-out (page and API) and the
// first-run set-up of the Program Director's account.
type signinHandlers struct{ *web.App }

func (s *signinHandlers) apiLogin(c *gin.Context) {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if !web.BindJSON(c, &req) {
		return
	}
	u, tok, err := s.St.Login(c.Request.Context(), req.Email, req.Password)
	switch {
	case errors.Is(err, store.ErrBadLogin):
		problem.Write(c, problem.New(http.StatusUnauthorized, problem.TypeUnauthorized, "The email or password is wrong."))
	case errors.Is(err, store.ErrLocked):
		c.Header("Retry-After", strconv.Itoa(auth.RetryAfter(err, s.St.Now())))
		problem.Write(c, problem.New(http.StatusTooManyRequests, problem.TypeUnauthorized, "Too many failed sign-ins. The account is locked for 15 minutes."))
	case err != nil:
		s.Respond(c, err)
	default:
		c.JSON(http.StatusOK, gin.H{"token": tok, "user": gin.H{"id": u.ID, "email": u.Email, "name": u.Name, "role": u.Role}})
	}
}

func (s *signinHandlers) loginPage(c *gin.Context) {
	if n, err := s.St.UserCount(c.Request.Context()); err == nil && n == 0 {
		c.Redirect(http.StatusSeeOther, "/setup")
		return
	}
	s.Render(c, http.StatusOK, "login.html", s.SigninForm(c, gin.H{"Title": "Sign in", "Next": auth.SafeNext(c.Query("next"))}))
}

func (s *signinHandlers) loginSubmit(c *gin.Context) {
	next := auth.SafeNext(c.PostForm("next"))
	email := c.PostForm("email")
	if !s.SigninFormValid(c, "login.html", gin.H{"Title": "Sign in", "Next": next, "Email": email}) {
		return
	}
	_, tok, err := s.St.Login(c.Request.Context(), email, c.PostForm("password"))
	if errors.Is(err, store.ErrBadLogin) || errors.Is(err, store.ErrLocked) {
		msg, status := "The email or password is wrong.", http.StatusUnauthorized
		if errors.Is(err, store.ErrLocked) {
			msg, status = "Too many failed sign-ins. The account is locked for 15 minutes.", http.StatusTooManyRequests
			c.Header("Retry-After", strconv.Itoa(auth.RetryAfter(err, s.St.Now())))
		}
		s.Render(c, status, "login.html", s.SigninForm(c, gin.H{"Title": "Sign in", "Next": next, "Email": email, "Error": msg}))
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	auth.SetCookie(c, web.SessionCookie, tok, int(store.SessionTTL.Seconds()), s.SecureCookies)
	c.Redirect(http.StatusSeeOther, next)
}

func (s *signinHandlers) logout(c *gin.Context) {
	tok, _ := c.Cookie(web.SessionCookie)
	_ = s.St.Logout(c.Request.Context(), tok)
	auth.SetCookie(c, web.SessionCookie, "", -1, s.SecureCookies)
	c.Redirect(http.StatusSeeOther, "/login")
}

// setupPage creates the first Program Director account; it exists only
// until there is one account.
func (s *signinHandlers) setupPage(c *gin.Context) {
	if n, err := s.St.UserCount(c.Request.Context()); err != nil || n > 0 {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	s.Render(c, http.StatusOK, "setup.html", s.SigninForm(c, gin.H{"Title": "Set up this site"}))
}

func (s *signinHandlers) setupSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	if n, err := s.St.UserCount(ctx); err != nil || n > 0 {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	name, email, pw := c.PostForm("name"), c.PostForm("email"), c.PostForm("password")
	data := gin.H{"Title": "Set up this site", "Name": name, "Email": email}
	if !s.SigninFormValid(c, "setup.html", data) {
		return
	}
	s.SigninForm(c, data)
	if pw != c.PostForm("password2") {
		data["Error"] = "The two passwords differ."
		s.Render(c, http.StatusUnprocessableEntity, "setup.html", data)
		return
	}
	if _, err := s.St.AddFirstUser(ctx, email, name, pw); err != nil {
		if errors.Is(err, store.ErrSetUp) {
			c.Redirect(http.StatusSeeOther, "/login")
			return
		}
		var ve *store.ValidationError
		if errors.As(err, &ve) {
			data["Error"] = strings.ReplaceAll(ve.Field, "_", " ") + " " + ve.Msg
			s.Render(c, http.StatusUnprocessableEntity, "setup.html", data)
			return
		}
		s.Respond(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}
