package cluster_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/itsmylife/iml/pkg/cluster"
)

// crawl is one walk over a program's pages in the browser: from the start
// paths it follows every link to the same program, visiting each kind of
// page once (paths that differ only in an id or a query are one kind), and
// on each runs axe-core at a desktop's and a phone's width and checks the
// page answered 200 and does not scroll sideways on the phone.
type crawl struct {
	t    *testing.T
	bctx context.Context
	base string
	// skip leaves out paths the walk must not open (signing out, files to
	// download, a mode that locks the browser).
	skip *regexp.Regexp
	// seen maps each kind of page to the first path of that kind visited.
	seen map[string]string
}

// idSegment is a path segment that names one record: a UUID, a number,
// a date or a long token.
var idSegment = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f-]{27}|[0-9]+|\d{4}-\d{2}(-\d{2})?|\d{4}\.\d+|[A-Za-z0-9_-]{20,})$`)

// kind is the page kind of a path: its id segments replaced by {id}.
func kind(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if idSegment.MatchString(p) {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// walk visits the start paths and every page they lead to, at most max
// kinds, and returns the kinds visited.
func (cr *crawl) walk(max int, start ...string) []string {
	cr.seen = map[string]string{}
	queue := append([]string(nil), start...)
	var kinds []string
	for len(queue) > 0 && len(kinds) < max {
		path := queue[0]
		queue = queue[1:]
		k := kind(strings.SplitN(path, "?", 2)[0])
		if _, ok := cr.seen[k]; ok || cr.skip.MatchString(path) {
			continue
		}
		cr.seen[k] = path
		kinds = append(kinds, k)
		queue = append(queue, cr.visit(path)...)
	}
	return kinds
}

// visit checks one page at both widths and returns the links it holds.
func (cr *crawl) visit(path string) []string {
	t := cr.t
	var links []string
	for _, width := range []int64{1280, 390} {
		do(t, cr.bctx, chromedp.EmulateViewport(width, 844), chromedp.Navigate(cr.base+path), chromedp.WaitReady(chromedp.CSS("body")))
		c, cancel := within(cr.bctx, 60*time.Second)
		status, err := chromedp.Run(c, chromedp.Evaluate[int](`performance.getEntriesByType("navigation")[0].responseStatus`))
		if err != nil {
			cancel()
			t.Fatalf("%s: %v", path, err)
		}
		if status != 200 {
			t.Errorf("%s answered %d", path, status)
		}
		vs, err := cluster.Axe(c)
		if err != nil {
			cancel()
			t.Fatalf("%s: %v", path, err)
		}
		for _, v := range vs {
			t.Errorf("%s at %d px: %s", path, width, v)
		}
		if width == 390 {
			over, err := chromedp.Run(c, chromedp.Evaluate[float64]("document.documentElement.scrollWidth - window.innerWidth"))
			if err == nil && over > 1 {
				t.Errorf("%s is %.0f px wider than a 390 px phone screen", path, over)
			}
		} else {
			links, err = chromedp.Run(c, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("a[href]")).map(a => a.href)`))
			if err != nil {
				cancel()
				t.Fatalf("%s: links: %v", path, err)
			}
		}
		cancel()
	}
	var out []string
	for _, l := range links {
		u, err := url.Parse(l)
		if err != nil || cr.base != u.Scheme+"://"+u.Host {
			continue
		}
		p := u.EscapedPath()
		if u.RawQuery != "" {
			p += "?" + u.RawQuery
		}
		out = append(out, p)
	}
	return out
}

// wantKinds fails the test unless the walk reached every kind named.
func (cr *crawl) wantKinds(kinds ...string) {
	for _, k := range kinds {
		if _, ok := cr.seen[k]; !ok {
			cr.t.Errorf("the walk never reached %s; it saw %v", k, keys(cr.seen))
		}
	}
}

