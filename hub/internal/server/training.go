package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/training"
	"github.com/itsmylife/iml/hub/internal/web"
	"github.com/itsmylife/iml/pkg/problem"
)

// Training and certification: events, registrations and attendance,
// modules, certifications (issue, renew, revoke), Program Director
// instruction sessions, the registry of an organization, the expiring
// list, and the public verification of a code.

func traineeView(t training.Trainee) gin.H {
	return gin.H{"id": t.ID, "org_id": t.OrgID, "name": t.Name, "email": t.Email, "role": t.Role, "created_at": t.CreatedAt}
}

func certView(c training.CertView) gin.H {
	return gin.H{"code": c.Code, "trainee_id": c.TraineeID, "org_id": c.OrgID, "name": c.Name, "status": c.Status, "issued_on": c.IssuedOn,
		"expires_on": c.ExpiresOn, "expires_soon": c.ExpiresSoon, "revoked_at": c.RevokedAt, "revoked_reason": c.RevokedReason}
}

func certViews(cs []training.CertView) []gin.H { return web.Views(cs, certView) }

func (s *Server) apiTrainees(c *gin.Context) {
	ts, err := s.training.Trainees(c.Request.Context(), c.Query("org"))
	web.ListJSON(s.Base, c, ts, err, traineeView)
}

func (s *Server) apiAddTrainee(c *gin.Context) {
	var req struct {
		OrgID string `json:"org_id"`
		Name  string `json:"name"`
		Email string `json:"email"`
		Role  string `json:"role"`
	}
	if !s.ReadJSON(c, 16<<10, &req) {
		return
	}
	t, err := s.training.AddTrainee(c.Request.Context(), req.OrgID, req.Name, req.Email, req.Role)
	if err != nil {
		s.Respond(c, err, "No such organization.")
		return
	}
	c.JSON(http.StatusCreated, traineeView(t))
}

// personData gathers a person's modules, certifications and sessions.
func (s *Server) personData(c *gin.Context, id string) (training.Trainee, gin.H, error) {
	ctx := c.Request.Context()
	t, err := s.training.Trainee(ctx, id)
	if err != nil {
		return t, nil, err
	}
	mods, err := s.training.CompletedModules(ctx, t.ID)
	if err != nil {
		return t, nil, err
	}
	certs, err := s.training.TraineeCertifications(ctx, t.ID, s.cfg.Certs)
	if err != nil {
		return t, nil, err
	}
	sessions, err := s.training.DirectorSessions(ctx, t.ID)
	if err != nil {
		return t, nil, err
	}
	done := map[string]string{}
	for _, m := range mods {
		done[m.Module] = m.CompletedOn
	}
	return t, gin.H{"modules": done, "certifications": certs, "sessions": sessions}, nil
}

func (s *Server) apiTrainee(c *gin.Context) {
	t, d, err := s.personData(c, c.Param("id"))
	if err != nil {
		s.Respond(c, err, "No such person.")
		return
	}
	v := traineeView(t)
	v["modules"], v["certifications"] = d["modules"], certViews(d["certifications"].([]training.CertView))
	sessions := []gin.H{}
	for _, ds := range d["sessions"].([]training.DirectorSession) {
		sessions = append(sessions, gin.H{"id": ds.ID, "held_on": ds.HeldOn, "trainer": ds.Trainer, "notes": ds.Notes})
	}
	v["director_sessions"] = sessions
	c.JSON(http.StatusOK, v)
}

func (s *Server) apiCompleteModule(c *gin.Context) {
	var req struct {
		Module      string `json:"module"`
		CompletedOn string `json:"completed_on"`
	}
	if !s.ReadJSON(c, 16<<10, &req) {
		return
	}
	if err := s.training.CompleteModule(c.Request.Context(), c.Param("id"), req.Module, req.CompletedOn, web.StaffName(c)); err != nil {
		s.Respond(c, err, "No such person.")
		return
	}
	s.apiTrainee(c)
}

