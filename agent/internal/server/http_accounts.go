package server

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
)

// accountHandlers are the staff accounts, which only the Program Director
// manages: adding a coach's account, disabling and enabling it, and
// setting its password (the last two end the account's sessions).
type accountHandlers struct{ *web.App }

// accountDone are the notices after a change, by ?done.
var accountDone = map[string]string{
	"added":    "The account was added. Give the coach their email and password in person.",
	"disabled": "The account was disabled: its sessions ended and it cannot sign in.",
	"enabled":  "The account was enabled: it can sign in again.",
	"password": "The password was set: the account's sessions ended. Give the coach the new password in person.",
}

func (s *accountHandlers) accountsPage(c *gin.Context) {
	s.showAccounts(c, http.StatusOK, gin.H{"Done": accountDone[c.Query("done")]})
}

// showAccounts draws the accounts page; data holds a form shown again
// with its errors (AddErrors and AddForm, or PasswordErrors for the
// account PasswordFor, or AccountError).
func (s *accountHandlers) showAccounts(c *gin.Context, status int, data gin.H) {
	us, err := s.St.AllUsers(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	// A new password's mistakes are shown beside the coach's account: one
	// this page does not list is no such account.
	if id, _ := data["PasswordFor"].(string); id != "" && !slices.ContainsFunc(us, func(u store.User) bool { return u.ID == id && u.Role == store.RoleCoach }) {
		s.Respond(c, web.NotFound(store.ErrNotFound, "No such account."))
		return
	}
	data["Title"], data["Accounts"], data["Now"] = "Accounts", us, s.St.Now()
	if _, ok := data["AddForm"]; !ok {
		data["AddForm"] = gin.H{}
	}
	s.Render(c, status, "accounts.html", data)
}

// accountFail shows the page again with a form's mistakes (in data[key];
// a message about no field, or any of a form without fields (key ""), at
// the top), or answers any other error.
func (s *accountHandlers) accountFail(c *gin.Context, err error, data gin.H, key string) {
	fe, ok := web.FieldErrors(c, err)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.Respond(c, web.NotFound(err, "No such account."))
	case !ok:
		s.Respond(c, err)
	case fe["account"] != "" || key == "":
		delete(data, "PasswordFor")
		data["AccountError"] = web.Sentence("account", fe["account"])
		if fe["account"] == "" {
			data["AccountError"] = "Nothing was changed: reload the page and try again."
		}
		s.showAccounts(c, http.StatusUnprocessableEntity, data)
	default:
		data[key] = fe
		s.showAccounts(c, http.StatusUnprocessableEntity, data)
	}
}

func (s *accountHandlers) addAccountSubmit(c *gin.Context) {
	f := gin.H{"Name": c.PostForm("name"), "Email": c.PostForm("email")}
	if fe := web.RepeatedFields(c, "name", "email", "password"); len(fe) > 0 {
		s.showAccounts(c, http.StatusUnprocessableEntity, gin.H{"AddForm": f, "AddErrors": fe})
		return
	}
	u, err := s.St.AddUser(c.Request.Context(), c.PostForm("email"), c.PostForm("name"), store.RoleCoach, c.PostForm("password"))
	if err == nil {
		err = s.St.Audit(c.Request.Context(), web.CurrentUser(c), "add_account", "user", u.ID, u.Email)
	}
	if err != nil {
		s.accountFail(c, err, gin.H{"AddForm": f}, "AddErrors")
		return
	}
	c.Redirect(http.StatusSeeOther, "/accounts?done=added#account-"+u.ID)
}

// setDisabled disables (or enables) account :uid.
func (s *accountHandlers) setDisabled(disabled bool) gin.HandlerFunc {
	action, done := "enable_account", "enabled"
	if disabled {
		action, done = "disable_account", "disabled"
	}
	return func(c *gin.Context) {
		u, err := s.St.SetUserDisabled(c.Request.Context(), c.Param("uid"), disabled)
		if err == nil {
			err = s.St.Audit(c.Request.Context(), web.CurrentUser(c), action, "user", u.ID, u.Email)
		}
		if err != nil {
			s.accountFail(c, err, gin.H{}, "")
			return
		}
		c.Redirect(http.StatusSeeOther, "/accounts?done="+done+"#account-"+u.ID)
	}
}

func (s *accountHandlers) passwordSubmit(c *gin.Context) {
	if fe := web.RepeatedFields(c, "password"); len(fe) > 0 {
		s.accountFail(c, &store.ValidationError{Field: "password", Msg: fe["password"]}, gin.H{"PasswordFor": c.Param("uid")}, "PasswordErrors")
		return
	}
	u, err := s.St.SetPassword(c.Request.Context(), c.Param("uid"), c.PostForm("password"))
	if err == nil {
		err = s.St.Audit(c.Request.Context(), web.CurrentUser(c), "set_password", "user", u.ID, u.Email)
	}
	if err != nil {
		s.accountFail(c, err, gin.H{"PasswordFor": c.Param("uid")}, "PasswordErrors")
		return
	}
	c.Redirect(http.StatusSeeOther, "/accounts?done=password#account-"+u.ID)
}
