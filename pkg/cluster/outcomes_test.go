package cluster_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// siteProgram is what recordProgram made at the site.
type siteProgram struct {
	CohortID string
	// Surveys is how many anonymous surveys were filled in.
	Surveys int
}

// post does a JSON call at the agent and fails the test unless it answers
// want.
func post(t *testing.T, ctx context.Context, method, url, tok string, body, out any, want int) {
	t.Helper()
	st, err := cluster.JSON(ctx, method, url, tok, body, out)
	if err != nil || st != want {
		t.Fatalf("%s %s: %d %v", method, url, st, err)
	}
}

// recordProgram runs a year of the program at a site through its API: a
// certified coach, a Peer Partners cohort of the participants, a meeting
// with notes, a journal week, an outing, hospitalizations and a service
// change for each participant, and five anonymous surveys filled in with
// codes. Every free text and date is a canary added to planted.
func recordProgram(t *testing.T, ctx context.Context, a *cluster.Agent, tok string, ids []string, planted []canaries) siteProgram {
	t.Helper()
	api := a.URL() + "/api/v1"
	rel := program.Default()
	var coach struct{ ID string }
	post(t, ctx, http.MethodPost, api+"/coaches", tok, map[string]any{"name": "Zqcoach " + planted[0].Last, "bio": planted[0].Notes + " bio"}, &coach, http.StatusCreated)
	post(t, ctx, http.MethodPost, api+"/coaches/"+coach.ID+"/certification", tok, map[string]any{"code": "PLC-" + planted[0].First, "certified_until": "2099-12-31"}, nil, http.StatusOK)
	var coh struct{ ID string }
	post(t, ctx, http.MethodPost, api+"/cohorts", tok, map[string]any{"name": "Zqcohort " + planted[1].Last, "model": contract.ModelPeerPartners, "start_date": "2025-02-17",
		"coach_id": coach.ID, "location": planted[1].Address}, &coh, http.StatusCreated)
	joined := []string{"2025-02-17", "2025-03-04", "2025-04-22"}
	for i, id := range ids {
		post(t, ctx, http.MethodPost, api+"/cohorts/"+coh.ID+"/members", tok, map[string]any{"participant_id": id, "joined_on": joined[i]}, nil, http.StatusOK)
	}
	// 2025-05-06 is in month 3 of the cohort.
	th := rel.Themes[0].Months[2]
	plan := ""
	if ps := rel.PlansFor(th.Code); len(ps) > 0 {
		plan = ps[0].Code
	}
	att := map[string]bool{ids[0]: true, ids[1]: true, ids[2]: false}
	post(t, ctx, http.MethodPost, api+"/cohorts/"+coh.ID+"/meetings", tok, map[string]any{"held_on": "2025-05-06", "lesson_plan": plan, "attendance": att,
		"skills": []string{rel.Skills[0].Code}, "notes": planted[2].Notes + " meeting"}, nil, http.StatusCreated)
	for i, id := range ids {
		c := &planted[i]
		post(t, ctx, http.MethodPut, api+"/participants/"+id+"/journals/2025-05-05", tok, map[string]any{"answers": map[string]string{rel.JournalPrompts[0].Code: c.Notes + " journal"}}, nil, http.StatusOK)
		post(t, ctx, http.MethodPost, api+"/participants/"+id+"/outings", tok, map[string]any{"date": "2025-05-10", "activity": c.Notes + " outing", "stage": 1 + i}, nil, http.StatusCreated)
		stay, change := fmt.Sprintf("2025-07-%02d", 11+i), fmt.Sprintf("2025-08-%02d", 13+i)
		c.Dates = append(c.Dates, stay, change)
		post(t, ctx, http.MethodPut, api+"/participants/"+id+"/hospitalizations/before", tok, map[string]any{"before_count": 1 + i}, nil, http.StatusOK)
		post(t, ctx, http.MethodPost, api+"/participants/"+id+"/hospitalizations/stays", tok, map[string]any{"admitted_on": stay}, nil, http.StatusCreated)
		post(t, ctx, http.MethodPost, api+"/participants/"+id+"/service-changes", tok, map[string]any{"service": "day_program", "change": "started", "changed_on": change}, nil, http.StatusCreated)
	}
	var codes struct{ Codes []string }
	post(t, ctx, http.MethodPost, api+"/survey-codes", tok, map[string]any{"timepoint": "closing", "model": contract.ModelPeerPartners, "count": 5}, &codes, http.StatusCreated)
	for i, code := range codes.Codes {
		answers := map[string]string{}
		for _, s := range rel.Survey.Statements {
			answers[s.Code] = contract.SurveyAnswers[i%len(contract.SurveyAnswers)]
		}
		post(t, ctx, http.MethodPost, api+"/survey/responses", "", map[string]any{"code": code, "answers": answers}, nil, http.StatusCreated)
	}
	planted[0].Dates = append(planted[0].Dates, "2025-02-17", "2025-05-06", "2025-05-05", "2025-05-10", "20250506", "05/06/2025")
	return siteProgram{CohortID: coh.ID, Surveys: len(codes.Codes)}
}

// hubTypes counts the site's live and deleted records at the hub by type.
func hubTypes(t *testing.T, h *cluster.Hub) (live, deleted map[string]int) {
	t.Helper()
	var rows []struct {
		Type    string
		Deleted bool
		N       int
	}
	if err := openDB(t, hubDSN(h)).Raw("SELECT type, deleted, COUNT(*) AS n FROM records GROUP BY type, deleted").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	live, deleted = map[string]int{}, map[string]int{}
	for _, r := range rows {
		if r.Deleted {
			deleted[r.Type] = r.N
		} else {
			live[r.Type] = r.N
		}
	}
	return live, deleted
}

// surrogateKey reads a participant's key upstream from the agent's database.
func surrogateKey(t *testing.T, a *cluster.Agent, id string) string {
	t.Helper()
	var key string
	if err := openDB(t, filepath.Join(a.DataDir, "agent.db")).Raw("SELECT surrogate_key FROM participants WHERE id = ?", id).Scan(&key).Error; err != nil || key == "" {
		t.Fatalf("surrogate key: %q %v", key, err)
	}
	return key
}

// liveHubRecordsOf lists the types of the live records at the hub whose
// payload names a participant key.
func liveHubRecordsOf(t *testing.T, h *cluster.Hub, key string) []string {
	t.Helper()
	var types []string
	if err := openDB(t, hubDSN(h)).Raw("SELECT type FROM records WHERE deleted = ? AND data LIKE ?", false, "%"+key+"%").Scan(&types).Error; err != nil {
		t.Fatal(err)
	}
	return types
}

// hubVersionsOf lists the versions the hub holds of a participant's live
// records of a type.
func hubVersionsOf(t *testing.T, h *cluster.Hub, typ, key string) []int64 {
	t.Helper()
	var vs []int64
	if err := openDB(t, hubDSN(h)).Raw("SELECT version FROM records WHERE type = ? AND deleted = ? AND data LIKE ?", typ, false, "%"+key+"%").Scan(&vs).Error; err != nil {
		t.Fatal(err)
	}
	return vs
}

func containsAll(hay string, needles ...string) error {
	for _, n := range needles {
		if !strings.Contains(hay, n) {
			return fmt.Errorf("%q not found", n)
		}
	}
	return nil
}
