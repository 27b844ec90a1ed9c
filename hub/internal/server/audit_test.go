package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/problem"
)

type auditAnswer struct {
	Entries    []store.AuditEntry `json:"entries"`
	NextBefore int64              `json:"next_before"`
}

func TestRoleAssignmentAPI(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		f := newFixture(t, h)
		ctx := context.Background()
		admin := map[string]string{"Authorization": "Bearer " + f.callers[store.RoleAdmin].token, "Content-Type": "application/json"}
		roles := "/api/v1/users/" + f.target.ID + "/roles"

		resp, b := h.do(t, request{method: http.MethodPost, path: roles, header: admin, body: []byte(`{"role":"director","org_id":"` + f.orgA.ID + `"}`)})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("assign: %d %s", resp.StatusCode, b)
		}
		var created struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(b, &created)
		resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/users/" + f.target.ID, header: admin})
		var view struct {
			Assignments []struct{ Role, OrgID string } `json:"assignments"`
		}
		wantJSON(t, resp, b, &view)
		if len(view.Assignments) != 2 {
			t.Fatalf("assignments after adding: %s", b)
		}

		before := h.state(t)
		refusals := []struct {
			name, path, body string
			status           int
			typ, field       string
		}{
			{"malformed JSON", roles, `{"role":`, http.StatusBadRequest, problem.TypeBadRequest, ""},
			{"unknown field", roles, `{"role":"ta","note":"x"}`, http.StatusBadRequest, problem.TypeBadRequest, ""},
			{"unknown role", roles, `{"role":"root"}`, http.StatusUnprocessableEntity, problem.TypeValidation, "role"},
			{"director without organization", roles, `{"role":"director"}`, http.StatusUnprocessableEntity, problem.TypeValidation, "org_id"},
			{"second organization", roles, `{"role":"director","org_id":"` + f.orgB.ID + `"}`, http.StatusUnprocessableEntity, problem.TypeValidation, "role"},
			{"organization for a trainer", roles, `{"role":"analyst","org_id":"` + f.orgB.ID + `"}`, http.StatusUnprocessableEntity, problem.TypeValidation, "org_id"},
			{"role held already", roles, `{"role":"trainer"}`, http.StatusUnprocessableEntity, problem.TypeValidation, "role"},
			{"unknown user", "/api/v1/users/00000000-0000-0000-0000-000000000000/roles", `{"role":"ta"}`, http.StatusNotFound, problem.TypeNotFound, ""},
			{"not a user id", "/api/v1/users/x%27--/roles", `{"role":"ta"}`, http.StatusNotFound, problem.TypeNotFound, ""},
		}
		for _, tc := range refusals {
			t.Run(tc.name, func(t *testing.T) {
				resp, b := h.do(t, request{method: http.MethodPost, path: tc.path, header: admin, body: []byte(tc.body)})
				p := wantProblem(t, resp, b, tc.status, tc.typ)
				if tc.field != "" && fieldNames(p) != tc.field {
					t.Fatalf("fields %q, want %q", fieldNames(p), tc.field)
				}
				if after := h.state(t); !mapsEqual(before, after) {
					t.Fatalf("refused assignment changed the database: %v then %v", before, after)
				}
			})
		}
		resp, b = h.do(t, request{method: http.MethodDelete, path: roles + "/" + created.ID, header: admin})
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("unassign: %d %s", resp.StatusCode, b)
		}
		resp, b = h.do(t, request{method: http.MethodDelete, path: roles + "/" + created.ID, header: admin})
		wantProblem(t, resp, b, http.StatusNotFound, problem.TypeNotFound)

		// A removed role stops working in sessions already open.
		tu, _ := staff.New(h.st).FindUser(ctx, f.target.ID)
		if tu.RoleNames() != "trainer" {
			t.Fatalf("after removal: %q", tu.RoleNames())
		}

		t.Run("page form", func(t *testing.T) {
			c := f.callers[store.RoleAdmin]
			form := func(v url.Values) []byte { v.Set("csrf", c.csrf); return []byte(v.Encode()) }
			hdr := map[string]string{"Cookie": "iml_hub_session=" + c.token, "Content-Type": "application/x-www-form-urlencoded"}
			before := h.state(t)
			resp, b := h.do(t, request{method: http.MethodPost, path: "/admin/users/" + f.target.ID + "/roles", header: hdr, body: form(url.Values{"role": {"director"}})})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "Choose the organization the Program Director belongs to") {
				t.Fatalf("bad form: %d %s", resp.StatusCode, b)
			}
			if after := h.state(t); !mapsEqual(before, after) {
				t.Fatal("a refused form changed the database")
			}
			resp, _ = h.do(t, request{method: http.MethodPost, path: "/admin/users/" + f.target.ID + "/roles", header: hdr, body: form(url.Values{"role": {"director"}, "org_id": {f.orgA.ID}})})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("good form: %d", resp.StatusCode)
			}
			resp, b = h.do(t, request{method: http.MethodGet, path: "/admin/users?done=given", header: map[string]string{"Cookie": hdr["Cookie"]}})
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Program Director") || !strings.Contains(string(b), f.orgA.Name) {
				t.Fatalf("users page: %d", resp.StatusCode)
			}
		})
	})
}

