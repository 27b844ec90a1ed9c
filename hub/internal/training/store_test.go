package training_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/hub/internal/training"
	"github.com/itsmylife/iml/pkg/contract"
)

func TestCertificationRules(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		p := training.CertPolicy{ValidMonths: 12, WarnDays: 60}
		org, err := affiliates.New(s).AddOrganization(ctx, "Cert org", "peer_run", "VA")
		if err != nil {
			t.Fatal(err)
		}
		other, _ := affiliates.New(s).AddOrganization(ctx, "Other org", "nami", "MD")

		_, err = training.New(s).AddTrainee(ctx, org.ID, "Casey", "not an email", training.TraineeCoach)
		wantField(t, err, "email")
		coach, err := training.New(s).AddTrainee(ctx, org.ID, "Casey Coach", "Casey@Example.org", training.TraineeCoach)
		if err != nil || coach.Email != "casey@example.org" {
			t.Fatalf("%+v %v", coach, err)
		}
		director, _ := training.New(s).AddTrainee(ctx, org.ID, "Dana Director", "dana@example.org", training.TraineeDirector)
		outsider, _ := training.New(s).AddTrainee(ctx, other.ID, "Olly Other", "olly@example.org", training.TraineeCoach)

		wantField(t, training.New(s).CompleteModule(ctx, coach.ID, "juggling", "", "t"), "module")
		wantField(t, training.New(s).CompleteModule(ctx, coach.ID, "peer_support", "2026-04-01", "t"), "completed_on")
		for _, m := range training.Modules[:5] {
			if err := training.New(s).CompleteModule(ctx, coach.ID, m, "2026-02-01", "t"); err != nil {
				t.Fatal(err)
			}
		}
		_, err = training.New(s).Certify(ctx, coach.ID, p)
		wantField(t, err, "modules")
		if !strings.Contains(err.Error(), "Shared decision-making") {
			t.Fatalf("the refusal does not name the missing module: %v", err)
		}
		if cs, _ := training.New(s).Registry(ctx, org.ID, p); len(cs) != 0 {
			t.Fatal("a refused certification was stored")
		}
		if err := training.New(s).CompleteModule(ctx, coach.ID, "shared_decision_making", "", "t"); err != nil {
			t.Fatal(err)
		}
		_, err = training.New(s).Certify(ctx, director.ID, p)
		wantField(t, err, "trainee_id")

		cert, err := training.New(s).Certify(ctx, coach.ID, p)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^IML-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$`).MatchString(cert.Code) {
			t.Fatalf("code %q", cert.Code)
		}
		if cert.IssuedOn != "2026-03-01" || cert.ExpiresOn != "2027-03-01" {
			t.Fatalf("dates %s %s", cert.IssuedOn, cert.ExpiresOn)
		}
		_, err = training.New(s).Certify(ctx, coach.ID, p)
		wantField(t, err, "trainee_id") // already certified: renew instead

		// Verification tells only name, status and expiry; codes are read
		// as people type them.
		v, err := training.New(s).Verify(ctx, " "+strings.ToLower(cert.Code)+" ")
		if err != nil || v != (training.Verification{Name: "Casey Coach", Status: contract.CertCurrent, ExpiresOn: "2027-03-01"}) {
			t.Fatalf("verify %+v %v", v, err)
		}
		if _, err := training.New(s).Verify(ctx, "IML-AAAA-AAAA-AAAA-AAAA"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown code: %v", err)
		}

		// The pull: the org's changes after a cursor, in order; never another org's.
		for _, m := range training.Modules {
			_ = training.New(s).CompleteModule(ctx, outsider.ID, m, "", "t")
		}
		if _, err := training.New(s).Certify(ctx, outsider.ID, p); err != nil {
			t.Fatal(err)
		}
		wire, err := training.New(s).CertificationsAfter(ctx, org.ID, 0, 100)
		if err != nil || len(wire) != 1 || wire[0].Code != cert.Code || wire[0].CoachEmail != "casey@example.org" || len(wire[0].Modules) != 6 {
			t.Fatalf("wire %+v %v", wire, err)
		}
		seq := wire[0].Seq

		// Expiring soon within the window only.
		if exp, _ := training.New(s).ExpiringCertifications(ctx, p); len(exp) != 0 {
			t.Fatalf("flagged a year ahead: %+v", exp)
		}
		now = time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC)
		exp, _ := training.New(s).ExpiringCertifications(ctx, p)
		if len(exp) != 2 || !exp[0].ExpiresSoon {
			t.Fatalf("expiring %+v", exp)
		}
		// Renewal extends from the expiry and makes a new change.
		renewed, err := training.New(s).RenewCertification(ctx, cert.Code, p)
		if err != nil || renewed.ExpiresOn != "2028-03-01" || renewed.Seq <= seq {
			t.Fatalf("renewed %+v %v", renewed, err)
		}
		wire, _ = training.New(s).CertificationsAfter(ctx, org.ID, seq, 100)
		if len(wire) != 1 || wire[0].ExpiresOn != "2028-03-01" {
			t.Fatalf("renewal not pulled: %+v", wire)
		}
		seq = wire[0].Seq

		// Revocation needs a reason; a refused one changes nothing.
		_, err = training.New(s).RevokeCertification(ctx, cert.Code, "  ")
		wantField(t, err, "reason")
		if w, _ := training.New(s).CertificationsAfter(ctx, org.ID, seq, 100); len(w) != 0 {
			t.Fatal("a refused revocation made a change")
		}
		if _, err := training.New(s).RevokeCertification(ctx, cert.Code, "left the program"); err != nil {
			t.Fatal(err)
		}
		wire, _ = training.New(s).CertificationsAfter(ctx, org.ID, seq, 100)
		if len(wire) != 1 || wire[0].Status != contract.CertRevoked || wire[0].RevokedReason != "left the program" {
			t.Fatalf("revocation pulled %+v", wire)
		}
		_, err = training.New(s).RenewCertification(ctx, cert.Code, p)
		wantField(t, err, "code")
		if v, _ := training.New(s).Verify(ctx, cert.Code); v.Status != contract.CertRevoked {
			t.Fatalf("verify after revocation: %+v", v)
		}
		// After revocation the coach may be certified again, with a new code.
		again, err := training.New(s).Certify(ctx, coach.ID, p)
		if err != nil || again.Code == cert.Code {
			t.Fatalf("recertified %+v %v", again, err)
		}

		// Expired on the day after the expiry date.
		now = time.Date(2028, 2, 1, 0, 0, 0, 0, time.UTC)
		if v, _ := training.New(s).Verify(ctx, again.Code); v.Status != contract.CertExpired {
			t.Fatalf("verify after expiry: %+v", v)
		}

		// Director sessions are for directors.
		_, err = training.New(s).AddDirectorSession(ctx, coach.ID, "2026-03-01", "Tess", "")
		wantField(t, err, "trainee_id")
		if _, err := training.New(s).AddDirectorSession(ctx, director.ID, "2026-03-01", "Tess", "Program overview"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTrainingEventCapacity(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		org, _ := affiliates.New(s).AddOrganization(ctx, "Event org", "peer_run", "VA")
		_, err := training.New(s).AddTrainingEvent(ctx, training.TrainingEvent{Title: "Spring", Mode: training.ModeInPerson, StartsOn: "2026-04-01", Trainer: "Tess", Capacity: 1})
		wantField(t, err, "location")
		_, err = training.New(s).AddTrainingEvent(ctx, training.TrainingEvent{Title: "Spring", Mode: training.ModeVirtual, StartsOn: "2026-04-03", EndsOn: "2026-04-01", Trainer: "Tess", Capacity: 1})
		wantField(t, err, "ends_on")
		e, err := training.New(s).AddTrainingEvent(ctx, training.TrainingEvent{Title: "Spring", Mode: training.ModeVirtual, StartsOn: "2026-04-01", Trainer: "Tess", Capacity: 1})
		if err != nil || e.EndsOn != "2026-04-01" {
			t.Fatalf("%+v %v", e, err)
		}
		a, _ := training.New(s).AddTrainee(ctx, org.ID, "A", "a@example.org", training.TraineeCoach)
		b, _ := training.New(s).AddTrainee(ctx, org.ID, "B", "b@example.org", training.TraineeCoach)
		if err := training.New(s).Register(ctx, e.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		wantField(t, training.New(s).Register(ctx, e.ID, a.ID), "trainee_id")
		wantField(t, training.New(s).Register(ctx, e.ID, b.ID), "trainee_id") // full
		wantField(t, training.New(s).MarkAttendance(ctx, e.ID, b.ID, true), "trainee_id")
		if err := training.New(s).MarkAttendance(ctx, e.ID, a.ID, true); err != nil {
			t.Fatal(err)
		}
		rs, _ := training.New(s).Registrations(ctx, e.ID)
		if len(rs) != 1 || !rs[0].Attended {
			t.Fatalf("registrations %+v", rs)
		}
	})
}
