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
	s.Render(c, http.StatusOK, signinPage, s.SigninForm(c, gin.H{"Title": "Sign in", "Next": auth.SafeNext(c.Query("next"))}))
}

// signinPage is the staff sign-in page.
const signinPage = "signin.html"

// loginSubmit signs a user in; a form that does not do comes back with
// its mistakes next to the fields: an empty field, a wrong email or
// password (no one is told which), an account locked.
func (s *signinHandlers) loginSubmit(c *gin.Context) {
	next := auth.SafeNext(c.PostForm("next"))
	email, pw := c.PostForm("email"), c.PostForm("password")
	data := gin.H{"Title": "Sign in", "Next": next, "Email": email}
	if !s.SigninFormValid(c, signinPage, data) {
		return
	}
	errs := map[string]string{}
	if strings.TrimSpace(email) == "" {
		errs["email"] = "Enter your email address"
	}
	if pw == "" {
		errs["password"] = "Enter your password"
	}
	status := http.StatusUnprocessableEntity
	if len(errs) == 0 {
		_, tok, err := s.St.Login(c.Request.Context(), email, pw)
		switch {
		case errors.Is(err, store.ErrBadLogin):
			status, errs["password"] = http.StatusUnauthorized, "The email or password is wrong: check the email and type the password again"
		case errors.Is(err, store.ErrLocked):
			status, errs["email"] = http.StatusTooManyRequests, "Too many failed sign-ins: this account is locked for 15 minutes. Try again then"
			c.Header("Retry-After", strconv.Itoa(auth.RetryAfter(err, s.St.Now())))
		case err != nil:
			s.Respond(c, err)
			return
		default:
			auth.SetCookie(c, web.SessionCookie, tok, int(store.SessionTTL.Seconds()), s.SecureCookies)
			c.Redirect(http.StatusSeeOther, next)
			return
		}
	}
	data["Errors"] = errs
	s.Render(c, status, signinPage, s.SigninForm(c, data))
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
		// Nothing is made until the two passwords agree; every other
		// mistake is said at once with it.
		errs := map[string]string{}
		if err := store.CheckAccount(email, name, store.RoleDirector, pw); err != nil {
			fe, ok := web.FieldErrors(c, err)
			if !ok {
				s.Respond(c, err)
				return
			}
			errs = fe
		}
		errs["password2"] = "Type the same password twice: the two passwords differ"
		data["Errors"] = errs
		s.Render(c, http.StatusUnprocessableEntity, "setup.html", data)
		return
	}
	_, err := s.St.AddFirstUser(ctx, email, name, pw)
	if errors.Is(err, store.ErrSetUp) {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	if err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		data["Errors"] = fe
		s.Render(c, http.StatusUnprocessableEntity, "setup.html", data)
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}
