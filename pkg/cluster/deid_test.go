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

// smallSite is a 17-participant site over two enrollment years, two
// models and no cohort, ages 19 to 93, with counts of hospitalizations
// before enrollment from 0 to 9 (the agent store's test uses the same).
var smallSite = []struct {
	birth, enrolled, model string
	before                 int
}{
	{"2006-03-02", "2025-02-10", contract.ModelPeerPartners, 0},
	{"1994-07-19", "2025-02-10", contract.ModelPeerPartners, 1},
	{"1987-11-30", "2025-03-03", contract.ModelPeerPartners, 0},
	{"1973-01-08", "2025-03-17", contract.ModelPeerPartners, 2},
	{"1964-05-25", "2025-04-07", contract.ModelPeerPartners, 5},
	{"1998-09-14", "2025-05-12", contract.ModelSocialExplorations, 0},
	{"1980-02-27", "2025-06-02", contract.ModelSocialExplorations, 1},
	{"1955-10-03", "2025-08-18", contract.ModelSocialExplorations, 3},
	{"1932-06-21", "2025-09-08", "", 0},
	{"1990-04-12", "2026-01-12", contract.ModelPeerPartners, 0},
	{"1985-08-08", "2026-01-26", contract.ModelPeerPartners, 2},
	{"1968-12-01", "2026-02-09", contract.ModelPeerPartners, 9},
	{"2003-06-30", "2026-02-23", contract.ModelSocialExplorations, 0},
	{"1996-03-15", "2026-03-09", contract.ModelSocialExplorations, 1},
	{"1977-10-21", "2026-03-30", contract.ModelSocialExplorations, 4},
	{"1960-01-17", "2026-04-20", contract.ModelSocialExplorations, 0},
	{"1949-07-04", "2026-05-04", contract.ModelSocialExplorations, 2},
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
	for i, x := range smallSite {
		var p struct{ ID string }
		post(t, ctx, http.MethodPost, api+"/participants", tok, map[string]any{
			"first_name": fmt.Sprint("Person", i), "last_name": "Small", "birth_date": x.birth, "enrolled_on": x.enrolled,
			"informed_consent": true, "manages_finances": true, "sets_goals": true, "accepts_responsibilities": true,
			"agreement_signed_on": x.enrolled, "hospitalization_consent_on": x.enrolled,
		}, &p, http.StatusCreated)
		if x.model != "" {
			post(t, ctx, http.MethodPost, api+"/cohorts/"+cohorts[x.model]+"/members", tok, map[string]any{"participant_id": p.ID, "joined_on": x.enrolled}, nil, http.StatusOK)
		}
		post(t, ctx, http.MethodPut, api+"/participants/"+p.ID+"/hospitalizations/before", tok, map[string]any{"before_count": x.before}, nil, http.StatusOK)
		post(t, ctx, http.MethodPut, api+"/participants/"+p.ID+"/interviews/eligibility", tok, map[string]any{"interviewed_on": x.enrolled, "answers": answers}, nil, http.StatusOK)
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
	t.Logf("at the hub: %d of %d participants, combinations of site, year, band and model: %v", sent, len(smallSite), cells)
	if sent != len(smallSite) {
		t.Fatalf("%d of %d participants reached the hub", sent, len(smallSite))
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
	if len(hs) != len(smallSite) {
		t.Fatalf("%d hospitalization records at the hub, want %d", len(hs), len(smallSite))
	}
}
