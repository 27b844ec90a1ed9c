package server_test

import (
	"context"
	"html"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/demo"
	"github.com/itsmylife/iml/agent/internal/server"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/webui"
)

var (
	tagRE = regexp.MustCompile(`(?s)<[^>]*>`)
	// rawTimeRE is a machine's time: RFC 3339, ISO 8601 or Go's default.
	rawTimeRE = regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\bUTC\b|[+-]\d{4} [A-Z]{3}\b`)
	// rawDateRE is a machine's date or month: YYYY-MM-DD or YYYY-MM.
	rawDateRE = regexp.MustCompile(`\b\d{4}-\d\d(-\d\d)?\b`)
)

// visibleText is what a page shows a person: its text without tags (so
// without the attributes, where <time datetime> keeps its machine form).
func visibleText(page string) string { return html.UnescapeString(tagRE.ReplaceAllString(page, " ")) }

// TestPagesShowTimesInWords: the main staff pages and the participant's
// journal, full of data, show no raw timestamp and no "UTC": every time is
// in the site's zone, in words, in a <time datetime> element.
func TestPagesShowTimesInWords(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, s.st, 12, 7); err != nil {
		t.Fatal(err)
	}
	_, dirTok := s.user("dir@example.org", "Dana", store.RoleDirector)
	s.must(s.st.SaveEnrollment(ctx, store.Enrollment{HubURL: "https://hub.example.org", SiteID: "site-1", SiteName: "Riverside", OrgName: "Riverside Org", Credential: "x", Generation: "g1"}))
	s.must(s.st.SetMeta(ctx, store.MetaLastSync, siteDay.Add(-3*time.Minute).Format(time.RFC3339)))
	s.must(s.st.SetMeta(ctx, store.MetaLastSuccess, siteDay.Add(-26*time.Hour).Format(time.RFC3339)))
	b := s.browser("dir@example.org")
	if st, _ := b.post("/ta-requests", map[string][]string{"subject": {"Help with the survey"}, "category": {"outcomes"}, "text": {"How do we hand out the codes?"}}); st != 200 {
		t.Fatalf("TA request: %d", st)
	}
	var people []struct {
		ID string `json:"id"`
	}
	if st := s.call(dirTok, "GET", "/api/v1/participants", nil, &people); st != 200 || len(people) < 2 {
		t.Fatalf("participants: %d", st)
	}
	// Journal access waiting for its first sign-in, on one participant's page.
	if st := s.call(dirTok, "POST", "/api/v1/participants/"+people[1].ID+"/journal-access", nil, nil); st != 201 {
		t.Fatalf("journal access: %d", st)
	}
	reqs, err := s.st.TA.TARequests(ctx)
	s.must(err)
	pages := []string{"/", "/sync", "/audit", "/stipends", "/participants", "/ta-requests", "/ta-requests/" + reqs[0].ID, "/coaches", "/cohorts", "/surveys"}
	for _, p := range people {
		for _, tab := range []string{"profile", "interviews", "goals", "journals", "outings", "hospitalizations", "participation"} {
			pages = append(pages, "/participants/"+p.ID+"?tab="+tab)
		}
	}
	var cohorts []struct {
		ID string `json:"id"`
	}
	if st := s.call(dirTok, "GET", "/api/v1/cohorts", nil, &cohorts); st != 200 || len(cohorts) == 0 {
		t.Fatalf("cohorts: %d", st)
	}
	for _, c := range cohorts {
		pages = append(pages, "/cohorts/"+c.ID)
	}
	for _, path := range pages {
		st, body := b.get(path)
		if st != 200 {
			t.Errorf("%s: %d", path, st)
			continue
		}
		noRawTimes(t, path, body)
	}
	// The sync page says when, in words, with the machine's form kept in
	// the datetime attribute.
	_, body := b.get("/sync")
	mustContain(t, "sync page", body, `<time datetime="2026-06-20T08:57:00Z">Sat 20 Jun, 08:57</time> (3 minutes ago)`, `(yesterday)`)
	// Money is in dollars.
	_, body = b.get("/stipends")
	if !regexp.MustCompile(`\$\d{1,3}(,\d{3})*\.\d\d`).MatchString(visibleText(body)) {
		t.Error("the stipends page shows no amount in dollars")
	}
	// A participant's own journal too.
	var access struct {
		Access struct {
			Login string `json:"login"`
		} `json:"access"`
		StartCode string `json:"start_code"`
	}
	if st := s.call(dirTok, "POST", "/api/v1/participants/"+people[0].ID+"/journal-access", nil, &access); st != 201 {
		t.Fatalf("journal access: %d", st)
	}
	login, code := access.Access.Login, access.StartCode
	pb := s.newBrowser()
	st, body := pb.fill("/journal/start", map[string][]string{"login": {login}, "code": {code}, "pin": {"864213"}, "pin2": {"864213"}})
	if st != 200 || !strings.Contains(body, "My journal") {
		t.Fatalf("own journal: %d", st)
	}
	noRawTimes(t, "the participant's journal", body)
}

// noRawTimes fails when a page's visible text shows a raw time or a raw
// date (YYYY-MM-DD, YYYY-MM): dates are in words, and only an input keeps
// the machine's form (in its value attribute).
func noRawTimes(t *testing.T, what, body string) {
	t.Helper()
	text := visibleText(body)
	for _, re := range []*regexp.Regexp{rawTimeRE, rawDateRE} {
		if m := re.FindAllString(text, 3); m != nil {
			i := re.FindStringIndex(text)
			t.Errorf("%s shows a raw time or date %q: …%s…", what, m, text[max(0, i[0]-80):min(len(text), i[1]+40)])
		}
	}
}

// TestPagesInTheSiteZone: with the site's zone set (agent serve
// --time-zone), the pages show times in it.
func TestPagesInTheSiteZone(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	s.user("dir@example.org", "Dana", store.RoleDirector)
	s.must(s.st.SaveEnrollment(ctx, store.Enrollment{HubURL: "https://hub.example.org", SiteID: "site-1", SiteName: "Riverside", OrgName: "Riverside Org", Credential: "x", Generation: "g1"}))
	s.must(s.st.SetMeta(ctx, store.MetaLastSync, siteDay.Add(-3*time.Minute).Format(time.RFC3339)))
	clock, err := webui.NewClock("America/Chicago")
	s.must(err)
	s.srv = httptest.NewServer(server.New(server.Config{Clock: clock}, s.st, slog.New(slog.DiscardHandler)).Handler())
	t.Cleanup(s.srv.Close)
	_, body := s.browser("dir@example.org").get("/sync")
	// 08:57 UTC is 03:57 in Chicago (summer time).
	mustContain(t, "sync page in Chicago", body, `<time datetime="2026-06-20T08:57:00Z">Sat 20 Jun, 03:57</time> (3 minutes ago)`)
}
