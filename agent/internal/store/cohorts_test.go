package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/program"
)

func TestOnlyCertifiedCoachesLead(t *testing.T) {
	ctx := context.Background()
	st := openTestAt(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	c, err := st.Coaches.AddCoach(ctx, CoachInput{Name: "Casey", Bio: "Peer specialist, likes hiking."})
	if err != nil {
		t.Fatal(err)
	}
	in := CohortInput{Name: "Spring group", Model: program.ModelPeerPartners, StartDate: "2026-05-04", CoachID: c.ID, MeetingDay: "Tuesday", MeetingTime: "18:00"}
	var ve *ValidationError
	if _, err := st.Cohorts.AddCohort(ctx, in); !errors.As(err, &ve) || !strings.Contains(ve.Msg, "no certification") {
		t.Fatalf("uncertified coach leads: %v", err)
	}
	if _, err := st.Coaches.RecordCertification(ctx, c.ID, "site", Certification{Code: "PLC-1", CertifiedUntil: "2026-04-30"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Cohorts.AddCohort(ctx, in); !errors.As(err, &ve) || !strings.Contains(ve.Msg, "expired on 2026-04-30") {
		t.Fatalf("expired certification leads: %v", err)
	}
	if _, err := st.Coaches.RecordCertification(ctx, c.ID, "hub", Certification{Code: "PLC-1", CertifiedUntil: "2027-04-30"}); err != nil {
		t.Fatal(err)
	}
	// The hub's word cannot be overridden at the site.
	if _, err := st.Coaches.RecordCertification(ctx, c.ID, "site", Certification{Code: "X", CertifiedUntil: "2030-01-01"}); !errors.As(err, &ve) {
		t.Fatalf("site overrode the hub: %v", err)
	}
	coh, err := st.Cohorts.AddCohort(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if coh.MeetingDay != "tuesday" || coh.Frequency != "weekly" {
		t.Fatalf("cohort %+v", coh)
	}
	var n int64
	st.DB.Model(&Cohort{}).Count(&n)
	if n != 1 {
		t.Fatalf("%d cohorts after refused attempts", n)
	}
	// Bad input: several clear messages, nothing stored.
	_, err = st.Cohorts.AddCohort(ctx, CohortInput{Model: "groupish", StartDate: "soon", MeetingDay: "Funday", MeetingTime: "25:99", Frequency: "daily"})
	var ves ValidationErrors
	if !errors.As(err, &ves) || len(ves) != 6 {
		t.Fatalf("bad cohort: %v", err)
	}
}

func TestCohortMembersAndGroupAdvice(t *testing.T) {
	ctx := context.Background()
	st := openTestAt(t, time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC))
	c, _ := st.Coaches.AddCoach(ctx, CoachInput{Name: "Casey"})
	if _, err := st.Coaches.RecordCertification(ctx, c.ID, "site", Certification{Code: "PLC-1", CertifiedUntil: "2027-01-01"}); err != nil {
		t.Fatal(err)
	}
	coh, err := st.Cohorts.AddCohort(ctx, CohortInput{Name: "G", Model: program.ModelPeerPartners, StartDate: "2026-01-12", CoachID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	ps := addPeople(t, st, 8)
	for _, p := range ps[:5] {
		if err := st.Cohorts.AddMember(ctx, coh.ID, p.ID, "2026-01-12"); err != nil {
			t.Fatal(err)
		}
	}
	v, err := st.Cohorts.ViewCohort(ctx, coh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Group == nil || v.Group.Workable || len(v.Members) != 5 || v.ProgramMonth != 6 || v.Theme != "Thoughts & Beliefs" {
		t.Fatalf("view of a group of 5 in June: %+v", v)
	}
	if err := st.Cohorts.AddMember(ctx, coh.ID, ps[0].ID, "2026-02-01"); err == nil {
		t.Fatal("added twice")
	}
	other, _ := st.Cohorts.AddCohort(ctx, CohortInput{Name: "H", Model: program.ModelSocialExplorations, StartDate: "2026-03-01", CoachID: c.ID})
	var ve *ValidationError
	if err := st.Cohorts.AddMember(ctx, other.ID, ps[0].ID, "2026-03-01"); !errors.As(err, &ve) || !strings.Contains(ve.Msg, "their other cohort first") {
		t.Fatalf("in two cohorts at once: %v", err)
	}
	if err := st.Cohorts.AddMember(ctx, coh.ID, ps[5].ID, "2026-02-01"); err != nil {
		t.Fatal(err)
	}
	v, _ = st.Cohorts.ViewCohort(ctx, coh.ID)
	if !v.Group.Workable {
		t.Fatalf("a group of 6: %+v", v.Group)
	}
	if err := st.Cohorts.RemoveMember(ctx, coh.ID, ps[0].ID, "2026-06-01"); err != nil {
		t.Fatal(err)
	}
	// Their program year (from 2025-03-01) is over: joining now needs the
	// confirmation.
	if err := st.Cohorts.AddMember(ctx, other.ID, ps[0].ID, "2026-06-02"); !errors.As(err, &ve) || ve.Field != YearEndedField {
		t.Fatalf("joining after the program year ended, unconfirmed: %v", err)
	}
	if err := st.Cohorts.AddMember(ctx, other.ID, ps[0].ID, "2026-06-02", ConfirmYearEnded); err != nil {
		t.Fatalf("moving to another cohort after leaving: %v", err)
	}
	if err := st.Participants.Withdraw(ctx, ps[6].ID); err != nil {
		t.Fatal(err)
	}
	if err := st.Cohorts.AddMember(ctx, coh.ID, ps[6].ID, "2026-06-02"); !errors.As(err, &ve) {
		t.Fatalf("a withdrawn participant joined: %v", err)
	}
}

func TestCoachSeesOwnCohortsOnly(t *testing.T) {
	ctx := context.Background()
	st := openTestAt(t, time.Date(2026, 6, 20, 9, 0, 0, 0, time.UTC))
	director, _ := st.AddUser(ctx, "dir@example.org", "Dana", RoleDirector, "a long director password")
	u1, _ := st.AddUser(ctx, "c1@example.org", "Casey", RoleCoach, "a long coach password 1")
	u2, _ := st.AddUser(ctx, "c2@example.org", "Robin", RoleCoach, "a long coach password 2")
	c1, _ := st.Coaches.AddCoach(ctx, CoachInput{Name: "Casey", UserID: u1.ID})
	c2, _ := st.Coaches.AddCoach(ctx, CoachInput{Name: "Robin", UserID: u2.ID})
	if _, err := st.Coaches.AddCoach(ctx, CoachInput{Name: "Nobody", UserID: director.ID}); err == nil {
		t.Fatal("a director's account was linked as a coach")
	}
	for _, c := range []Coach{c1, c2} {
		if _, err := st.Coaches.RecordCertification(ctx, c.ID, "site", Certification{Code: "P", CertifiedUntil: "2027-01-01"}); err != nil {
			t.Fatal(err)
		}
	}
	g1, _ := st.Cohorts.AddCohort(ctx, CohortInput{Name: "G1", Model: program.ModelPeerPartners, StartDate: "2026-01-12", CoachID: c1.ID})
	g2, _ := st.Cohorts.AddCohort(ctx, CohortInput{Name: "G2", Model: program.ModelPeerPartners, StartDate: "2026-01-12", CoachID: c2.ID})
	ps := addPeople(t, st, 4)
	for _, m := range []struct {
		cohort string
		p      Participant
	}{{g1.ID, ps[0]}, {g1.ID, ps[1]}, {g2.ID, ps[2]}} {
		if err := st.Cohorts.AddMember(ctx, m.cohort, m.p.ID, "2026-01-12"); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		u    User
		p    Participant
		want bool
	}{{u1, ps[0], true}, {u1, ps[2], false}, {u2, ps[2], true}, {u2, ps[0], false}, {u1, ps[3], false}, {director, ps[3], true}} {
		got, err := st.CanSee(ctx, c.u, c.p.ID)
		if err != nil || got != c.want {
			t.Errorf("%s sees %s: %v (%v), want %v", c.u.Name, c.p.ID, got, err, c.want)
		}
	}
	seen, _ := st.VisibleParticipants(ctx, u1)
	if len(seen) != 2 {
		t.Fatalf("coach sees %d participants, want 2", len(seen))
	}
	all, _ := st.VisibleParticipants(ctx, director)
	if len(all) != 4 {
		t.Fatalf("director sees %d participants, want 4", len(all))
	}
	// Who could join a cohort: visible, active, in no cohort.
	if j, err := st.Joinable(ctx, director); err != nil || len(j) != 1 || j[0].ID != ps[3].ID {
		t.Fatalf("director's joinable: %v %v", j, err)
	}
	if j, _ := st.Joinable(ctx, u1); len(j) != 0 {
		t.Fatalf("coach 1 could add %d, want 0 (theirs are all members)", len(j))
	}
	if err := st.Participants.Withdraw(ctx, ps[3].ID); err != nil {
		t.Fatal(err)
	}
	if j, _ := st.Joinable(ctx, director); len(j) != 0 {
		t.Fatal("a withdrawn participant could join a cohort")
	}
	if err := st.Audit(ctx, u1, "view", "participant", ps[0].ID, ""); err != nil {
		t.Fatal(err)
	}
	log, _ := st.AuditLog(ctx, AuditFilter{SubjectID: ps[0].ID})
	if len(log) != 1 || log[0].UserName != "Casey" || log[0].Action != "view" {
		t.Fatalf("audit log %+v", log)
	}
}
