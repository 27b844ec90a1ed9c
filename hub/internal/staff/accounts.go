package staff

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/problem"
)

// accountView is a staff account as the API shows it to admins.
func accountView(u store.User, as []store.RoleAssignment) gin.H {
	roles := []gin.H{}
	for _, a := range as {
		roles = append(roles, gin.H{"id": a.ID, "role": a.Role, "org_id": a.OrgID, "created_by": a.CreatedBy, "created_at": a.CreatedAt})
	}
	v := gin.H{"id": u.ID, "email": u.Email, "name": u.Name, "local": u.Local(), "last_login_at": u.LastLoginAt, "assignments": roles,
		"locked_until": u.LockedUntil}
	if u.Issuer != nil {
		v["issuer"] = *u.Issuer
	}
	return v
}

// account is a staff account with its hub role assignments.
type account struct {
	User        store.User
	Assignments []store.RoleAssignment
}

func (s *Handlers) accounts(ctx context.Context) ([]account, error) {
	us, err := s.staff.Users(ctx)
	if err != nil {
		return nil, err
	}
	var out []account
	for _, u := range us {
		as, err := s.staff.Assignments(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, account{u, as})
	}
	return out, nil
}

func (s *Handlers) APIUsers(c *gin.Context) {
	as, err := s.accounts(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	out := []gin.H{}
	for _, a := range as {
		out = append(out, accountView(a.User, a.Assignments))
	}
	c.JSON(http.StatusOK, out)
}

// findAccount answers 404 for an unknown user id.
func (s *Handlers) findAccount(c *gin.Context) (store.User, []store.RoleAssignment, *problem.Problem) {
	ctx := c.Request.Context()
	u, err := s.staff.FindUser(ctx, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.ID != c.Param("id")) {
		return u, nil, problem.New(http.StatusNotFound, problem.TypeNotFound, "There is no staff account with this id.")
	}
	if err != nil {
		return u, nil, s.Internal(c, err)
	}
	as, err := s.staff.Assignments(ctx, u.ID)
	if err != nil {
		return u, nil, s.Internal(c, err)
	}
	return u, as, nil
}

func (s *Handlers) APIUser(c *gin.Context) {
	u, as, p := s.findAccount(c)
	if p != nil {
		problem.Write(c, p)
		return
	}
	c.JSON(http.StatusOK, accountView(u, as))
}

// noAccount is the message of a staff account or role assignment that
// does not exist.
const noAccount = "There is no staff account or assignment with this id."

// roleNotices are the users page's messages after a form went through, by
// the code in ?done= (never text from the address).
var roleNotices = map[string]string{"given": "Role given.", "removed": "Role removed."}

// assignProblem turns a store refusal into the client's answer.
func (s *Handlers) assignProblem(c *gin.Context, err error) *problem.Problem {
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		return problem.Validation("The role assignment is not valid.", problem.FieldError{Field: ve.Field, Detail: ve.Msg})
	case errors.Is(err, store.ErrNotFound):
		return problem.New(http.StatusNotFound, problem.TypeNotFound, noAccount)
	}
	return s.Internal(c, err)
}

func (s *Handlers) APIAssign(c *gin.Context) {
	var req struct {
		Role  string `json:"role"`
		OrgID string `json:"org_id"`
	}
	if !s.ReadJSON(c, 16<<10, &req) {
		return
	}
	a, err := s.staff.Assign(c.Request.Context(), web.ActorName(c), c.Param("id"), req.Role, req.OrgID)
	if err != nil {
		problem.Write(c, s.assignProblem(c, err))
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": a.ID, "user_id": a.UserID, "role": a.Role, "org_id": a.OrgID, "created_by": a.CreatedBy, "created_at": a.CreatedAt})
}

func (s *Handlers) APIUnassign(c *gin.Context) {
	if _, err := s.staff.Unassign(c.Request.Context(), c.Param("id"), c.Param("assignment")); err != nil {
		problem.Write(c, s.assignProblem(c, err))
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Handlers) UsersPage(c *gin.Context) {
	s.renderUsers(c, http.StatusOK, gin.H{})
}

func (s *Handlers) renderUsers(c *gin.Context, status int, data gin.H) {
	ctx := c.Request.Context()
	rows, err := s.accounts(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	orgs, names, err := s.St.OrganizationNames(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	data["Title"], data["Rows"], data["Orgs"], data["OrgNames"], data["Roles"] = "Staff and roles", rows, orgs, names, store.Roles
	data["Done"] = roleNotices[c.Query("done")]
	s.Render(c, status, "users.html", data)
}

func (s *Handlers) AssignSubmit(c *gin.Context) {
	_, err := s.staff.Assign(c.Request.Context(), web.ActorName(c), c.Param("id"), c.PostForm("role"), c.PostForm("org_id"))
	if err != nil {
		s.FormFailed(c, err, "role-"+c.Param("id"), noAccount, func(status int, data gin.H) { s.renderUsers(c, status, data) })
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/users?done=given")
}

func (s *Handlers) UnassignSubmit(c *gin.Context) {
	if _, err := s.staff.Unassign(c.Request.Context(), c.Param("id"), c.Param("assignment")); err != nil {
		s.FormFailed(c, err, "remove", noAccount, func(status int, data gin.H) { s.renderUsers(c, status, data) })
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/users?done=removed")
}
