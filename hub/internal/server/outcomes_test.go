package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/problem"
)

// TestOutcomesRoutes: the report's API and pages answer every filter,
// refuse bad ones with a clear message (never a 500), keep a director to
// their own organization, and export every table with suppression applied.
func TestOutcomesRoutes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		w := newOutcomeWorld(t, dsn, 7, 11)
		ctx := context.Background()
		const pw = "correct horse battery staple"
		if _, err := staff.New(w.h.st).AddUser(ctx, "director@example.org", "Dee Rector", store.RoleDirector, w.orgs[0].ID, pw); err != nil {
			t.Fatal(err)
		}
		_, dtok, err := staff.New(w.h.st).Login(ctx, "director@example.org", pw)
		if err != nil {
			t.Fatal(err)
		}
		bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
		get := func(t *testing.T, path, tok string) (*answer, []byte) {
			t.Helper()
			return w.h.do(t, request{method: http.MethodGet, path: path, header: bearer(tok)})
		}

		t.Run("filters", func(t *testing.T) {
			for _, q := range []string{"", "org=" + w.orgs[1].ID, "org_type=peer_run", "state=va", "model=peer_partners", "year=2025", "site=" + w.g.sites[0].ID,
				"state=VA&model=social_explorations&year=2026"} {
				resp, b := get(t, "/api/v1/outcomes/report?"+q, w.token)
				var rep outcomes.OutcomeReport
				wantJSON(t, resp, b, &rep)
				if rep.MinCell != 11 || len(rep.Indicators) != 12 || len(rep.Statements) != 11 {
					t.Fatalf("%s: min cell %d, %d indicators, %d statements", q, rep.MinCell, len(rep.Indicators), len(rep.Statements))
				}
				for _, ind := range rep.Indicators {
					if ind.Code == "pom_x13_unnamed" {
						t.Fatalf("%s: the report shows the indicator no release names", q)
					}
				}
			}
			resp, b := get(t, "/api/v1/outcomes/report?state=va", w.token)
			var rep outcomes.OutcomeReport
			wantJSON(t, resp, b, &rep)
			if rep.Filter.State != "VA" {
				t.Fatalf("state filter %q", rep.Filter.State)
			}
			for _, s := range rep.Sites {
				if s.State != "VA" {
					t.Fatalf("state VA lists site %s in %s", s.Site, s.State)
				}
			}
		})

		t.Run("bad filters", func(t *testing.T) {
			for q, field := range map[string]string{
				"org_type=bank": "org_type", "state=Virginia": "state", "state=V1": "state", "model=group": "model", "year=1999": "year", "year=abc": "year",
				"org=" + uuid.NewString(): "org", "site=" + uuid.NewString(): "site", "site=%00": "site", "org=" + url.QueryEscape("Riverside Peer Center"): "org",
				"org=" + w.orgs[1].ID + "&site=" + w.g.sites[0].ID: "site",
			} {
				resp, b := get(t, "/api/v1/outcomes/report?"+q, w.token)
				p := wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
				if !strings.Contains(fieldNames(p), field) {
					t.Errorf("%s: fields %q, want %s", q, fieldNames(p), field)
				}
				resp, b = get(t, "/outcomes?"+q, w.token)
				if resp.StatusCode != http.StatusUnprocessableEntity || !bytes.Contains(b, []byte(`id="error-summary"`)) || !bytes.Contains(b, []byte(`aria-invalid="true"`)) {
					t.Errorf("page %s: %d without a message", q, resp.StatusCode)
				}
			}
			resp, b := get(t, "/api/v1/outcomes/fidelity?model=x", w.token)
			wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
		})

		t.Run("director", func(t *testing.T) {
			resp, b := get(t, "/api/v1/outcomes/report", dtok)
			var rep outcomes.OutcomeReport
			wantJSON(t, resp, b, &rep)
			if rep.Filter.OrgID != w.orgs[0].ID {
				t.Fatalf("director's report is filtered to %q", rep.Filter.OrgID)
			}
			for _, s := range rep.Sites {
				if s.Organization != w.orgs[0].Name {
					t.Fatalf("director sees site %s of %s", s.Site, s.Organization)
				}
			}
			for _, q := range []string{"org=" + w.orgs[1].ID, "site=" + w.g.sites[5].ID} {
				resp, b := get(t, "/api/v1/outcomes/report?"+q, dtok)
				wantProblem(t, resp, b, http.StatusForbidden, problem.TypeForbidden)
				resp, b = get(t, "/api/v1/outcomes/fidelity?"+q, dtok)
				wantProblem(t, resp, b, http.StatusForbidden, problem.TypeForbidden)
			}
			resp, b = get(t, "/outcomes/export/sites.csv?org="+w.orgs[1].ID, dtok)
			if resp.StatusCode != http.StatusForbidden || bytes.Contains(b, []byte(w.orgs[1].Name)) {
				t.Fatalf("director's export of another organization: %d", resp.StatusCode)
			}
		})

		t.Run("pages", func(t *testing.T) {
			for _, path := range []string{"/outcomes", "/outcomes?model=peer_partners&year=2025", "/outcomes/print?state=VA", "/outcomes/fidelity", "/outcomes/fidelity?org=" + w.orgs[2].ID} {
				resp, b := get(t, path, w.token)
				if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
					t.Fatalf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
				}
				if strings.HasPrefix(path, "/outcomes?") || path == "/outcomes" {
					for _, want := range []string{`id="indicators"`, `id="statements"`, `id="hospitalizations"`, `id="sites"`, `<svg`, "suppressed (protects counts under 11)"} {
						if !bytes.Contains(b, []byte(want)) {
							t.Fatalf("%s lacks %s", path, want)
						}
					}
				}
			}
			// The printed report says what it shows, naming the organization
			// and site of its filter.
			site := w.g.sites[0]
			org := w.g.orgOf[site.ID]
			if resp, b := get(t, "/outcomes/print?org="+org.ID+"&site="+site.ID+"&year=2025", w.token); resp.StatusCode != http.StatusOK ||
				!bytes.Contains(b, []byte(org.Name+", site "+site.Name+", enrolled in 2025")) {
				t.Fatalf("printed report of a site: %d, the filter not named", resp.StatusCode)
			}
			resp, b := get(t, "/static/style.css", w.token)
			if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte("@media print")) {
				t.Fatal("the stylesheet has no print rules")
			}
		})

		t.Run("exports", func(t *testing.T) {
			resp, b := get(t, "/api/v1/outcomes/report?model=peer_partners", w.token)
			var rep outcomes.OutcomeReport
			wantJSON(t, resp, b, &rep)
			for _, table := range []string{"indicators", "statements", "hospitalizations", "participation", "sites", "fidelity"} {
				resp, b := get(t, "/outcomes/export/"+table+".csv?model=peer_partners", w.token)
				if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
					t.Fatalf("%s: %d %s", table, resp.StatusCode, resp.Header.Get("Content-Type"))
				}
				rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
				if err != nil || len(rows) < 2 {
					t.Fatalf("%s: %d rows, %v", table, len(rows), err)
				}
				if table == "sites" {
					if len(rows)-1 != len(rep.Sites) {
						t.Fatalf("sites.csv has %d rows, the report %d sites", len(rows)-1, len(rep.Sites))
					}
					for i, s := range rep.Sites {
						if rows[i+1][4] != s.Participants.String() {
							t.Fatalf("sites.csv row %d shows %q, the report %q", i+1, rows[i+1][4], s.Participants.String())
						}
					}
				}
				if table == "statements" {
					for i, st := range rep.Statements {
						for j, a := range st.Answers {
							if rows[i+1][3+j] != a.String() {
								t.Fatalf("statements.csv %s answer %d: %q, report %q", st.Code, j, rows[i+1][3+j], a.String())
							}
						}
					}
				}
			}
			if !bytes.Contains(b, []byte("suppressed (protects counts under 11)")) && len(rep.Sites) > 0 {
				t.Log("no suppressed figure in this export")
			}
			resp, _ = get(t, "/outcomes/export/secrets.csv", w.token)
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("unknown export: %d", resp.StatusCode)
			}
		})
	})
}
