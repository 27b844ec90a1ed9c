package cohorts

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/agent/internal/web"
)

// Coaches are coaches and their certification: the site's own, and
// the hub's, linked by its verification code (certifications also match
// by the coach's email as they arrive).
type Coaches struct{ *web.App }

func coachView(c store.Coach, now time.Time) gin.H {
	return gin.H{"id": c.ID, "name": c.Name, "email": c.Email, "bio": c.Bio, "user_id": c.UserID, "active": c.Active,
		"certification": gin.H{"code": c.CertCode, "certified_until": c.CertifiedUntil, "revoked": c.CertRevoked, "source": c.CertSource,
			"current": c.CertifiedOn(now), "expires_soon": c.ExpiresSoon(now, store.ExpiryWarnDays)}}
}

func (s *Coaches) APICoaches(c *gin.Context) {
	cs, err := s.St.Coaches.Coaches(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	out := make([]gin.H, len(cs))
	for i, x := range cs {
		out[i] = coachView(x, s.St.Now())
	}
	c.JSON(http.StatusOK, out)
}

func (s *Coaches) APIAddCoach(c *gin.Context) {
	var in store.CoachInput
	if !web.BindJSON(c, &in) {
		return
	}
	co, err := s.St.Coaches.AddCoach(c.Request.Context(), in)
	s.Reply(c, http.StatusCreated, coachView(co, s.St.Now()), err)
}

// APIUpdateCoach changes a coach's profile: the director any coach's, a
// coach their own (whose account link they cannot change).
func (s *Coaches) APIUpdateCoach(c *gin.Context) {
	u := web.CurrentUser(c)
	cur, err := s.St.Coaches.Coach(c.Request.Context(), c.Param("cid"))
	if err != nil {
		s.Respond(c, web.NotFound(err, "No such coach."))
		return
	}
	if u.Role != store.RoleDirector && cur.UserID != u.ID {
		s.Forbid(c, "Coaches can change only their own profile.")
		return
	}
	var in store.CoachInput
	if !web.BindJSON(c, &in) {
		return
	}
	if u.Role != store.RoleDirector {
		if in.UserID != "" && in.UserID != cur.UserID {
			s.Forbid(c, "Only the Program Director links a coach to an account.")
			return
		}
		in.UserID = cur.UserID
	}
	co, err := s.updateCoach(c, cur, in)
	s.Reply(c, http.StatusOK, coachView(co, s.St.Now()), err)
}

// updateCoach changes coach cur's profile to in: the one way of the API
// (PUT) and of the Coaches page's account form. A change of the account
// the coach signs in with is audited, with the account's email.
func (s *Coaches) updateCoach(c *gin.Context, cur store.Coach, in store.CoachInput) (store.Coach, error) {
	ctx := c.Request.Context()
	co, err := s.St.Coaches.UpdateCoach(ctx, cur.ID, in)
	if err != nil || co.UserID == cur.UserID {
		return co, err
	}
	detail := "no account"
	if co.UserID != "" {
		accounts, err := s.St.Users(ctx, store.RoleCoach)
		if err != nil {
			return co, err
		}
		for _, a := range accounts {
			if a.ID == co.UserID {
				detail = "account " + a.Email
			}
		}
	}
	return co, s.St.Audit(ctx, web.CurrentUser(c), "link_coach_account", "coach", co.ID, detail)
}

// LinkAccountSubmit links coach :cid to the account chosen on the Coaches
// page ("" for none), keeping the rest of the coach's profile.
func (s *Coaches) LinkAccountSubmit(c *gin.Context) {
	in := store.CoachInput{UserID: c.PostForm("user_id")}
	cur, err := s.St.Coaches.Coach(c.Request.Context(), c.Param("cid"))
	if err == nil {
		in.Name, in.Email, in.Bio = cur.Name, cur.Email, cur.Bio
		_, err = s.updateCoach(c, cur, in)
	}
	if err != nil {
		s.coachFormFail(c, err, "AccountErrors", "AccountCoach", in)
		return
	}
	c.Redirect(http.StatusSeeOther, "/coaches")
}

func (s *Coaches) APICertify(c *gin.Context) {
	var in store.Certification
	if !web.BindJSON(c, &in) {
		return
	}
	co, err := s.St.Coaches.RecordCertification(c.Request.Context(), c.Param("cid"), "site", in)
	s.Reply(c, http.StatusOK, coachView(co, s.St.Now()), web.NotFound(err, "No such coach."))
}

func (s *Coaches) CoachesPage(c *gin.Context) { s.showCoaches(c, http.StatusOK, gin.H{}) }

func (s *Coaches) showCoaches(c *gin.Context, status int, data gin.H) {
	cs, err := s.St.Coaches.Coaches(c.Request.Context())
	if err != nil {
		s.Respond(c, err)
		return
	}
	data["Title"], data["Coaches"], data["Today"], data["WarnDays"] = "Coaches", cs, s.St.Now(), store.ExpiryWarnDays
	// Coach accounts not yet linked to a coach, for the add form and the
	// account forms.
	accounts, err := s.St.Users(c.Request.Context(), store.RoleCoach)
	if err != nil {
		s.Respond(c, err)
		return
	}
	linked := map[string]string{}
	for _, co := range cs {
		if co.UserID != "" {
			linked[co.UserID] = co.Name
		}
	}
	var free []store.User
	emails, byID := map[string]string{}, map[string]*store.User{}
	for i, u := range accounts {
		emails[u.ID], byID[u.ID] = u.Email, &accounts[i]
		if linked[u.ID] == "" {
			free = append(free, u)
		}
	}
	// The accounts by id, for each coach's account form: its own, then
	// the free ones.
	data["FreeAccounts"], data["AccountEmails"], data["Accounts"] = free, emails, byID
	if _, ok := data["Form"]; !ok {
		data["Form"] = store.CoachInput{}
	}
	s.Render(c, status, "coaches.html", data)
}

func (s *Coaches) AddCoachSubmit(c *gin.Context) {
	var in store.CoachInput
	_ = c.ShouldBind(&in)
	if _, err := s.St.Coaches.AddCoach(c.Request.Context(), in); err != nil {
		fe, ok := web.FieldErrors(c, err)
		if !ok {
			s.Respond(c, err)
			return
		}
		s.showCoaches(c, http.StatusUnprocessableEntity, gin.H{"Form": in, "Errors": fe})
		return
	}
	c.Redirect(http.StatusSeeOther, "/coaches")
}

func (s *Coaches) CertifySubmit(c *gin.Context) {
	var in store.Certification
	_ = c.ShouldBind(&in)
	if _, err := s.St.Coaches.RecordCertification(c.Request.Context(), c.Param("cid"), "site", in); err != nil {
		s.coachFormFail(c, err, "CertErrors", "CertCoach", in)
		return
	}
	c.Redirect(http.StatusSeeOther, "/coaches")
}

// coachFormFail shows the coaches page again with the mistakes of a form
// under one coach (errKey and coachKey name them for the template), or the
// error page for a failure that is not the user's.
func (s *Coaches) coachFormFail(c *gin.Context, err error, errKey, coachKey string, form any) {
	fe, ok := web.FieldErrors(c, err)
	if !ok && !errors.Is(err, store.ErrNotFound) {
		s.Respond(c, err)
		return
	}
	if fe == nil {
		fe = map[string]string{"coach": "There is no such coach."}
	}
	s.showCoaches(c, http.StatusUnprocessableEntity, gin.H{errKey: fe, coachKey: c.Param("cid"), "CoachForm": form})
}

func (s *Coaches) APILinkHubCert(c *gin.Context) {
	var in struct {
		Code string `json:"code"`
	}
	if !web.BindJSON(c, &in) {
		return
	}
	co, err := s.linkHubCert(c, in.Code)
	s.Reply(c, http.StatusOK, coachView(co, s.St.Now()), web.NotFound(err, "No such coach."))
}

// linkHubCert links coach :cid to the hub's certification of a code, and
// audits it.
func (s *Coaches) linkHubCert(c *gin.Context, code string) (store.Coach, error) {
	co, err := s.St.Coaches.LinkHubCertification(c.Request.Context(), c.Param("cid"), code)
	if err == nil {
		err = s.St.Audit(c.Request.Context(), web.CurrentUser(c), "link_hub_certification", "coach", co.ID, "certification "+co.CertCode)
	}
	return co, err
}

func (s *Coaches) LinkHubCertSubmit(c *gin.Context) {
	if _, err := s.linkHubCert(c, c.PostForm("code")); err != nil {
		s.coachFormFail(c, err, "HubErrors", "HubCoach", store.Certification{Code: c.PostForm("code")})
		return
	}
	c.Redirect(http.StatusSeeOther, "/coaches")
}
