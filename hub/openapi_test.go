package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/cli/clitest"
	"github.com/itsmylife/iml/pkg/obs"
	"github.com/itsmylife/iml/pkg/openapitest"
)

// hubAPI is the rule for which of the hub's routes are its API and must be
// in docs/openapi.yaml: everything under /api/ (the sync API, the staff
// and admin API, the public verification) and the health checks. The rest
// are pages for a browser: HTML pages and their form posts, the CSV
// downloads of the pages, the OpenID Connect redirects and the static
// files.
func hubAPI(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz"
}

// TestOpenAPI: docs/openapi.yaml is a valid OpenAPI 3.1 description that
// describes exactly the hub's API routes, as hub serve builds them, and
// real answers of the hub's handler match it.
func TestOpenAPI(t *testing.T) {
	doc := openapitest.Load(t, filepath.Join("..", "docs", "openapi.yaml"))
	ctx := context.Background()
	st, log := clitest.OpenStore(t, store.Open, "hub.db")
	var o serveOptions
	o.addFlags(&cobra.Command{})
	srv, err := o.server(ctx, st, log, obs.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	api := openapitest.CheckHandler(t, doc, srv.Handler(), hubAPI)
	call, expect := api.Call, api.Expect
	expect(call("GET", "/healthz", "/healthz", "", ""), 200, "application/json")
	expect(call("GET", "/readyz", "/readyz", "", ""), 200, "application/json")
	expect(call("GET", "/api/v1/me", "/api/v1/me", "", ""), 401, "application/problem+json")
	expect(call("POST", "/api/v1/auth/login", "/api/v1/auth/login", "", `{"email":"ada@example.org","password":"wrong password"}`), 401, "application/problem+json")

	if _, err := staff.New(st).AddUser(ctx, "ada@example.org", "Ada Admin", store.RoleAdmin, "", "a password for the test"); err != nil {
		t.Fatal(err)
	}
	if _, err := affiliates.New(st).AddOrganization(ctx, "Riverside Peer Center", "peer_run", "VA"); err != nil {
		t.Fatal(err)
	}
	token := api.Login("ada@example.org", "a password for the test")
	expect(call("GET", "/api/v1/me", "/api/v1/me", token, ""), 200, "application/json")
	expect(call("GET", "/api/v1/users", "/api/v1/users", token, ""), 200, "application/json")
	expect(call("GET", "/api/v1/organizations", "/api/v1/organizations", token, ""), 200, "application/json")
	expect(call("GET", "/api/v1/sites", "/api/v1/sites", token, ""), 200, "application/json")
	expect(call("GET", "/api/v1/users/no-such-user", "/api/v1/users/{id}", token, ""), 404, "application/problem+json")
	expect(call("GET", "/api/v1/sync/status", "/api/v1/sync/status", "", ""), 400, "application/problem+json")
}
