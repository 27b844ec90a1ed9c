package ta_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/pkg/contract"
)

func taRequest(subject string) contract.TARequestWire {
	return contract.TARequestWire{ID: uuid.NewString(), Subject: subject, Category: "recruitment", Text: "How do other sites recruit?", RaisedAt: time.Now().UTC()}
}

func TestTARequestAnsweredOnceInThePull(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		site := enrolledSite(t, s, "TA site")
		other := enrolledSite(t, s, "Other TA site")
		spec, _ := staff.New(s).AddUser(ctx, "ta@example.org", "Tess", store.RoleTA, "", "a long enough password")
		w := taRequest("Recruiting in rural counties")
		res, err := ta.New(s).ReceiveTARequest(ctx, site, w)
		if err != nil || res.Fate != contract.FateStored || res.Status != contract.TAOpen {
			t.Fatalf("first delivery %+v %v", res, err)
		}
		if res, err := ta.New(s).ReceiveTARequest(ctx, site, w); err != nil || res.Fate != contract.FateDuplicate {
			t.Fatalf("second delivery %+v %v", res, err)
		}
		changed := w
		changed.Text = "Another text"
		if _, err := ta.New(s).ReceiveTARequest(ctx, site, changed); !errors.Is(err, contract.ErrTAConflict) {
			t.Fatalf("same id, other content: %v", err)
		}
		if _, err := ta.New(s).ReceiveTARequest(ctx, other, w); !errors.Is(err, contract.ErrTAConflict) {
			t.Fatalf("same id from another site: %v", err)
		}
		bad := taRequest("")
		var fe *contract.TAFieldError
		if _, err := ta.New(s).ReceiveTARequest(ctx, site, bad); !errors.As(err, &fe) || fe.Field != "subject" {
			t.Fatalf("no subject: %v", err)
		}
		if rs, _ := ta.New(s).TARequests(ctx, ta.TAFilter{}); len(rs) != 1 || rs[0].Body != w.Text || rs[0].OrgID != site.OrgID {
			t.Fatalf("requests held %+v", rs)
		}
		// Nothing is offered before a change.
		if got, _ := ta.New(s).TAAnswersAfter(ctx, site.ID, 0, 100); len(got) != 0 {
			t.Fatalf("offered before any answer: %+v", got)
		}
		_, err = ta.New(s).AnswerTARequest(ctx, w.ID, "  ", spec)
		wantField(t, err, "answer")
		a, err := ta.New(s).AnswerTARequest(ctx, w.ID, "Partner with the county clubhouse.", spec)
		if err != nil || a.Status != contract.TAAnswered || a.Seq < 1 || a.AssigneeID != spec.ID {
			t.Fatalf("answer %+v %v", a, err)
		}
		got, _ := ta.New(s).TAAnswersAfter(ctx, site.ID, 0, 100)
		if len(got) != 1 || got[0].Answer != "Partner with the county clubhouse." || got[0].AnsweredBy != "Tess" {
			t.Fatalf("offered %+v", got)
		}
		cursor := got[0].Seq
		if again, _ := ta.New(s).TAAnswersAfter(ctx, site.ID, cursor, 100); len(again) != 0 {
			t.Fatalf("offered again after the cursor: %+v", again)
		}
		if theirs, _ := ta.New(s).TAAnswersAfter(ctx, other.ID, 0, 100); len(theirs) != 0 {
			t.Fatalf("another site is offered %+v", theirs)
		}
		closed, err := ta.New(s).CloseTARequest(ctx, w.ID)
		if err != nil || closed.Seq <= cursor {
			t.Fatalf("close %+v %v", closed, err)
		}
		if after, _ := ta.New(s).TAAnswersAfter(ctx, site.ID, cursor, 100); len(after) != 1 || after[0].Status != contract.TAClosed {
			t.Fatalf("after closing %+v", after)
		}
		_, err = ta.New(s).AnswerTARequest(ctx, w.ID, "late", spec)
		wantField(t, err, "request")
		if _, err := ta.New(s).AnswerTARequest(ctx, uuid.NewString(), "x", spec); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown request: %v", err)
		}
	})
}

// TestSpecialistsByAssignment: who does TA work is read from the role
// assignments, so an account holding TA among other roles counts and one
// without it does not.
func TestSpecialistsByAssignment(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		o, _ := affiliates.New(s).AddOrganization(ctx, "Spec org", "peer_run", "VA")
		for _, to := range []string{affiliates.StageAgreement, affiliates.StageTraining, affiliates.StageLaunched} {
			if _, err := affiliates.New(s).ChangeStage(ctx, o.ID, affiliates.StageInput{To: to}, "Ana"); err != nil {
				t.Fatal(err)
			}
		}
		analyst, _ := staff.New(s).AddUser(ctx, "an@example.org", "Ana", store.RoleAnalyst, "", "a long enough password")
		both, _ := staff.New(s).AddUser(ctx, "both@example.org", "Bo", store.RoleAnalyst, "", "a long enough password")
		if _, err := staff.New(s).Assign(ctx, "test", both.ID, store.RoleTA, ""); err != nil {
			t.Fatal(err)
		}
		sp, err := ta.New(s).Specialists(ctx)
		if err != nil || len(sp) != 1 || sp[0].ID != both.ID {
			t.Fatalf("specialists %+v %v", sp, err)
		}
		wantField(t, ta.New(s).AssignPlan(ctx, o.ID, analyst.ID), "specialist_id")
		if err := ta.New(s).AssignPlan(ctx, o.ID, both.ID); err != nil {
			t.Fatal(err)
		}
		if p, _, _ := ta.New(s).Plan(ctx, o.ID); p.SpecialistID != both.ID {
			t.Fatalf("plan specialist %q", p.SpecialistID)
		}
	})
}
