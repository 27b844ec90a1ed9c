package affiliates_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/hub/internal/ta"
)

func TestLifecycleTransitions(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		clk := &clock{day("2026-01-10")}
		s.Now = clk.now
		o, err := affiliates.New(s).AddOrganization(ctx, "Lifecycle org", "nami", "TX")
		if err != nil {
			t.Fatal(err)
		}
		if st, on, n := stageOf(t, s, o.ID); st != affiliates.StageInquiry || on != "2026-01-10" || n != 1 {
			t.Fatalf("new organization at %s since %s with %d history rows", st, on, n)
		}
		refused := []struct {
			in    affiliates.StageInput
			field string
		}{
			{affiliates.StageInput{To: affiliates.StageTraining}, "to"},                        // skips agreement
			{affiliates.StageInput{To: "bogus"}, "to"},                                         // no such stage
			{affiliates.StageInput{To: affiliates.StageAgreement, On: "2026-02-01"}, "on"},     // future
			{affiliates.StageInput{To: affiliates.StageAgreement, On: "2025-12-31"}, "on"},     // before the current stage
			{affiliates.StageInput{To: affiliates.StageAgreement, On: "10/01/2026"}, "on"},     // not a date
			{affiliates.StageInput{To: affiliates.StageInactive}, "reason"},                    // inactive without a reason
			{affiliates.StageInput{To: affiliates.StageInquiry, Reason: "again"}, "to"},        // not forward
			{affiliates.StageInput{To: affiliates.StageAgreement, Reason: "a\x00b"}, "reason"}, // not plain text
		}
		for _, r := range refused {
			_, err := affiliates.New(s).ChangeStage(ctx, o.ID, r.in, "Ana")
			wantField(t, err, r.field)
			if st, _, n := stageOf(t, s, o.ID); st != affiliates.StageInquiry || n != 1 {
				t.Fatalf("refused %+v changed the stage to %s (%d rows)", r.in, st, n)
			}
		}
		if _, err := affiliates.New(s).ChangeStage(ctx, "no such org", affiliates.StageInput{To: affiliates.StageAgreement}, "Ana"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown org: %v", err)
		}
		clk.t = day("2026-03-01")
		for _, step := range []struct{ to, on string }{{affiliates.StageAgreement, "2026-01-20"}, {affiliates.StageTraining, "2026-02-01"}, {affiliates.StageLaunched, "2026-02-15"}} {
			if _, err := affiliates.New(s).ChangeStage(ctx, o.ID, affiliates.StageInput{To: step.to, On: step.on}, "Ana"); err != nil {
				t.Fatalf("to %s: %v", step.to, err)
			}
		}
		plan, checkins, err := ta.New(s).Plan(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if plan.OpenedOn != "2026-02-15" || plan.EndsOn != "2027-02-15" || len(checkins) != ta.DefaultCheckIns {
			t.Fatalf("plan %+v with %d check-ins", plan, len(checkins))
		}
		if checkins[0].DueOn != "2026-03-15" || checkins[11].DueOn != "2027-02-15" {
			t.Fatalf("check-ins due %s … %s", checkins[0].DueOn, checkins[11].DueOn)
		}
		if _, err := affiliates.New(s).ChangeStage(ctx, o.ID, affiliates.StageInput{To: affiliates.StageFirstYearTA}, "Ana"); err != nil {
			t.Fatal(err)
		}
		// Sustaining only once the first year is over.
		_, err = affiliates.New(s).ChangeStage(ctx, o.ID, affiliates.StageInput{To: affiliates.StageSustaining}, "Ana")
		wantField(t, err, "to")
		if st, _, _ := stageOf(t, s, o.ID); st != affiliates.StageFirstYearTA {
			t.Fatalf("refused sustaining left the stage at %s", st)
		}
		// Inactive from anywhere, back to a named stage with a reason; the
		// plan is not opened a second time.
		if _, err := affiliates.New(s).ChangeStage(ctx, o.ID, affiliates.StageInput{To: affiliates.StageInactive, Reason: "funding paused"}, "Ana"); err != nil {
			t.Fatal(err)
		}
		_, err = affiliates.New(s).ChangeStage(ctx, o.ID, affiliates.StageInput{To: affiliates.StageLaunched}, "Ana")
		wantField(t, err, "reason")
		if _, err := affiliates.New(s).ChangeStage(ctx, o.ID, affiliates.StageInput{To: affiliates.StageLaunched, Reason: "funding restored"}, "Ana"); err != nil {
			t.Fatal(err)
		}
		var plans int64
		s.DB.Model(&ta.TAPlan{}).Where("org_id = ?", o.ID).Count(&plans)
		if _, again, _ := ta.New(s).Plan(ctx, o.ID); plans != 1 || len(again) != ta.DefaultCheckIns {
			t.Fatalf("%d plans with %d check-ins after a second go-live", plans, len(again))
		}
		clk.t = day("2027-02-20")
		if _, err := affiliates.New(s).ChangeStage(ctx, o.ID, affiliates.StageInput{To: affiliates.StageFirstYearTA}, "Ana"); err != nil {
			t.Fatal(err)
		}
		if _, err := affiliates.New(s).ChangeStage(ctx, o.ID, affiliates.StageInput{To: affiliates.StageSustaining}, "Ana"); err != nil {
			t.Fatalf("sustaining after the first year: %v", err)
		}
		h, _ := affiliates.New(s).StageHistory(ctx, o.ID)
		var path []string
		for _, c := range h {
			path = append(path, c.ToStage)
		}
		want := []string{"inquiry", "agreement", "training", "launched", "first_year_ta", "inactive", "launched", "first_year_ta", "sustaining"}
		if len(path) != len(want) {
			t.Fatalf("history %v, want %v", path, want)
		}
		for i := range want {
			if path[i] != want[i] {
				t.Fatalf("history %v, want %v", path, want)
			}
		}
		if h[5].Reason != "funding paused" || h[6].FromStage != affiliates.StageInactive || h[6].Reason != "funding restored" {
			t.Fatalf("inactive steps lost their reasons: %+v %+v", h[5], h[6])
		}
		// Filters.
		if _, err := affiliates.New(s).AddOrganization(ctx, "Other org", "church", "VA"); err != nil {
			t.Fatal(err)
		}
		got, err := affiliates.New(s).FindOrganizations(ctx, affiliates.OrgFilter{Stage: affiliates.StageSustaining})
		if err != nil || len(got) != 1 || got[0].ID != o.ID {
			t.Fatalf("filter by stage: %v %v", got, err)
		}
		if got, _ := affiliates.New(s).FindOrganizations(ctx, affiliates.OrgFilter{Type: "church", State: "va"}); len(got) != 1 || got[0].Name != "Other org" {
			t.Fatalf("filter by type and state: %v", got)
		}
		_, err = affiliates.New(s).FindOrganizations(ctx, affiliates.OrgFilter{Stage: "nope"})
		wantField(t, err, "stage")
	})
}

