package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/ta"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// fidelityHub is a hub with an admin signed in and sites that each sent a
// month of participation for some participants, all of whom miss the
// journal and receipt thresholds and meet rarely (Social Explorations).
type fidelityHub struct {
	*hub
	token string
	sites map[string]store.Site
}

func newFidelityHub(t *testing.T, dsn string, cfg server.Config, people map[string]int, org map[string]string) *fidelityHub {
	t.Helper()
	h := newHubWith(t, dsn, func(string) server.Config { return cfg })
	ctx := context.Background()
	if _, err := staff.New(h.st).AddUser(ctx, "admin@example.org", "Ada", store.RoleAdmin, "", pw); err != nil {
		t.Fatal(err)
	}
	_, tok, err := staff.New(h.st).Login(ctx, "admin@example.org", pw)
	if err != nil {
		t.Fatal(err)
	}
	fh := &fidelityHub{hub: h, token: tok, sites: map[string]store.Site{}}
	orgs := map[string]*store.Organization{}
	for name, n := range people {
		on := org[name]
		if orgs[on] == nil {
			o, err := affiliates.New(h.st).AddOrganization(ctx, on, "peer_run", "VA")
			if err != nil {
				t.Fatal(err)
			}
			orgs[on] = &o
		}
		site, cred := h.site(name, orgs[on])
		fh.sites[name] = site
		var recs []contract.Record
		for i := range n {
			model := contract.ModelSocialExplorations
			if i%2 == 1 {
				model = contract.ModelPeerPartners
			}
			r, err := contract.NewRecord(newID(), contract.TypeParticipation, 1, contract.Participation{ParticipantKey: uuid.NewString(), EnrollmentYear: 2026,
				AgeBand: "35-44", Model: model, ProgramMonth: 1, MeetingsHeld: 1, MeetingsAttended: 1, JournalsDue: 4, JournalsCompleted: 1,
				StipendSpentCents: 1000, ReceiptsComplete: false, OutingsByStage: []int{0, 0, 0, 0}})
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, r)
		}
		resp, b := h.do(t, request{method: http.MethodPost, path: contract.PathPush, header: pushHeaders(cred, 1), body: gz(t, batch(t, site.ID, recs...))})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("push: %d %s", resp.StatusCode, b)
		}
	}
	for {
		n, err := intake.New(h.st).ProjectPending(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	return fh
}

func (fh *fidelityHub) get(t *testing.T, path string, v any) []byte {
	t.Helper()
	hdr := map[string]string{"Authorization": "Bearer " + fh.token}
	if !strings.HasPrefix(path, "/api/") {
		hdr = map[string]string{"Cookie": "iml_hub_session=" + fh.token}
	}
	resp, b := fh.do(t, request{method: http.MethodGet, path: path, header: hdr})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return b
}

// TestFidelityHonoursMinCell: the hub's --min-cell (Config.MinCell) is the
// minimum cell of the fidelity report and of the flags on "My TA work": a
// site of 12 participants that misses the journal threshold is flagged for
// it under 11, and neither shows the share nor is flagged for it under 20.
func TestFidelityHonoursMinCell(t *testing.T) {
	for _, tc := range []struct {
		minCell int
		flagged bool
	}{{11, true}, {20, false}} {
		t.Run(strconv.Itoa(tc.minCell), func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, dsn string) {
				fh := newFidelityHub(t, dsn, server.Config{MinCell: tc.minCell}, map[string]int{"Twelve": 12}, map[string]string{"Twelve": "Twelve org"})
				var rep outcomes.FidelityReport
				fh.get(t, "/api/v1/outcomes/fidelity", &rep)
				if rep.MinCell != tc.minCell || len(rep.Sites) != 1 || rep.Sites[0].JournalShare.Suppressed == tc.flagged {
					t.Fatalf("min cell %d: fidelity %+v", tc.minCell, rep)
				}
				var work ta.TAWork
				fh.get(t, "/api/v1/ta/work?all=1", &work)
				journal := false
				for _, fl := range work.Flagged {
					journal = journal || (fl.SiteID == fh.sites["Twelve"].ID && strings.Contains(strings.Join(fl.Reasons, ";"), "journal completion"))
				}
				if journal != tc.flagged {
					t.Fatalf("min cell %d: flagged for journals %v, want %v: %+v", tc.minCell, journal, tc.flagged, work.Flagged)
				}
				page := string(fh.get(t, "/ta", nil))
				if strings.Contains(page, "journal completion") != tc.flagged {
					t.Fatalf("min cell %d: the TA work page says journal completion: %v", tc.minCell, !tc.flagged)
				}
			})
		})
	}
}

