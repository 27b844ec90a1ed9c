package cluster_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/itsmylife/iml/pkg/cluster"
)

// demoAgent starts an agent with the demo site of 12 participants and
// returns it with a director's token.
func demoAgent(t *testing.T, name string) (*cluster.Agent, string) {
	t.Helper()
	ctx := context.Background()
	a := &cluster.Agent{Name: name, Bin: agentBin, DataDir: t.TempDir()}
	if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "12"); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop() })
	return a, directorToken(t, a)
}

// demoInBrowser starts a headless browser and a demo site (demoAgent)
// for it to open: the browser's context, the agent and a director's token.
func demoInBrowser(t *testing.T, name string) (context.Context, *cluster.Agent, string) {
	t.Helper()
	bctx := newBrowser(t)
	a, tok := demoAgent(t, name)
	return bctx, a, tok
}

// demoParticipant is a participant of the demo site as the agent's API
// lists them.
type demoParticipant struct {
	ID        string `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// participantsOf lists a site's participants through its API, and fails
// the test unless there are at least atLeast of them.
func participantsOf(t *testing.T, a *cluster.Agent, tok string, atLeast int) []demoParticipant {
	t.Helper()
	var people []demoParticipant
	if _, err := cluster.JSON(context.Background(), http.MethodGet, a.URL()+"/api/v1/participants", tok, nil, &people); err != nil || len(people) < atLeast {
		t.Fatalf("participants: %d (want at least %d) %v", len(people), atLeast, err)
	}
	return people
}

// signInDirector signs the demo's director in to a's pages, in a window
// of width by height px, and waits for the home page.
func signInDirector(t *testing.T, bctx context.Context, a *cluster.Agent, width, height int64) {
	t.Helper()
	do(t, bctx, chromedp.EmulateViewport(width, height))
	do(t, bctx, signIn(a.URL()+"/login", "director@example.org", directorPassword)...)
	waitText(t, bctx, "h1", func(s string) bool { return s == "This week" })
}