func TestContactsAndOverdueCheckIns(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		clk := &clock{day("2026-01-01")}
		s.Now = clk.now
		o, _ := affiliates.New(s).AddOrganization(ctx, "Check-in org", "peer_run", "VA")
		if _, err := affiliates.New(s).AddContact(ctx, o.ID, affiliates.ContactInput{Name: "Pat Lee", Role: "Program Director", Email: "Pat@Example.org", Phone: "+1 (540) 555-0100"}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []struct {
			in    affiliates.ContactInput
			field string
		}{
			{affiliates.ContactInput{Role: "x", Email: "a@b.org"}, "name"},
			{affiliates.ContactInput{Name: "x", Email: "a@b.org"}, "role"},
			{affiliates.ContactInput{Name: "x", Role: "y", Email: "not an email"}, "email"},
			{affiliates.ContactInput{Name: "x", Role: "y", Phone: "call me"}, "phone"},
			{affiliates.ContactInput{Name: "x", Role: "y"}, "email"},
		} {
			_, err := affiliates.New(s).AddContact(ctx, o.ID, bad.in)
			wantField(t, err, bad.field)
		}
		cs, _ := affiliates.New(s).Contacts(ctx, o.ID)
		if len(cs) != 1 || cs[0].Email != "pat@example.org" {
			t.Fatalf("contacts %+v", cs)
		}
		for _, to := range []string{affiliates.StageAgreement, affiliates.StageTraining, affiliates.StageLaunched} {
			if _, err := affiliates.New(s).ChangeStage(ctx, o.ID, affiliates.StageInput{To: to}, "Ana"); err != nil {
				t.Fatal(err)
			}
		}
		spec, err := staff.New(s).AddUser(ctx, "ta@example.org", "Tess", store.RoleTA, "", "a long enough password")
		if err != nil {
			t.Fatal(err)
		}
		other, _ := staff.New(s).AddUser(ctx, "ta2@example.org", "Theo", store.RoleTA, "", "a long enough password")
		analyst, _ := staff.New(s).AddUser(ctx, "an@example.org", "Ana", store.RoleAnalyst, "", "a long enough password")
		wantField(t, ta.New(s).AssignPlan(ctx, o.ID, analyst.ID), "specialist_id")
		if err := ta.New(s).AssignPlan(ctx, o.ID, spec.ID); err != nil {
			t.Fatal(err)
		}
		overdue := func(userID string) []string {
			t.Helper()
			w, err := ta.New(s).Work(ctx, userID, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range w.Overdue {
				if c.OrgName != o.Name {
					t.Fatalf("check-in of %q", c.OrgName)
				}
				out = append(out, c.DueOn)
			}
			return out
		}
		if got := overdue(spec.ID); len(got) != 0 {
			t.Fatalf("overdue on go-live day: %v", got)
		}
		clk.t = day("2026-02-01") // the first check-in is due today: not overdue yet
		if got := overdue(spec.ID); len(got) != 0 {
			t.Fatalf("overdue on the due day: %v", got)
		}
		clk.t = day("2026-03-02")
		got := overdue(spec.ID)
		if len(got) != 2 || got[0] != "2026-02-01" || got[1] != "2026-03-01" {
			t.Fatalf("overdue %v", got)
		}
		if got := overdue(other.ID); len(got) != 0 {
			t.Fatalf("another specialist's list holds %v", got)
		}
		if w, _ := ta.New(s).Work(ctx, other.ID, true, nil); len(w.Overdue) != 2 {
			t.Fatalf("everyone's list holds %d overdue", len(w.Overdue))
		}
		_, cis, _ := ta.New(s).Plan(ctx, o.ID)
		if _, err := ta.New(s).CompleteCheckIn(ctx, o.ID, cis[0].ID, "2026-02-03", "Talked through recruitment."); err != nil {
			t.Fatal(err)
		}
		_, err = ta.New(s).CompleteCheckIn(ctx, o.ID, cis[0].ID, "", "")
		wantField(t, err, "done_on")
		_, err = ta.New(s).RescheduleCheckIn(ctx, o.ID, cis[1].ID, "2025-12-01")
		wantField(t, err, "due_on")
		if _, err := ta.New(s).RescheduleCheckIn(ctx, o.ID, cis[1].ID, "2026-03-10"); err != nil {
			t.Fatal(err)
		}
		if _, err := ta.New(s).RescheduleCheckIn(ctx, "other org", cis[1].ID, "2026-03-10"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("check-in of another org: %v", err)
		}
		if got := overdue(spec.ID); len(got) != 0 {
			t.Fatalf("overdue after done and rescheduled: %v", got)
		}
		if _, err := ta.New(s).AddCheckIn(ctx, o.ID, "2026-03-01"); err != nil {
			t.Fatal(err)
		}
		if got := overdue(spec.ID); len(got) != 1 || got[0] != "2026-03-01" {
			t.Fatalf("an added past check-in: %v", got)
		}
		// Logged contacts.
		if _, err := ta.New(s).LogTAContact(ctx, o.ID, ta.TAContactInput{Mode: "video", Minutes: 45, Notes: "Coach supervision plan"}, spec); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []struct {
			in    ta.TAContactInput
			field string
		}{
			{ta.TAContactInput{Mode: "fax", Minutes: 5, Notes: "x"}, "mode"},
			{ta.TAContactInput{Mode: "phone", Minutes: 0, Notes: "x"}, "minutes"},
			{ta.TAContactInput{Mode: "phone", Minutes: 5}, "notes"},
			{ta.TAContactInput{Mode: "phone", Minutes: 5, Notes: "x", On: "2027-01-01"}, "on"},
		} {
			_, err := ta.New(s).LogTAContact(ctx, o.ID, bad.in, spec)
			wantField(t, err, bad.field)
		}
		if logged, _ := ta.New(s).TAContacts(ctx, o.ID); len(logged) != 1 || logged[0].OnDate != "2026-03-02" || logged[0].ByName != "Tess" {
			t.Fatalf("logged contacts %+v", logged)
		}
		// The fidelity seam.
		flags := func(context.Context) ([]outcomes.SiteFlag, error) {
			return []outcomes.SiteFlag{{SiteID: "s1", OrgID: o.ID, Reasons: []string{"closing interviews missing"}}}, nil
		}
		if w, _ := ta.New(s).Work(ctx, spec.ID, false, flags); len(w.Flagged) != 1 || w.Flagged[0].Reasons[0] != "closing interviews missing" {
			t.Fatalf("flagged %+v", w.Flagged)
		}
	})
}

