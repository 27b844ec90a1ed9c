package training

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/web"
)

// Training's API: trainees, events, registrations and attendance,
// modules, and Program Director instruction sessions (certifications
// are CertHandlers', in certhandlers.go).

func traineeView(t Trainee) gin.H {
	return gin.H{"id": t.ID, "org_id": t.OrgID, "name": t.Name, "email": t.Email, "role": t.Role, "created_at": t.CreatedAt}
}

func certView(c CertView) gin.H {
	return gin.H{"code": c.Code, "trainee_id": c.TraineeID, "org_id": c.OrgID, "name": c.Name, "status": c.Status, "issued_on": c.IssuedOn,
		"expires_on": c.ExpiresOn, "expires_soon": c.ExpiresSoon, "revoked_at": c.RevokedAt, "revoked_reason": c.RevokedReason}
}

func certViews(cs []CertView) []gin.H { return web.Views(cs, certView) }

func (s *Handlers) APITrainees(c *gin.Context) {
	ts, err := s.training.Trainees(c.Request.Context(), c.Query("org"))
	web.ListJSON(s.Base, c, ts, err, traineeView)
}

func (s *Handlers) APIAddTrainee(c *gin.Context) {
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
func (s *Handlers) personData(c *gin.Context, id string) (Trainee, gin.H, error) {
	ctx := c.Request.Context()
	t, err := s.training.Trainee(ctx, id)
	if err != nil {
		return t, nil, err
	}
	mods, err := s.training.CompletedModules(ctx, t.ID)
	if err != nil {
		return t, nil, err
	}
	certs, err := s.training.TraineeCertifications(ctx, t.ID, s.certs)
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

func (s *Handlers) APITrainee(c *gin.Context) {
	t, d, err := s.personData(c, c.Param("id"))
	if err != nil {
		s.Respond(c, err, "No such person.")
		return
	}
	v := traineeView(t)
	v["modules"], v["certifications"] = d["modules"], certViews(d["certifications"].([]CertView))
	sessions := []gin.H{}
	for _, ds := range d["sessions"].([]DirectorSession) {
		sessions = append(sessions, gin.H{"id": ds.ID, "held_on": ds.HeldOn, "trainer": ds.Trainer, "notes": ds.Notes})
	}
	v["director_sessions"] = sessions
	c.JSON(http.StatusOK, v)
}

func (s *Handlers) APICompleteModule(c *gin.Context) {
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
	s.APITrainee(c)
}

func (s *Handlers) APIDirectorSession(c *gin.Context) {
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

func eventView(e TrainingEvent) gin.H {
	return gin.H{"id": e.ID, "title": e.Title, "mode": e.Mode, "starts_on": e.StartsOn, "ends_on": e.EndsOn, "location": e.Location, "trainer": e.Trainer, "capacity": e.Capacity}
}

func (s *Handlers) APIEvents(c *gin.Context) {
	es, err := s.training.TrainingEvents(c.Request.Context())
	web.ListJSON(s.Base, c, es, err, eventView)
}

func (s *Handlers) APIAddEvent(c *gin.Context) {
	var req struct {
		Title    string `json:"title"`
		Mode     string `json:"mode"`
		StartsOn string `json:"starts_on"`
		EndsOn   string `json:"ends_on"`
		Location string `json:"location"`
		Trainer  string `json:"trainer"`
		Capacity int    `json:"capacity" range:"1..1000"` // the store's range
	}
	if !s.ReadJSON(c, 16<<10, &req) {
		return
	}
	e, err := s.training.AddTrainingEvent(c.Request.Context(), TrainingEvent{Title: req.Title, Mode: req.Mode, StartsOn: req.StartsOn, EndsOn: req.EndsOn, Location: req.Location, Trainer: req.Trainer, Capacity: req.Capacity})
	if err != nil {
		s.Respond(c, err, "Not found.")
		return
	}
	c.JSON(http.StatusCreated, eventView(e))
}

func (s *Handlers) APIEvent(c *gin.Context) {
	e, err := s.training.TrainingEvent(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.Respond(c, err, "No such training event.")
		return
	}
	rs, err := s.training.Registrations(c.Request.Context(), e.ID)
	if err != nil {
		s.Respond(c, err)
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

func (s *Handlers) APIRegister(c *gin.Context) {
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
	s.APIEvent(c)
}

func (s *Handlers) APIAttendance(c *gin.Context) {
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
	s.APIEvent(c)
}