// The audit log keeps every change (allowed or refused), every read of
// data derived from sites and sign-ins, with the route pattern and path ids but never
// a body or a query value; admins search and export it.
func TestAuditLog(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		f := newFixture(t, h)
		const canary = "CANARY-b0dy-and-qu3ry"
		bearer := func(role string) map[string]string {
			return map[string]string{"Authorization": "Bearer " + f.callers[role].token, "Content-Type": "application/json"}
		}
		roles := "/api/v1/users/" + f.target.ID + "/roles"
		// An analyst tries to give a role (refused), reads outcomes with a
		// query, and an admin gives one with bad input, then good.
		h.do(t, request{method: http.MethodPost, path: roles, header: bearer(store.RoleAnalyst), body: []byte(`{"role":"admin"}`)})
		h.do(t, request{method: http.MethodGet, path: "/api/v1/outcomes/pom?site=" + canary, header: bearer(store.RoleAnalyst)})
		h.do(t, request{method: http.MethodGet, path: "/outcomes/pom?org=" + canary, header: map[string]string{"Cookie": "iml_hub_session=" + f.callers[store.RoleDirector].token}})
		h.do(t, request{method: http.MethodPost, path: roles, header: bearer(store.RoleAdmin), body: []byte(`{"role":"` + canary + `"}`)})
		h.do(t, request{method: http.MethodPost, path: "/api/v1/auth/login", header: map[string]string{"Content-Type": "application/json"},
			body: []byte(`{"email":"admin@example.org","password":"` + canary + `"}`)})
		// A form without its CSRF token is refused, and kept with its sender.
		h.do(t, request{method: http.MethodPost, path: "/admin/users/" + f.target.ID + "/roles", body: []byte("role=ta"),
			header: map[string]string{"Cookie": "iml_hub_session=" + f.callers[store.RoleAdmin].token, "Content-Type": "application/x-www-form-urlencoded"}})
		// Reads that show no data derived from sites are not audited
		// (TestSiteDataReadsAudited covers every read route).
		h.do(t, request{method: http.MethodGet, path: "/api/v1/me", header: bearer(store.RoleAnalyst)})
		// A site's push is a change too, audited with the site as actor.
		_, cred := h.site("Gamma", nil)
		var st contract.StatusResponse
		resp, b := h.do(t, request{method: http.MethodGet, path: contract.PathStatus, header: syncHeaders(cred)})
		wantJSON(t, resp, b, &st)
		h.do(t, request{method: http.MethodPost, path: contract.PathPush, header: pushHeaders(cred, 1), body: gz(t, batch(t, st.SiteID, interview(t, newID(), 1, true)))})

		search := func(t *testing.T, q string) []store.AuditEntry {
			t.Helper()
			resp, b := h.do(t, request{method: http.MethodGet, path: "/api/v1/audit?" + q, header: bearer(store.RoleAdmin)})
			var a auditAnswer
			wantJSON(t, resp, b, &a)
			return a.Entries
		}
		all := search(t, "")
		raw, _ := json.Marshal(all)
		if strings.Contains(string(raw), canary) {
			t.Fatalf("the audit log holds a body or query value: %s", raw)
		}
		type want struct {
			actor, route, method, roles string
			status                      int
		}
		find := func(w want) *store.AuditEntry {
			for i, e := range all {
				if e.ActorEmail == w.actor && e.Route == w.route && e.Method == w.method && e.Status == w.status && (w.roles == "" || e.Roles == w.roles) {
					return &all[i]
				}
			}
			return nil
		}
		for _, w := range []want{
			{"analyst@example.org", "/api/v1/users/:id/roles", "POST", "analyst", http.StatusForbidden},
			{"analyst@example.org", "/api/v1/outcomes/pom", "GET", "analyst", http.StatusUnprocessableEntity},
			{"director@example.org", "/outcomes/pom", "GET", "director:" + f.orgB.ID, http.StatusForbidden},
			{"admin@example.org", "/api/v1/users/:id/roles", "POST", "admin", http.StatusUnprocessableEntity},
			{"", "/api/v1/auth/login", "POST", "", http.StatusUnauthorized},
			{"admin@example.org", "/admin/users/:id/roles", "POST", "admin", http.StatusForbidden},
		} {
			e := find(w)
			if e == nil {
				t.Errorf("no audit entry %+v in %s", w, raw)
				continue
			}
			if strings.HasPrefix(w.route, "/api/v1/users/:id") && e.Targets != "id="+f.target.ID {
				t.Errorf("targets %q, want id=%s", e.Targets, f.target.ID)
			}
		}
		var sitePush, sitesRead int
		for _, e := range all {
			if e.ActorKind == "site" && e.Route == contract.PathPush && e.ActorID == st.SiteID && e.Status == http.StatusOK {
				sitePush++
			}
			if e.Route == "/api/v1/me" || e.Route == contract.PathStatus {
				sitesRead++
			}
		}
		if sitePush != 1 || sitesRead != 0 {
			t.Errorf("site pushes audited %d (want 1), plain reads audited %d (want 0)", sitePush, sitesRead)
		}

		if got := search(t, "actor=ANALYST@&action=POST"); len(got) != 1 || got[0].Status != http.StatusForbidden {
			t.Fatalf("search by actor and action: %+v", got)
		}
		today := h.st.Now().Format("2006-01-02")
		if got := search(t, "from="+today+"&to="+today); len(got) != len(all) {
			t.Fatalf("today's entries %d of %d", len(got), len(all))
		}
		if got := search(t, "to=2020-01-01"); len(got) != 0 {
			t.Fatalf("entries before 2020: %d", len(got))
		}
		for _, q := range []string{"from=yesterday", "from=2026-02-10&to=2026-02-01", "before=-3"} {
			resp, b := h.do(t, request{method: http.MethodGet, path: "/api/v1/audit?" + q, header: bearer(store.RoleAdmin)})
			wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
		}

		t.Run("CSV export", func(t *testing.T) {
			resp, b := h.do(t, request{method: http.MethodGet, path: "/api/v1/audit/export?actor=analyst", header: bearer(store.RoleAdmin)})
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
			}
			rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(rows[0], ",") != "id,at,actor_kind,actor_id,actor_email,roles,method,route,targets,status,remote_ip" {
				t.Fatalf("header %v", rows[0])
			}
			analyst := search(t, "actor=analyst")
			if len(rows)-1 != len(analyst) || len(analyst) == 0 {
				t.Fatalf("export has %d rows, search %d", len(rows)-1, len(analyst))
			}
			for _, r := range rows[1:] {
				if r[4] != "analyst@example.org" {
					t.Fatalf("row of another actor: %v", r)
				}
			}
		})

		t.Run("page", func(t *testing.T) {
			cookie := map[string]string{"Cookie": "iml_hub_session=" + f.callers[store.RoleAdmin].token}
			resp, b := h.do(t, request{method: http.MethodGet, path: "/admin/audit?actor=director%40", header: cookie})
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Read the outcomes reports") || strings.Contains(string(b), "Gave a role") ||
				!strings.Contains(string(b), `href="/admin/audit.csv?actor=director%40"`) {
				t.Fatalf("audit page: %d %s", resp.StatusCode, b)
			}
			// An account's change in words, about the account by email; no
			// route or id on the page.
			resp, b = h.do(t, request{method: http.MethodGet, path: "/admin/audit?actor=admin%40", header: cookie})
			page := string(b)
			if resp.StatusCode != http.StatusOK || !strings.Contains(page, "<td>Gave a role</td><td>"+f.target.Email+"</td>") ||
				strings.Contains(page, "/api/v1/users/:id/roles") || strings.Contains(page, f.target.ID) {
				t.Fatalf("the admin's entries: %d %s", resp.StatusCode, page)
			}
			var api struct {
				Entries []struct {
					Route       string `json:"route"`
					ActionLabel string `json:"action_label"`
					SubjectName string `json:"subject_name"`
				} `json:"entries"`
			}
			resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/audit?actor=admin%40", header: map[string]string{"Authorization": "Bearer " + f.callers[store.RoleAdmin].token}})
			wantJSON(t, resp, b, &api)
			if len(api.Entries) == 0 || api.Entries[len(api.Entries)-1].Route == "" || api.Entries[len(api.Entries)-1].ActionLabel == "" {
				t.Fatalf("the API's entries keep their route and add words: %s", b)
			}
			resp, b = h.do(t, request{method: http.MethodGet, path: "/admin/audit?from=nonsense", header: cookie})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), `<span class="field-error" id="err-from">Enter a date such as 2026-03-04</span>`) {
				t.Fatalf("bad date on the page: %d", resp.StatusCode)
			}
			resp, b = h.do(t, request{method: http.MethodGet, path: "/admin/audit.csv?actor=director", header: cookie})
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "director@example.org") {
				t.Fatalf("page export: %d %s", resp.StatusCode, b)
			}
		})
	})
}