// clock is a settable clock for the store.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// TestOrganizationPlaceAndDateMustBeReal: a state code that is no state or
// territory, and an inquiry date before the program's records begin, are
// refused on the field they are about, and nothing is added.
func TestOrganizationPlaceAndDateMustBeReal(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		a := affiliates.New(s)
		for _, c := range []struct {
			state, since, field string
		}{{"ZZ", "", "state"}, {"va", "1066-01-01", "since"}, {"V", "", "state"}} {
			_, err := a.AddOrganizationSince(ctx, affiliates.OrgInput{Name: "Real org " + c.state, Type: "nami", State: c.state}, c.since)
			var v *store.ValidationError
			if !errors.As(err, &v) || v.Field != c.field {
				t.Errorf("state %q since %q: %v, want refused on %s", c.state, c.since, err, c.field)
			}
		}
		if o, err := a.AddOrganizationSince(ctx, affiliates.OrgInput{Name: "Guam org", Type: "nami", State: "gu"}, "2001-05-01"); err != nil || o.State != "GU" {
			t.Errorf("a territory: %+v %v", o, err)
		}
		var n int64
		if err := s.DB.Table("organizations").Where("name LIKE ?", "Real org%").Count(&n).Error; err != nil || n != 0 {
			t.Errorf("refused organizations added: %d %v", n, err)
		}
	})
}
