package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident/deidenttest"
	"github.com/itsmylife/iml/pkg/program"
)

// quasiCells counts the hub's live participant records of each
// combination of site, enrollment year, age band and model.
func quasiCells(t *testing.T, h *cluster.Hub) map[string]int {
	t.Helper()
	var rows []struct{ SiteID, Data string }
	if err := openDB(t, hubDSN(h)).Raw("SELECT site_id, data FROM records WHERE type = ? AND deleted = ?", contract.TypeParticipant, false).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	cells := map[string]int{}
	for _, r := range rows {
		var p contract.Participant
		if err := json.Unmarshal([]byte(r.Data), &p); err != nil {
			t.Fatal(err)
		}
		cells[fmt.Sprintf("%s/%d/%s/%s", r.SiteID, p.EnrollmentYear, p.AgeBand, p.Model)]++
	}
	return cells
}

// TestSmallSiteReachesHubDeidentified enrolls a 17-participant site
// through a real agent's API, lets it sync to a real hub, and counts in the
// hub's database the combinations of site, enrollment year, age band and
// model that fewer than k participants share: none, with every participant
// there; and every count before enrollment is at most 3.
func TestSmallSiteReachesHubDeidentified(t *testing.T) {
	ctx := context.Background()
	h := startHub(t, "")
	a := enrolledAgent(t, h, h.URL(), "Small site")
	if err := a.Start(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Stop(); err != nil {
			t.Error(err)
		}
	})
	tok := directorToken(t, a)
	api := a.URL() + "/api/v1"
	rel := program.Default()
	var coach struct{ ID string }
	post(t, ctx, http.MethodPost, api+"/coaches", tok, map[string]any{"name": "Casey Coach"}, &coach, http.StatusCreated)
	post(t, ctx, http.MethodPost, api+"/coaches/"+coach.ID+"/certification", tok, map[string]any{"code": "PLC-SMALL", "certified_until": "2099-12-31"}, nil, http.StatusOK)
	cohorts := map[string]string{}
	for _, m := range contract.Models {
		var coh struct{ ID string }
		post(t, ctx, http.MethodPost, api+"/cohorts", tok, map[string]any{"name": "Group " + m, "model": m, "start_date": "2025-02-10", "coach_id": coach.ID}, &coh, http.StatusCreated)
		cohorts[m] = coh.ID
	}
	answers := map[string]bool{}
	for _, it := range rel.Asked() {
		answers[it.Code] = false
	}
	for i, x := range deidenttest.SmallSite {
		var p struct{ ID string }
		post(t, ctx, http.MethodPost, api+"/participants", tok, map[string]any{
			"first_name": fmt.Sprint("Person", i), "last_name": "Small", "birth_date": x.Birth, "enrolled_on": x.Enrolled,
			"informed_consent": true, "manages_finances": true, "sets_goals": true, "accepts_responsibilities": true,
			"agreement_signed_on": x.Enrolled, "hospitalization_consent_on": x.Enrolled,
		}, &p, http.StatusCreated)
		if x.Model != "" {
			post(t, ctx, http.MethodPost, api+"/cohorts/"+cohorts[x.Model]+"/members", tok, map[string]any{"participant_id": p.ID, "joined_on": x.Enrolled}, nil, http.StatusOK)
		}
		post(t, ctx, http.MethodPut, api+"/participants/"+p.ID+"/hospitalizations/before", tok, map[string]any{"before_count": x.Before}, nil, http.StatusOK)
		post(t, ctx, http.MethodPut, api+"/participants/"+p.ID+"/interviews/eligibility", tok, map[string]any{"interviewed_on": x.Enrolled, "answers": answers}, nil, http.StatusOK)
	}
	if _, err := a.CLI(ctx, "", "sync"); err != nil {
		t.Fatal(err)
	}
	assertHubHoldsExactly(t, h, a)
	cells := quasiCells(t, h)
	sent := 0
	for cell, n := range cells {
		sent += n
		if n < program.DefaultMinGroup {
			t.Errorf("%d participants at the hub share %s, fewer than k = %d", n, cell, program.DefaultMinGroup)
		}
	}
	t.Logf("at the hub: %d of %d participants, combinations of site, year, band and model: %v", sent, len(deidenttest.SmallSite), cells)
	if sent != len(deidenttest.SmallSite) {
		t.Fatalf("%d of %d participants reached the hub", sent, len(deidenttest.SmallSite))
	}
	var hs []string
	if err := openDB(t, hubDSN(h)).Raw("SELECT data FROM records WHERE type = ? AND deleted = ?", contract.TypeHospitalization, false).Scan(&hs).Error; err != nil {
		t.Fatal(err)
	}
	for _, d := range hs {
		var r contract.Hospitalization
		if err := json.Unmarshal([]byte(d), &r); err != nil || r.BeforeCount > contract.BeforeCountTop {
			t.Fatalf("hospitalization record at the hub: %s %v", d, err)
		}
	}
	if len(hs) != len(deidenttest.SmallSite) {
		t.Fatalf("%d hospitalization records at the hub, want %d", len(hs), len(deidenttest.SmallSite))
	}
}