// certifiedView answers a certification just issued or changed.
func (s *Server) certifiedView(c *gin.Context, status int, cert training.Certification) {
	cs, err := s.training.TraineeCertifications(c.Request.Context(), cert.TraineeID, s.cfg.Certs)
	if err != nil {
		problem.Internal(c, s.log, err)
		return
	}
	for _, v := range cs {
		if v.Code == cert.Code {
			c.JSON(status, certView(v))
			return
		}
	}
	problem.Internal(c, s.log, errors.New("certification vanished after writing it"))
}

func (s *Server) apiCertify(c *gin.Context) {
	cert, err := s.training.Certify(c.Request.Context(), c.Param("id"), s.cfg.Certs)
	if err != nil {
		s.Respond(c, err, "No such person.")
		return
	}
	s.log.Info("certification issued", "trainee", cert.TraineeID, "by", web.StaffName(c))
	s.certifiedView(c, http.StatusCreated, cert)
}

func (s *Server) apiRenew(c *gin.Context) {
	cert, err := s.training.RenewCertification(c.Request.Context(), c.Param("code"), s.cfg.Certs)
	if err != nil {
		s.Respond(c, err, "No certification has this code.")
		return
	}
	s.certifiedView(c, http.StatusOK, cert)
}

func (s *Server) apiRevoke(c *gin.Context) {
	var req struct {
		Reason string `json:"reason"`
	}
	if !s.ReadJSON(c, 16<<10, &req) {
		return
	}
	cert, err := s.training.RevokeCertification(c.Request.Context(), c.Param("code"), req.Reason)
	if err != nil {
		s.Respond(c, err, "No certification has this code.")
		return
	}
	s.log.Info("certification revoked", "trainee", cert.TraineeID, "by", web.StaffName(c))
	s.certifiedView(c, http.StatusOK, cert)
}

func (s *Server) apiDirectorSession(c *gin.Context) {
	var req struct {
		HeldOn  string `json:"held_on"`
		Trainer string `json:"trainer"`
		Notes   string `json:"notes"`
	}
	if !s.ReadJSON(c, 64<<10, &req) {
		return
	}
	d, err := s.training.AddDirectorSession(c.Request.Context(), c.Param("id"), req.HeldOn, req.Trainer, req.Notes)
	if err != nil {
		s.Respond(c, err, "No such person.")
		return
	}
	c.JSON(http.StatusCreated, gin.H{"id": d.ID, "held_on": d.HeldOn, "trainer": d.Trainer, "notes": d.Notes})
}

func eventView(e training.TrainingEvent) gin.H {
	return gin.H{"id": e.ID, "title": e.Title, "mode": e.Mode, "starts_on": e.StartsOn, "ends_on": e.EndsOn, "location": e.Location, "trainer": e.Trainer, "capacity": e.Capacity}
}

func (s *Server) apiEvents(c *gin.Context) {
	es, err := s.training.TrainingEvents(c.Request.Context())
	web.ListJSON(s.Base, c, es, err, eventView)
}

func (s *Server) apiAddEvent(c *gin.Context) {
	var req struct {
		Title    string `json:"title"`
		Mode     string `json:"mode"`
		StartsOn string `json:"starts_on"`
		EndsOn   string `json:"ends_on"`
		Location string `json:"location"`
		Trainer  string `json:"trainer"`
		Capacity int    `json:"capacity"`
	}
	if !s.ReadJSON(c, 16<<10, &req) {
		return
	}
	e, err := s.training.AddTrainingEvent(c.Request.Context(), training.TrainingEvent{Title: req.Title, Mode: req.Mode, StartsOn: req.StartsOn, EndsOn: req.EndsOn, Location: req.Location, Trainer: req.Trainer, Capacity: req.Capacity})
	if err != nil {
		s.Respond(c, err, "Not found.")
		return
	}
	c.JSON(http.StatusCreated, eventView(e))
}

