package cluster_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"github.com/itsmylife/iml/pkg/cluster"
)

// startZitadelOP runs the zitadel/oidc example OpenID Provider in this
// process, with one user, and a web client for the hub's callback. It
// returns the issuer. (The example sets the process's default logger: to
// one that discards, here.)
func startZitadelOP(t *testing.T, redirectURL string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String() + "/"
	users := map[string]any{
		"id-ana": map[string]any{"ID": "id-ana", "Username": "ana", "Password": "a provider password", "FirstName": "Ana", "LastName": "Diaz",
			"Email": "ana@example.org", "EmailVerified": true, "PreferredLanguage": "en"},
	}
	b, _ := json.Marshal(users)
	path := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	us, err := storage.StoreFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	storage.RegisterClients(storage.WebClient("iml-hub", "hub client secret", redirectURL))
	srv := &http.Server{Handler: exampleop.SetupServer(issuer, storage.NewStorage(us), slog.New(slog.DiscardHandler), false), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return issuer
}

// TestSignInThroughProviderInTheBrowser: a staff member whose account was
// made at the hub without a password signs in through an OpenID Provider
// (the zitadel/oidc example server), in headless Chromium, and lands on the
// hub's home page signed in, with the role given at the hub.
func TestSignInThroughProviderInTheBrowser(t *testing.T) {
	bctx := newBrowser(t)
	ctx := context.Background()
	addr, err := cluster.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	callback := "http://" + addr + "/auth/oidc/callback"
	issuer := startZitadelOP(t, callback)
	h := &cluster.Hub{Bin: hubBin, DataDir: t.TempDir(), Addr: addr, Env: []string{"IML_HUB_OIDC_CLIENT_SECRET=hub client secret"},
		ServeArgs: []string{"--oidc-issuer", issuer, "--oidc-client-id", "iml-hub", "--oidc-redirect-url", callback, "--oidc-name", "Example Login"}}
	if _, err := h.CLI(ctx, "", "user", "add", "--email", "ana@example.org", "--name", "Ana Diaz", "--role", "admin", "--no-password"); err != nil {
		t.Fatal(err)
	}
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Stop() })

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do(t, bctx,
		chromedp.Navigate(h.URL()+"/"),
		chromedp.WaitVisible(css("a.button")),
	)
	if got := text(t, bctx, "a.button"); got != "Sign in with Example Login" {
		t.Fatalf("sign-in button %q", got)
	}
	do(t, bctx,
		chromedp.Click(css("a.button")),
		// The provider's own sign-in page.
		chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), "ana"),
		chromedp.SendKeys(css("#password"), "a provider password"),
		chromedp.Submit(css("#password")),
		chromedp.WaitVisible(css("header nav")),
	)
	lctx, cancel := within(bctx, 10*time.Second)
	loc, err := chromedp.Run(lctx, chromedp.Location())
	cancel()
	if err != nil || loc != h.URL()+"/" {
		t.Fatalf("after sign-in the browser is at %s", loc)
	}
	if heading := text(t, bctx, "h1"); heading != "Sites" {
		t.Fatalf("after sign-in the page is %q", heading)
	}
	nav := text(t, bctx, "header nav")
	if !strings.Contains(nav, "Sign out Ana Diaz") || !strings.Contains(nav, "Audit log") {
		t.Fatalf("navigation %q: not signed in as the admin", nav)
	}
	t.Logf("screenshot: %s", screenshot(t, bctx, "hub-signed-in-through-provider"))
	// The audit page lists the sign-in through the provider.
	do(t, bctx, chromedp.Navigate(h.URL()+"/admin/audit?action=oidc"), chromedp.WaitVisible(css("#audit-table")))
	if row := text(t, bctx, "#audit-table tbody tr"); !strings.Contains(row, "ana@example.org") || !strings.Contains(row, "Signed in through the provider") || !strings.Contains(row, "Done") {
		t.Fatalf("audit row %q", row)
	}
}

// TestHubAdminPagesFitAPhone: an admin gives a Program Director role on the
// staff page at a phone's width, and the staff, audit and sign-in pages do
// not scroll sideways.
func TestHubAdminPagesFitAPhone(t *testing.T) {
	bctx := newBrowser(t)
	ctx := context.Background()
	h := startHub(t, "")
	if _, err := h.AddSite(ctx, "Riverside Peer Center", "peer_run", "VA", "Riverside downtown"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.CLI(ctx, "an admin password\n", "user", "add", "--email", "admin@example.org", "--name", "Ada Admin", "--role", "admin", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.CLI(ctx, "", "user", "add", "--email", "pat.director.with.a.long.address@riverside-peer-center.example.org", "--name", "Pat Doe", "--role", "trainer", "--no-password"); err != nil {
		t.Fatal(err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do(t, bctx, chromedp.EmulateViewport(390, 844))
	fitsPhone(t, bctx, h.URL(), "/login")
	do(t, bctx,
		chromedp.Navigate(h.URL()+"/admin/users"),
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), "admin@example.org"),
		chromedp.SendKeys(css("#password"), "an admin password"),
		chromedp.Submit(css("#password")),
	)
	waitText(t, bctx, "h1", func(s string) bool { return s == "Staff and roles" })
	// Give Pat the Program Director role of Riverside with the form.
	out, err := h.CLI(ctx, "", "user", "list")
	if err != nil {
		t.Fatal(err)
	}
	var patID string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], "pat.") {
			patID = f[0]
		}
	}
	orgs, err := h.CLI(ctx, "", "org", "list")
	if err != nil {
		t.Fatal(err)
	}
	orgID := strings.Fields(strings.Split(orgs, "\n")[1])[0]
	do(t, bctx,
		chromedp.SetValue(css("#role-"+patID), "director"),
		chromedp.SetValue(css("#org-"+patID), orgID),
		chromedp.Click(css("#user-"+patID+" form.filters button")),
	)
	waitText(t, bctx, ".notice", func(s string) bool { return s == "Role given." })
	if row := text(t, bctx, "#user-"+patID+" table"); !strings.Contains(row, "Program Director") || !strings.Contains(row, "Riverside Peer Center") {
		t.Fatalf("Pat's roles: %q", row)
	}
	out, _ = h.CLI(ctx, "", "user", "list")
	if !strings.Contains(out, "trainer,director:"+orgID) {
		t.Fatalf("user list after the form: %s", out)
	}
	for _, path := range []string{"/admin/users", "/admin/audit"} {
		fitsPhone(t, bctx, h.URL(), path)
		t.Logf("screenshot: %s", screenshot(t, bctx, "hub-phone"+strings.ReplaceAll(path, "/", "-")))
	}
}
