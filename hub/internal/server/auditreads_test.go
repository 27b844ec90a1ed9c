package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
)

// siteDerived classifies every read route on the hub: true when what it
// shows is derived from what the sites sent (outcomes, fidelity and its
// flags, TA requests and their answers, the TA work list, the sites' sync
// status), so that every read of it is audited; false when it shows only
// what the hub's own staff entered, central content, or the caller's own
// account. A read route missing here fails TestSiteDataReadsAudited:
// whoever adds one says which it is.
var siteDerived = map[string]bool{
	"GET /static/*filepath": false, "HEAD /static/*filepath": false, "GET /healthz": false, "GET /readyz": false,
	"GET /login": false, "GET /auth/oidc/start": false, "GET /auth/oidc/callback": false,
	"GET /verify": false, "GET /api/v1/certifications/verify": false,
	// The sync API: a site reading its own status and the hub's content.
	"GET /api/v1/sync/status": false, "GET /api/v1/sync/pull": false, "GET /api/v1/sync/files/:sha": false,

	"GET /api/v1/me": false, "GET /api/v1/users": false, "GET /api/v1/users/:id": false,
	"GET /api/v1/audit": false, "GET /api/v1/audit/export": false,
	"GET /admin/users": false, "GET /admin/audit": false, "GET /admin/audit.csv": false,

	// The sites' sync status: last sync, release run, batch watermark.
	"GET /": true, "GET /api/v1/sites": true,
	"GET /api/v1/organizations/:id": true, "GET /affiliates/:id": true,
	"GET /api/v1/release-sites": true, "GET /kits/sites": true,

	// Outcomes, fidelity.
	"GET /api/v1/outcomes/pom": true, "GET /outcomes/pom": true, "GET /api/v1/outcomes/report": true, "GET /api/v1/outcomes/fidelity": true,
	"GET /outcomes": true, "GET /outcomes/print": true, "GET /outcomes/fidelity": true, "GET /outcomes/export/:table": true,

	// TA: the requests the sites wrote, the answers, the work list with
	// the fidelity flags.
	"GET /api/v1/ta/work": true, "GET /ta": true,
	"GET /api/v1/ta/requests": true, "GET /api/v1/ta/requests/:rid": true, "GET /ta/requests": true, "GET /ta/requests/:rid": true,

	// What the hub's staff entered: organizations, TA plans and contacts,
	// training; central content.
	"GET /api/v1/organizations": false, "GET /affiliates": false,
	"GET /api/v1/organizations/:id/ta-plan": false, "GET /api/v1/organizations/:id/ta-contacts": false,
	"GET /api/v1/releases": false, "GET /api/v1/releases/:version": false, "GET /api/v1/release-diff": false,
	"GET /api/v1/release-drafts": false, "GET /api/v1/release-drafts/:id": false,
	"GET /kits": false, "GET /kits/drafts/:id": false, "GET /kits/releases/:version": false, "GET /kits/files/:sha": false, "GET /kits/diff": false,
	"GET /api/v1/trainees": false, "GET /api/v1/trainees/:id": false, "GET /api/v1/training-events": false, "GET /api/v1/training-events/:id": false,
	"GET /api/v1/certifications/expiring": false, "GET /api/v1/organizations/:id/registry": false,
	"GET /training": false, "GET /training/events/:id": false, "GET /training/people/:id": false, "GET /registry/:org": false,
}

// TestSiteDataReadsAudited reads every read route on the hub as a caller
// allowed to (an admin; the agent-only routes without a credential): each
// read of data derived from sites leaves exactly one audit entry naming the
// route, the caller and status 200; the other reads leave none.
func TestSiteDataReadsAudited(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		f := newFixture(t, h)
		ctx := context.Background()
		entries := func(route string) []store.AuditEntry {
			t.Helper()
			es, err := staff.New(h.st).Audit(ctx, staff.AuditFilter{}, 100000)
			if err != nil {
				t.Fatal(err)
			}
			var out []store.AuditEntry
			for _, e := range es {
				if e.Method+" "+e.Route == route {
					out = append(out, e)
				}
			}
			return out
		}
		engine := h.srv.Config.Handler.(*gin.Engine)
		for _, r := range engine.Routes() {
			key := r.Method + " " + r.Path
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				continue
			}
			derived, ok := siteDerived[key]
			if !ok {
				t.Errorf("read route %s is not classified in siteDerived (auditreads_test.go): say whether it shows data derived from sites", key)
				continue
			}
			t.Run(key, func(t *testing.T) {
				wantAudited := derived || r.Path == "/auth/oidc/callback"
				if got := server.Audited(r.Method, r.Path); got != wantAudited {
					t.Fatalf("audited %v, want %v", got, wantAudited)
				}
				rt, ok := matrix[key]
				if !ok {
					t.Fatal("not in the authorization matrix")
				}
				var c *caller
				if rt.access == staffAPI || rt.access == staffPage {
					c = f.callers[store.RoleAdmin]
				}
				before := len(entries(key))
				resp, b := h.call(t, f, r.Method, rt, rt.path(f), c)
				// The entry is written once the handler is done, which can
				// be after the client has the whole answer: a request after
				// it on the same connection waits for that, and the audited
				// count is polled until a deadline.
				h.do(t, request{method: http.MethodGet, path: "/healthz"})
				after := entries(key)
				for deadline := time.Now().Add(5 * time.Second); wantAudited && len(after) == before && time.Now().Before(deadline); {
					time.Sleep(10 * time.Millisecond)
					after = entries(key)
				}
				switch {
				case !wantAudited && len(after) != before:
					t.Fatalf("a read that shows no site data was audited: %+v", after[0])
				case wantAudited && len(after) != before+1:
					t.Fatalf("%d audit entries after the read (status %d), want %d: %.200s", len(after), resp.StatusCode, before+1, b)
				case derived:
					e := after[0] // newest first
					if e.Status != http.StatusOK || e.ActorEmail != c.email || e.ActorKind != "staff" || e.Roles != "admin" {
						t.Fatalf("audit entry %+v, want the admin's read answered 200", e)
					}
				}
			})
		}
	})
}
