package training

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/web"
)

// Training and certification's pages.

func (s *Handlers) TrainingPage(c *gin.Context) { s.showTraining(c, http.StatusOK, gin.H{}) }

func (s *Handlers) showTraining(c *gin.Context, status int, data gin.H) {
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
	exp, err := s.training.ExpiringCertifications(ctx, s.certs)
	if err != nil {
		s.Respond(c, err)
		return
	}
	orgs, names, err := s.St.OrganizationNames(ctx)
	if err != nil {
		s.Respond(c, err)
		return
	}
	data["Title"], data["Events"], data["People"], data["Expiring"], data["Orgs"], data["OrgNames"] = "Training and certification", es, ts, exp, orgs, names
	data["WarnDays"] = s.certs.WarnDays
	s.Render(c, status, "training.html", data)
}

func (s *Handlers) AddEventSubmit(c *gin.Context) {
	capacity, _ := strconv.Atoi(c.PostForm("capacity"))
	e := TrainingEvent{Title: c.PostForm("title"), Mode: c.PostForm("mode"), StartsOn: c.PostForm("starts_on"), EndsOn: c.PostForm("ends_on"),
		Location: c.PostForm("location"), Trainer: c.PostForm("trainer"), Capacity: capacity}
	if _, err := s.training.AddTrainingEvent(c.Request.Context(), e); err != nil {
		s.FormFailed(c, err, "event", "There is no such training event.", func(status int, data gin.H) { s.showTraining(c, status, data) })
		return
	}
	c.Redirect(http.StatusSeeOther, "/training")
}

func (s *Handlers) AddTraineeSubmit(c *gin.Context) {
	t, err := s.training.AddTrainee(c.Request.Context(), c.PostForm("org_id"), c.PostForm("name"), c.PostForm("email"), c.PostForm("role"))
	if err != nil {
		s.FormFailed(c, err, "person", "There is no such organization: choose one from the list.", func(status int, data gin.H) { s.showTraining(c, status, data) })
		return
	}
	c.Redirect(http.StatusSeeOther, "/training/people/"+t.ID)
}

func (s *Handlers) EventPage(c *gin.Context) { s.showEvent(c, http.StatusOK, gin.H{}) }

func (s *Handlers) showEvent(c *gin.Context, status int, data gin.H) {
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
	people := map[string]Trainee{}
	for _, t := range ts {
		people[t.ID] = t
	}
	data["Title"], data["Event"], data["Registrations"], data["People"], data["ByID"] = e.Title, e, rs, ts, people
	s.Render(c, status, "event.html", data)
}

func (s *Handlers) RegisterSubmit(c *gin.Context) {
	if err := s.training.Register(c.Request.Context(), c.Param("id"), c.PostForm("trainee_id")); err != nil {
		s.eventFail(c, err, "register")
		return
	}
	c.Redirect(http.StatusSeeOther, "/training/events/"+c.Param("id"))
}

func (s *Handlers) AttendanceSubmit(c *gin.Context) {
	attended, err := strconv.ParseBool(c.PostForm("attended"))
	if err != nil {
		err = &store.ValidationError{Field: "attended", Msg: "Choose attended or absent"}
	} else {
		err = s.training.MarkAttendance(c.Request.Context(), c.Param("id"), c.PostForm("trainee_id"), attended)
	}
	if err != nil {
		s.eventFail(c, err, "attendance")
		return
	}
	c.Redirect(http.StatusSeeOther, "/training/events/"+c.Param("id"))
}

func (s *Handlers) PersonPage(c *gin.Context) { s.showPerson(c, http.StatusOK, gin.H{}) }

func (s *Handlers) showPerson(c *gin.Context, status int, data gin.H) {
	t, d, err := s.personData(c, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		s.Missing(c, "person")
		return
	}
	if err != nil {
		s.Respond(c, err)
		return
	}
	o, err := s.St.FindOrganization(c.Request.Context(), t.OrgID)
	if err != nil {
		s.Respond(c, err)
		return
	}
	done := d["modules"].(map[string]string)
	data["Title"], data["Person"], data["Org"], data["Done"], data["Certs"], data["Sessions"] = t.Name, t, o, done, d["certifications"], d["sessions"]
	data["Modules"], data["ModuleNames"], data["AllDone"], data["Today"] = Modules, ModuleNames, len(done) == len(Modules), s.St.Now().Format("2006-01-02")
	s.Render(c, status, "person.html", data)
}

// eventFail shows the event's page again with the mistakes of its form
// (section).
func (s *Handlers) eventFail(c *gin.Context, err error, section string) {
	s.FormFailed(c, err, section, "There is no such training event.", func(status int, data gin.H) { s.showEvent(c, status, data) })
}

// personFail shows the person's page again with the mistakes of its form
// (section).
func (s *Handlers) personFail(c *gin.Context, err error, section string) {
	s.FormFailed(c, err, section, "There is no such person or certification.", func(status int, data gin.H) { s.showPerson(c, status, data) })
}

// personDone sends the browser back to the person's page after a form.
func personDone(c *gin.Context) {
	c.Redirect(http.StatusSeeOther, "/training/people/"+c.Param("id"))
}

func (s *Handlers) ModuleSubmit(c *gin.Context) {
	if err := s.training.CompleteModule(c.Request.Context(), c.Param("id"), c.PostForm("module"), c.PostForm("completed_on"), web.StaffName(c)); err != nil {
		s.personFail(c, err, "module")
		return
	}
	personDone(c)
}

func (s *Handlers) CertifySubmit(c *gin.Context) {
	if _, err := s.Certifications.certify(c); err != nil {
		s.personFail(c, err, "certify")
		return
	}
	personDone(c)
}

func (s *Handlers) RenewSubmit(c *gin.Context) {
	err := s.Certifications.ownCert(c)
	if err == nil {
		_, err = s.training.RenewCertification(c.Request.Context(), c.PostForm("code"), s.certs)
	}
	if err != nil {
		s.personFail(c, err, "cert-"+c.PostForm("code"))
		return
	}
	personDone(c)
}

func (s *Handlers) RevokeSubmit(c *gin.Context) {
	err := s.Certifications.ownCert(c)
	if err == nil {
		_, err = s.Certifications.revoke(c, c.PostForm("code"), c.PostForm("reason"))
	}
	if err != nil {
		s.personFail(c, err, "cert-"+c.PostForm("code"))
		return
	}
	personDone(c)
}

func (s *Handlers) SessionSubmit(c *gin.Context) {
	if _, err := s.training.AddDirectorSession(c.Request.Context(), c.Param("id"), c.PostForm("held_on"), c.PostForm("trainer"), c.PostForm("notes")); err != nil {
		s.personFail(c, err, "session")
		return
	}
	personDone(c)
}