// agentDirector adds the site's director and signs them in.
func agentDirector(t *testing.T, a *cluster.Agent) string {
	t.Helper()
	if err := a.Start(context.Background(), time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop() })
	return directorToken(t, a)
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestEveryHubPageIsAccessible walks every page an administrator can reach
// on a hub holding a synced site, an organization in its first year of
// technical assistance, and a trainee: each answers, has no serious or
// critical WCAG 2.1 AA violation at 1280 and 390 px, and fits a phone.
func TestEveryHubPageIsAccessible(t *testing.T) {
	bctx := newBrowser(t)
	ctx := context.Background()
	h := startHub(t, "")
	a := enrolledAgent(t, h, h.URL(), "Crawl site")
	if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "8", "--seed", "21"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CLI(ctx, "", "sync", "--quiet"); err != nil {
		t.Fatal(err)
	}
	org := "Org of Crawl site"
	for _, stage := range []string{"agreement", "training", "launched"} {
		if _, err := h.CLI(ctx, "", "org", "stage", "--org", org, "--to", stage); err != nil {
			t.Fatal(err)
		}
	}
	// A TA request from the site, a trainee, a training event and a draft
	// release, so their pages exist.
	raiseTA(t, a, agentDirector(t, a), "Pairing help", "How do we re-pair after a move?")
	if _, err := a.CLI(ctx, "", "sync", "--quiet"); err != nil {
		t.Fatal(err)
	}
	tok := trainerToken(t, h)
	call(t, http.MethodPost, h.URL()+"/api/v1/trainees", tok, map[string]string{"org_id": orgID(t, h, tok, org), "name": "Casey Coach", "email": "casey@example.org", "role": "coach"}, nil, http.StatusCreated)
	call(t, http.MethodPost, h.URL()+"/api/v1/training-events", tok, map[string]any{"title": "Spring training", "mode": "in_person", "starts_on": "2026-04-01", "ends_on": "2026-04-03", "location": "Richmond", "trainer": "Tess", "capacity": 10}, nil, http.StatusCreated)
	call(t, http.MethodPost, h.URL()+"/api/v1/release-drafts", tok, map[string]string{"version": "2026.9"}, nil, http.StatusCreated)
	if _, err := h.CLI(ctx, "an admin password\n", "user", "add", "--email", "admin@example.org", "--name", "Ada Admin", "--role", "admin", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	// The public pages, before signing in.
	pub := &crawl{t: t, bctx: bctx, base: h.URL(), skip: regexp.MustCompile(`^/(logout|auth/)`)}
	pub.walk(10, "/login", "/verify")
	do(t, bctx, chromedp.EmulateViewport(1280, 900))
	do(t, bctx, signIn(h.URL()+"/login", "admin@example.org", "an admin password")...)
	waitFor(t, 30*time.Second, "signed in", func() error {
		c, cancel := within(bctx, 5*time.Second)
		defer cancel()
		loc, err := chromedp.Run(c, chromedp.Location())
		if err != nil || strings.HasSuffix(loc, "/login") {
			return errString("still on the sign-in page")
		}
		return nil
	})
	cr := &crawl{t: t, bctx: bctx, base: h.URL(),
		skip: regexp.MustCompile(`^/(logout|auth/|api/|sync/|kits/files/|outcomes/export/)|\.csv(\?|$)`)}
	kinds := cr.walk(80, "/")
	t.Logf("hub pages walked (%d): %v", len(kinds), kinds)
	cr.wantKinds("/", "/outcomes", "/outcomes/pom", "/outcomes/fidelity", "/outcomes/print", "/affiliates", "/affiliates/{id}", "/ta", "/ta/requests", "/ta/requests/{id}",
		"/kits", "/kits/drafts/{id}", "/kits/releases/{id}", "/training", "/training/events/{id}", "/training/people/{id}", "/registry/{id}", "/admin/users", "/admin/audit")
}

// TestEverySitePageIsAccessible walks every page a Program Director can
// reach on a site with a year of demo data, and the participant's own
// sign-in pages: each answers, has no serious or critical WCAG 2.1 AA
// violation at 1280 and 390 px, and fits a phone.
func TestEverySitePageIsAccessible(t *testing.T) {
	bctx, a, _ := demoInBrowser(t, "crawl")
	pub := &crawl{t: t, bctx: bctx, base: a.URL(), skip: regexp.MustCompile(`^/logout`)}
	pub.walk(10, "/login", "/journal/start", "/journal/login", "/survey")
	do(t, bctx, chromedp.EmulateViewport(1280, 900))
	do(t, bctx, signIn(a.URL()+"/login", "director@example.org", directorPassword)...)
	waitText(t, bctx, "h1", func(s string) bool { return s == "This week" })
	cr := &crawl{t: t, bctx: bctx, base: a.URL(),
		skip: regexp.MustCompile(`^/(logout|api/|kit-files/|survey|journal)|/receipts/|\.csv(\?|$)`)}
	kinds := cr.walk(80, "/")
	t.Logf("site pages walked (%d): %v", len(kinds), kinds)
	cr.wantKinds("/", "/participants", "/participants/{id}", "/cohorts", "/cohorts/{id}", "/stipends", "/sync")
}