func (s *Server) apiEvent(c *gin.Context) {
	e, err := s.training.TrainingEvent(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.Respond(c, err, "No such training event.")
		return
	}
	rs, err := s.training.Registrations(c.Request.Context(), e.ID)
	if err != nil {
		problem.Internal(c, s.log, err)
		return
	}
	v := eventView(e)
	regs := make([]gin.H, len(rs))
	for i, r := range rs {
		regs[i] = gin.H{"trainee_id": r.TraineeID, "attended": r.Attended, "registered_at": r.RegisteredAt}
	}
	v["registrations"] = regs
	c.JSON(http.StatusOK, v)
}

func (s *Server) apiRegister(c *gin.Context) {
	var req struct {
		TraineeID string `json:"trainee_id"`
	}
	if !s.ReadJSON(c, 16<<10, &req) {
		return
	}
	if err := s.training.Register(c.Request.Context(), c.Param("id"), req.TraineeID); err != nil {
		s.Respond(c, err, "No such training event.")
		return
	}
	s.apiEvent(c)
}

func (s *Server) apiAttendance(c *gin.Context) {
	var req struct {
		TraineeID string `json:"trainee_id"`
		Attended  bool   `json:"attended"`
	}
	if !s.ReadJSON(c, 16<<10, &req) {
		return
	}
	if err := s.training.MarkAttendance(c.Request.Context(), c.Param("id"), req.TraineeID, req.Attended); err != nil {
		s.Respond(c, err, "No such training event.")
		return
	}
	s.apiEvent(c)
}

func (s *Server) apiExpiring(c *gin.Context) {
	cs, err := s.training.ExpiringCertifications(c.Request.Context(), s.cfg.Certs)
	if err != nil {
		problem.Internal(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"within_days": s.cfg.Certs.WarnDays, "certifications": certViews(cs)})
}

// registryOrg finds the organization of a registry; a Program Director
// sees only their own.
func (s *Server) registryOrg(c *gin.Context) (store.Organization, error) {
	u := c.MustGet(web.CtxUser).(store.User)
	o, err := s.st.FindOrganization(c.Request.Context(), c.Param(orgParam(c)))
	if err == nil && u.Role == store.RoleDirector && o.ID != u.OrgID {
		return o, errForeignOrg
	}
	return o, err
}

func orgParam(c *gin.Context) string {
	if c.Param("org") != "" {
		return "org"
	}
	return "id"
}

var errForeignOrg = errors.New("a director asked for another organization's registry")

func (s *Server) apiRegistry(c *gin.Context) {
	o, err := s.registryOrg(c)
	if errors.Is(err, errForeignOrg) {
		problem.Write(c, problem.New(http.StatusForbidden, problem.TypeForbidden, "You can only see your own organization's registry."))
		return
	}
	if err != nil {
		s.Respond(c, err, "No such organization.")
		return
	}
	cs, err := s.training.Registry(c.Request.Context(), o.ID, s.cfg.Certs)
	if err != nil {
		problem.Internal(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"org_id": o.ID, "name": o.Name, "certifications": certViews(cs)})
}

func (s *Server) apiVerify(c *gin.Context) {
	v, err := s.training.Verify(c.Request.Context(), c.Query("code"))
	if err != nil {
		s.Respond(c, err, "No certification has this code. Check it letter by letter, as printed on the certificate.")
		return
	}
	c.JSON(http.StatusOK, v)
}

// Pages.

func (s *Server) trainingPage(c *gin.Context) { s.showTraining(c, http.StatusOK, gin.H{}) }

