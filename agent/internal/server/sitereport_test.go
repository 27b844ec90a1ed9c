package server_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// TestSiteReportPageJSONAndCSV: the director's report as a page, JSON
// and CSV, only for the director, and a client's mistake in the year is
// answered as such, never a 500.
func TestSiteReportPageJSONAndCSV(t *testing.T) {
	s := newSite(t)
	_, dir := s.user("dir@example.org", "Dana", store.RoleDirector)
	_, coach := s.user("casey@example.org", "Casey", store.RoleCoach)
	ctx := context.Background()
	for _, first := range []string{"Rae", "Sol"} {
		p := s.participant(first)
		in := store.InterviewInput{InterviewedOn: "2026-01-12"}
		for i, it := range program.Default().Asked() {
			in.SetChoice(it.Code, []string{"present", "absent", contract.Declined}[i%3])
		}
		_, err := s.st.Participants.RecordInterview(ctx, p.ID, "eligibility", in)
		s.must(err)
		in.InterviewedOn = "2026-06-15"
		in.SetChoice(program.Default().Asked()[1].Code, "present")
		_, err = s.st.Participants.RecordInterview(ctx, p.ID, "midpoint", in)
		s.must(err)
	}
	var rep struct {
		Year int
		POM  []struct {
			Code            string
			First           struct{ N, Declined int }
			FirstToMidpoint struct {
				N, Gained int
			} `json:"first_to_midpoint"`
		}
		Survey struct{ Completed int }
	}
	if st := s.call(coach, http.MethodGet, "/api/v1/reports/site", nil, nil); st != 403 {
		t.Fatalf("a coach read the site report: %d", st)
	}
	if st := s.call(dir, http.MethodGet, "/api/v1/reports/site?year=2026", nil, &rep); st != 200 || rep.Year != 2026 || len(rep.POM) != 12 {
		t.Fatalf("report: %d %+v", st, rep)
	}
	if r := rep.POM[1]; r.First.N != 2 || r.FirstToMidpoint.Gained != 2 || rep.POM[2].First.Declined != 2 {
		t.Errorf("report rows %+v %+v", r, rep.POM[2])
	}
	for _, bad := range []string{"?year=abc", "?year=-5", "?year=99999999999999999999", "?year=%00"} {
		if st := s.call(dir, http.MethodGet, "/api/v1/reports/site"+bad, nil, nil); st != 422 {
			t.Errorf("year %s: %d", bad, st)
		}
	}
	// A year given twice is refused before the report reads either.
	if st := s.call(dir, http.MethodGet, "/api/v1/reports/site?year=2026&year=2025", nil, nil); st != 400 {
		t.Errorf("year given twice: %d", st)
	}
	b := s.browser("dir@example.org")
	st, page := b.get("/reports/site?year=2026")
	if st != 200 {
		t.Fatalf("page: %d", st)
	}
	mustContain(t, "report page", page, "pom-table", "Unpaired share", "Paired change", "survey-completed", "0 completed the survey", "hosp-table", "part-table", "How the figures are made", `id="pomchart"`, "Site report")
	if strings.Contains(page, "Thirteenth") || strings.Contains(page, "x13") {
		t.Error("the report shows the unnamed indicator")
	}
	if dir := os.Getenv("IML_SCREENSHOTS"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "site-report.html"), []byte(page), 0o600)
	}
	if st, _ := b.get("/reports/site?year=zz"); st != 400 {
		t.Errorf("a bad year on the page: %d", st)
	}
	for _, table := range []string{"pom", "survey", "hospitalizations", "participation"} {
		st, h, body := b.send(http.MethodGet, "/reports/site.csv?year=2026&table="+table, "", nil)
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || err != nil || len(rows) < 2 {
			t.Errorf("%s CSV: %d %s %v %d rows", table, st, h.Get("Content-Type"), err, len(rows))
		}
		if table == "pom" && (len(rows) != 13 || rows[2][0] != program.Default().Asked()[1].Code || rows[2][28] != "2") {
			t.Errorf("pom CSV row %v", rows[2])
		}
	}
	if st, _ := b.get("/reports/site.csv?table=../../etc"); st != 400 {
		t.Errorf("an unknown table: %d", st)
	}
	if st, _ := s.browser("casey@example.org").get("/reports/site"); st != 403 {
		t.Errorf("a coach opened the report page: %d", st)
	}
}