var fidelityRowRE = regexp.MustCompile(`(?s)<tr data-site="([^"]+)"[^>]*>(.*?)</tr>`)

// TestFidelityOfASmallSite: a site of 3 participants beside one of 20 in
// the same organization, whose counts the outcomes report hides to protect
// the small one. The fidelity API, page and CSV and the TA work list show
// nothing of either site's participants the outcomes report hides: the
// same suppressed figures, no reason that rests on them, and rows that
// say the same of both, so the small one cannot be picked out.
func TestFidelityOfASmallSite(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		fh := newFidelityHub(t, dsn, server.Config{}, map[string]int{"Small": 3, "Larger": 20, "Elsewhere": 30},
			map[string]string{"Small": "Shared org", "Larger": "Shared org", "Elsewhere": "Other org"})
		small, larger := fh.sites["Small"], fh.sites["Larger"]
		for _, st := range []store.Site{small, larger} {
			var rep outcomes.OutcomeReport
			fh.get(t, "/api/v1/outcomes/report?site="+st.ID, &rep)
			if !rep.Participation.Participants.Suppressed || !rep.Participation.JournalShare.Suppressed {
				t.Fatalf("the outcomes report shows %s's participants: %+v", st.Name, rep.Participation)
			}
		}
		var rep outcomes.FidelityReport
		fh.get(t, "/api/v1/outcomes/fidelity", &rep)
		rows := map[string]outcomes.SiteFidelity{}
		for _, sf := range rep.Sites {
			rows[sf.SiteID] = sf
		}
		note := outcomes.SuppressedNote(outcomes.DefaultMinCell)
		for _, st := range []store.Site{small, larger} {
			sf := rows[st.ID]
			for _, fig := range []outcomes.Figure{sf.JournalShare, sf.ReceiptShare, sf.SEMeetings} {
				if !fig.Suppressed || fig.Value != nil || fig.Note != note {
					t.Errorf("%s: the fidelity API shows %+v", st.Name, fig)
				}
			}
			if sf.FlaggedForTA || len(sf.Reasons) != 0 {
				t.Errorf("%s: flagged on hidden figures: %q", st.Name, sf.Reasons)
			}
		}
		if e := rows[fh.sites["Elsewhere"].ID]; e.JournalShare.Suppressed || !e.FlaggedForTA {
			t.Errorf("the site of 30 is hidden or not flagged: %+v", e)
		}
		// The page: the two rows' cells are the same but for the names.
		page := html.UnescapeString(string(fh.get(t, "/outcomes/fidelity", nil)))
		cells := map[string]string{}
		for _, m := range fidelityRowRE.FindAllStringSubmatch(page, -1) {
			cells[m[1]] = strings.NewReplacer(small.Name, "SITE", larger.Name, "SITE").Replace(m[2])
		}
		if cells[small.ID] == "" || cells[small.ID] != cells[larger.ID] || !strings.Contains(cells[small.ID], note) || strings.Contains(cells[small.ID], "journal completion") {
			t.Errorf("the fidelity page tells the two sites apart:\n%s\n%s", cells[small.ID], cells[larger.ID])
		}
		// The CSV.
		b := fh.get(t, "/outcomes/export/fidelity.csv", nil)
		records, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		csvRows := map[string][]string{}
		for _, r := range records[1:] {
			csvRows[r[0]] = r[4:]
		}
		if strings.Join(csvRows[small.ID], "|") != strings.Join(csvRows[larger.ID], "|") || !strings.Contains(strings.Join(csvRows[small.ID], "|"), note) {
			t.Errorf("the CSV tells the two sites apart:\n%q\n%q", csvRows[small.ID], csvRows[larger.ID])
		}
		// The TA work list flags neither.
		var work ta.TAWork
		fh.get(t, "/api/v1/ta/work?all=1", &work)
		for _, fl := range work.Flagged {
			if fl.SiteID == small.ID || fl.SiteID == larger.ID {
				t.Errorf("TA work flags %s on hidden figures: %q", fl.Site, fl.Reasons)
			}
		}
	})
}
