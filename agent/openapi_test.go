package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/cli/clitest"
	"github.com/itsmylife/iml/pkg/openapitest"
)

// agentAPI is the rule for which of the agent's routes are its API and
// must be in docs/openapi-agent.yaml: everything under /api/ and the
// health check. The rest are pages for a browser: HTML pages and their
// form posts, files the pages link to (receipts, kit files, CSV exports)
// and the static files.
func agentAPI(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz"
}

// TestOpenAPI: docs/openapi-agent.yaml is a valid OpenAPI 3.1 description
// that describes exactly the agent's API routes, as agent serve builds
// them, and real answers of the agent's handler match it.
func TestOpenAPI(t *testing.T) {
	doc := openapitest.Load(t, filepath.Join("..", "docs", "openapi-agent.yaml"))
	ctx := context.Background()
	st, log := clitest.OpenStore(t, store.Open, "agent.db")
	var o serveOptions
	o.addFlags(&cobra.Command{})
	srv, _ := o.server(st, log, nil)
	api := openapitest.CheckHandler(t, doc, srv.Handler(), agentAPI)
	call, expect := api.Call, api.Expect
	expect(call("GET", "/healthz", "/healthz", "", ""), 200, "application/json")
	expect(call("GET", "/api/v1/participants", "/api/v1/participants", "", ""), 401, "application/problem+json")

	if _, err := st.AddUser(ctx, "dana@example.org", "Dana Reyes", store.RoleDirector, "a password for the test"); err != nil {
		t.Fatal(err)
	}
	token := api.Login("dana@example.org", "a password for the test")
	expect(call("GET", "/api/v1/participants", "/api/v1/participants", token, ""), 200, "application/json")
	expect(call("GET", "/api/v1/coaches", "/api/v1/coaches", token, ""), 200, "application/json")
	expect(call("GET", "/api/v1/sync", "/api/v1/sync", token, ""), 200, "application/json")
	expect(call("GET", "/api/v1/participants/00000000-0000-4000-8000-000000000000", "/api/v1/participants/{id}", token, ""), 404, "application/problem+json")
	expect(call("POST", "/api/v1/participants", "/api/v1/participants", token, `{"first_name":"Pat"}`), 422, "application/problem+json")
	expect(call("GET", "/api/v1/reports/site?year=2026", "/api/v1/reports/site", token, ""), 200, "application/json")
	expect(call("GET", "/api/v1/reports/site?year=nineteen", "/api/v1/reports/site", token, ""), 422, "application/problem+json")
}