// Routes added later are audited by their pattern without doing anything:
// a read under /api/v1/outcomes or /outcomes, and any change.
func TestAuditCoversRoutesAddedLater(t *testing.T) {
	h := newHub(t, dbtest.SQLitePath(t))
	engine := h.srv.Config.Handler.(*gin.Engine)
	ok := func(c *gin.Context) { c.String(http.StatusOK, "ok") }
	engine.GET("/api/v1/outcomes/kits/:kit", ok)
	engine.GET("/outcomes/ta/:org", ok)
	engine.GET("/api/v1/kits/:kit", ok)
	engine.PATCH("/api/v1/kits/:kit", ok)
	engine.POST("/panics", func(*gin.Context) { panic("a bug") })
	org := "0190a4b2-0000-4000-8000-00000000000a"
	for _, p := range []string{"GET /api/v1/outcomes/kits/11?secret=canary", "GET /outcomes/ta/" + org, "GET /api/v1/kits/12", "PATCH /api/v1/kits/Jane%20Doe", "POST /panics"} {
		method, path, _ := strings.Cut(p, " ")
		req, _ := http.NewRequest(method, h.srv.URL+path, nil)
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	es, err := staff.New(h.st).Audit(context.Background(), staff.AuditFilter{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Method+" "+e.Route+" "+e.Targets+" "+strconv.Itoa(e.Status))
	}
	// A parameter is kept only in the shape of an id (store.AuditTarget).
	want := "POST /panics  500,PATCH /api/v1/kits/:kit kit=(not an id) 200,GET /outcomes/ta/:org org=" + org + " 200,GET /api/v1/outcomes/kits/:kit kit=11 200"
	if strings.Join(got, ",") != want {
		t.Fatalf("audited %q, want %q", strings.Join(got, ","), want)
	}
}