func (s *Server) showTraining(c *gin.Context, status int, data gin.H) {
	ctx := c.Request.Context()
	es, err := s.training.TrainingEvents(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	ts, err := s.training.Trainees(ctx, "")
	if err != nil {
		s.Respond(c, err)
		return
	}
	exp, err := s.training.ExpiringCertifications(ctx, s.cfg.Certs)
	if err != nil {
		s.Respond(c, err)
		return
	}
	orgs, err := s.st.Organizations(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	names := map[string]string{}
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	data["Title"], data["Events"], data["People"], data["Expiring"], data["Orgs"], data["OrgNames"] = "Training and certification", es, ts, exp, orgs, names
	data["WarnDays"] = s.cfg.Certs.WarnDays
	if _, ok := data["Form"]; !ok {
		data["Form"] = gin.H{}
	}
	s.Render(c, status, "training.html", data)
}

func (s *Server) addEventSubmit(c *gin.Context) {
	capacity, _ := strconv.Atoi(c.PostForm("capacity"))
	e := training.TrainingEvent{Title: c.PostForm("title"), Mode: c.PostForm("mode"), StartsOn: c.PostForm("starts_on"), EndsOn: c.PostForm("ends_on"),
		Location: c.PostForm("location"), Trainer: c.PostForm("trainer"), Capacity: capacity}
	if _, err := s.training.AddTrainingEvent(c.Request.Context(), e); err != nil {
		if msg, ok := s.Message(c, err, "Not found."); ok {
			s.showTraining(c, http.StatusUnprocessableEntity, gin.H{"EventError": msg})
		}
		return
	}
	c.Redirect(http.StatusSeeOther, "/training")
}

func (s *Server) addTraineeSubmit(c *gin.Context) {
	t, err := s.training.AddTrainee(c.Request.Context(), c.PostForm("org_id"), c.PostForm("name"), c.PostForm("email"), c.PostForm("role"))
	if err != nil {
		if msg, ok := s.Message(c, err, "There is no such organization."); ok {
			s.showTraining(c, http.StatusUnprocessableEntity, gin.H{"PersonError": msg,
				"Form": gin.H{"Name": c.PostForm("name"), "Email": c.PostForm("email"), "OrgID": c.PostForm("org_id"), "Role": c.PostForm("role")}})
		}
		return
	}
	c.Redirect(http.StatusSeeOther, "/training/people/"+t.ID)
}

func (s *Server) eventPage(c *gin.Context) { s.showEvent(c, http.StatusOK, gin.H{}) }

func (s *Server) showEvent(c *gin.Context, status int, data gin.H) {
	ctx := c.Request.Context()
	e, err := s.training.TrainingEvent(ctx, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.Missing(c, "training event")
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	rs, err := s.training.Registrations(ctx, e.ID)
	if err != nil {
		s.Respond(c, err)
		return
	}
	ts, err := s.training.Trainees(ctx, "")
	if err != nil {
		s.Respond(c, err)
		return
	}
	people := map[string]training.Trainee{}
	for _, t := range ts {
		people[t.ID] = t
	}
	data["Title"], data["Event"], data["Registrations"], data["People"], data["ByID"] = e.Title, e, rs, ts, people
	s.Render(c, status, "event.html", data)
}

func (s *Server) registerSubmit(c *gin.Context) {
	if err := s.training.Register(c.Request.Context(), c.Param("id"), c.PostForm("trainee_id")); err != nil {
		if msg, ok := s.Message(c, err, "There is no such training event."); ok {
			s.showEvent(c, http.StatusUnprocessableEntity, gin.H{"Error": msg})
		}
		return
	}
	c.Redirect(http.StatusSeeOther, "/training/events/"+c.Param("id"))
}

func (s *Server) attendanceSubmit(c *gin.Context) {
	err := s.training.MarkAttendance(c.Request.Context(), c.Param("id"), c.PostForm("trainee_id"), c.PostForm("attended") == "true")
	if err != nil {
		if msg, ok := s.Message(c, err, "There is no such training event."); ok {
			s.showEvent(c, http.StatusUnprocessableEntity, gin.H{"Error": msg})
		}
		return
	}
	c.Redirect(http.StatusSeeOther, "/training/events/"+c.Param("id"))
}

func (s *Server) personPage(c *gin.Context) { s.showPerson(c, http.StatusOK, gin.H{}) }

func (s *Server) showPerson(c *gin.Context, status int, data gin.H) {
	t, d, err := s.personData(c, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.Missing(c, "person")
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	o, err := s.st.FindOrganization(c.Request.Context(), t.OrgID)
	if err != nil {
		s.Respond(c, err)
		return
	}
	done := d["modules"].(map[string]string)
	data["Title"], data["Person"], data["Org"], data["Done"], data["Certs"], data["Sessions"] = t.Name, t, o, done, d["certifications"], d["sessions"]
	data["Modules"], data["ModuleNames"], data["AllDone"], data["Today"] = training.Modules, training.ModuleNames, len(done) == len(training.Modules), s.st.Now().Format("2006-01-02")
	s.Render(c, status, "person.html", data)
}

// personFail shows a client's mistake on the person's page.
func (s *Server) personFail(c *gin.Context, err error) {
	if msg, ok := s.Message(c, err, "There is no such person or certification."); ok {
		s.showPerson(c, http.StatusUnprocessableEntity, gin.H{"Error": msg})
	}
}

func (s *Server) personDone(c *gin.Context) {
	c.Redirect(http.StatusSeeOther, "/training/people/"+c.Param("id"))
}

func (s *Server) moduleSubmit(c *gin.Context) {
	if err := s.training.CompleteModule(c.Request.Context(), c.Param("id"), c.PostForm("module"), c.PostForm("completed_on"), web.StaffName(c)); err != nil {
		s.personFail(c, err)
		return
	}
	s.personDone(c)
}

func (s *Server) certifySubmit(c *gin.Context) {
	cert, err := s.training.Certify(c.Request.Context(), c.Param("id"), s.cfg.Certs)
	if err != nil {
		s.personFail(c, err)
		return
	}
	s.log.Info("certification issued", "trainee", cert.TraineeID, "by", web.StaffName(c))
	s.personDone(c)
}

// ownCert checks a certification code belongs to the person of the page.
func (s *Server) ownCert(c *gin.Context) error {
	cert, err := s.training.CertificationByCode(c.Request.Context(), c.PostForm("code"))
	if err == nil && cert.TraineeID != c.Param("id") {
		return store.ErrNotFound
	}
	return err
}

func (s *Server) renewSubmit(c *gin.Context) {
	err := s.ownCert(c)
	if err == nil {
		_, err = s.training.RenewCertification(c.Request.Context(), c.PostForm("code"), s.cfg.Certs)
	}
	if err != nil {
		s.personFail(c, err)
		return
	}
	s.personDone(c)
}

func (s *Server) revokeSubmit(c *gin.Context) {
	err := s.ownCert(c)
	if err == nil {
		_, err = s.training.RevokeCertification(c.Request.Context(), c.PostForm("code"), c.PostForm("reason"))
	}
	if err != nil {
		s.personFail(c, err)
		return
	}
	s.log.Info("certification revoked", "trainee", c.Param("id"), "by", web.StaffName(c))
	s.personDone(c)
}

func (s *Server) sessionSubmit(c *gin.Context) {
	if _, err := s.training.AddDirectorSession(c.Request.Context(), c.Param("id"), c.PostForm("held_on"), c.PostForm("trainer"), c.PostForm("notes")); err != nil {
		s.personFail(c, err)
		return
	}
	s.personDone(c)
}

func (s *Server) registryPage(c *gin.Context) {
	o, err := s.registryOrg(c)
	if errors.Is(err, errForeignOrg) {
		s.Deny(c, "You can only see your own organization's registry.")
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		s.Missing(c, "organization")
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	cs, err := s.training.Registry(c.Request.Context(), o.ID, s.cfg.Certs)
	if err != nil {
		s.Respond(c, err)
		return
	}
	s.Render(c, http.StatusOK, "registry.html", gin.H{"Title": "Registry: " + o.Name, "Org": o, "Certs": cs})
}

func (s *Server) verifyPage(c *gin.Context) {
	data := gin.H{"Title": "Verify a certification", "Code": c.Query("code")}
	status := http.StatusOK
	if code := c.Query("code"); code != "" {
		v, err := s.training.Verify(c.Request.Context(), code)
		switch {
		case errors.Is(err, store.ErrNotFound):
			data["Error"], status = "No certification has this code. Check it letter by letter, as printed on the certificate.", http.StatusNotFound
		case err != nil:
			s.Respond(c, err)
			return
		default:
			data["Result"] = v
		}
	}
	s.Render(c, status, "verify.html", data)
}
