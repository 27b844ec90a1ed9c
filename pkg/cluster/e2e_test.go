package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

const directorPassword = "a director password"

type pomReport struct {
	Participants int `json:"participants"`
	Interviews   int `json:"interviews"`
	Indicators   []struct {
		Code           string   `json:"code"`
		FirstN         int      `json:"first_n"`
		FirstPresent   int      `json:"first_present"`
		ClosingN       int      `json:"closing_n"`
		ClosingPresent int      `json:"closing_present"`
		ChangePoints   *float64 `json:"change_points"`
	} `json:"indicators"`
}

func analystToken(t *testing.T, h *cluster.Hub) string {
	t.Helper()
	ctx := context.Background()
	if _, err := h.CLI(ctx, "an analyst password\n", "user", "add", "--email", "analyst@example.org", "--name", "Ana", "--role", "analyst", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	tok, err := cluster.Login(ctx, h.URL(), "analyst@example.org", "an analyst password")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func directorToken(t *testing.T, a *cluster.Agent) string {
	t.Helper()
	ctx := context.Background()
	if _, err := a.CLI(ctx, directorPassword+"\n", "user", "add", "--email", "director@example.org", "--name", "Dana", "--role", "director", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	tok, err := cluster.Login(ctx, a.URL(), "director@example.org", directorPassword)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// canaries are unique strings planted in every identifying field at the
// site. None may ever reach the hub.
type canaries struct {
	First, Last, Phone, Email, Address, Notes string
	Dates                                     []string
}

func newCanaries(i int) canaries {
	u := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	return canaries{
		First: "Zqfirst" + u, Last: "Zqlast" + u, Phone: fmt.Sprintf("555-77%02d-%s", i, u[:4]),
		Email: "zq" + u + "@example.org", Address: u + " Canary Lane", Notes: "zqnote" + u,
	}
}

func (c canaries) all() []string {
	return append([]string{c.First, c.Last, c.Phone, c.Email, c.Address, c.Notes}, c.Dates...)
}

// TestSiteToHub walks the first slice through real processes: a site enrolls,
// records participants and POM interviews through its API, syncs, and
// national staff see the de-identified POM table; a withdrawal removes a
// participant upstream. Every identifying value planted at the site is
// then searched for in the hub's database, its log and the bytes on the
// wire.
func TestSiteToHub(t *testing.T) {
	eachHubDB(t, func(t *testing.T, h *cluster.Hub) {
		ctx := context.Background()
		proxyURL, wire := recordingProxy(t, h.URL())
		a := enrolledAgent(t, h, proxyURL, "Canary site")
		if err := a.Start(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := a.Stop(); err != nil {
				t.Error(err)
			}
		})
		tok := directorToken(t, a)
		rel := program.Default()

		// Three participants enrolled in 2025 who are in no cohort and
		// have no records of their own: with them the year holds at least
		// k = 5 participants (before and after the withdrawal below), so
		// the agent describes the site's 2025 participants upstream
		// (privacy.md, quasi-identifiers).
		for i := range 3 {
			post(t, ctx, http.MethodPost, a.URL()+"/api/v1/participants", tok, map[string]any{
				"first_name": fmt.Sprint("Other", i), "last_name": "Participant", "birth_date": fmt.Sprintf("19%d5-06-01", 5+i), "enrolled_on": "2025-06-02",
				"informed_consent": true, "manages_finances": true, "sets_goals": true, "accepts_responsibilities": true, "agreement_signed_on": "2025-06-02",
			}, nil, http.StatusCreated)
		}
		// Three participants with canaries. Friends (pom20) present:
		// eligibility 0 of 3, closing 2 of 3; the second then withdraws.
		var planted []canaries
		var ids []string
		dates := []struct{ birth, enrolled, elig, mid, closing string }{
			{"1961-03-17", "2025-02-13", "2025-02-14", "2025-08-19", "2026-01-27"},
			{"1990-11-05", "2025-03-04", "2025-03-06", "2025-09-10", "2026-02-24"},
			{"1949-07-29", "2025-04-22", "2025-04-23", "2025-10-15", "2026-03-31"},
		}
		for i, d := range dates {
			c := newCanaries(i)
			c.Dates = []string{d.birth, d.enrolled, d.elig, d.mid, d.closing, strings.ReplaceAll(d.birth, "-", ""), strings.ReplaceAll(d.enrolled, "-", "")}
			planted = append(planted, c)
			var p struct {
				ID string `json:"id"`
			}
			st, err := cluster.JSON(ctx, http.MethodPost, a.URL()+"/api/v1/participants", tok, map[string]any{
				"first_name": c.First, "last_name": c.Last, "birth_date": d.birth, "phone": c.Phone, "email": c.Email, "address": c.Address, "enrolled_on": d.enrolled,
				"informed_consent": true, "manages_finances": true, "sets_goals": true, "accepts_responsibilities": true,
				"agreement_signed_on": d.enrolled, "hospitalization_consent_on": d.enrolled,
			}, &p)
			if err != nil || st != http.StatusCreated {
				t.Fatalf("add participant: %d %v", st, err)
			}
			ids = append(ids, p.ID)
			for _, iv := range []struct {
				tp, day string
				friends bool
			}{{"eligibility", d.elig, false}, {"midpoint", d.mid, i == 0}, {"closing", d.closing, i < 2}} {
				answers := map[string]bool{}
				for _, it := range rel.Asked() {
					answers[it.Code] = it.Code == "pom20_have_friends" && iv.friends
				}
				st, err := cluster.JSON(ctx, http.MethodPut, a.URL()+"/api/v1/participants/"+p.ID+"/interviews/"+iv.tp, tok,
					map[string]any{"interviewed_on": iv.day, "answers": answers, "notes": c.Notes + " said hello"}, nil)
				if err != nil || st != http.StatusOK {
					t.Fatalf("record %s interview: %d %v", iv.tp, st, err)
				}
			}
		}
		// An incomplete interview is refused with a clear message and changes nothing.
		var prob struct {
			Type   string                   `json:"type"`
			Errors []struct{ Field string } `json:"errors"`
		}
		st, _ := cluster.JSON(ctx, http.MethodPut, a.URL()+"/api/v1/participants/"+ids[0]+"/interviews/closing", tok,
			map[string]any{"interviewed_on": "2026-01-28", "answers": map[string]bool{"pom20_have_friends": false}}, &prob)
		if st != http.StatusUnprocessableEntity || len(prob.Errors) != len(rel.Asked())-1 {
			t.Fatalf("incomplete interview: status %d, %d field errors", st, len(prob.Errors))
		}
		// The rest of the program: cohort, meeting, journals, outings,
		// hospitalizations, services and anonymous surveys.
		prog := recordProgram(t, ctx, a, tok, ids, planted)
		// Records: 6 participants, 9 interviews, 3 hospitalizations, 5
		// surveys, 12 cohort months (the cohort's year is over) and 12
		// months of participation for each participant in the cohort.
		const records = 6 + 9 + 3 + 5 + 12 + 3*12
		if _, err := a.CLI(ctx, "", "sync"); err != nil {
			t.Fatal(err)
		}

		// The running agent syncs by itself soon after each change.
		waitFor(t, 30*time.Second, "the agent's outbox to empty", func() error {
			var st struct {
				Outbox struct{ Total, Pending int }
			}
			if _, err := cluster.JSON(ctx, http.MethodGet, a.URL()+"/api/v1/sync", tok, nil, &st); err != nil {
				return err
			}
			if st.Outbox.Total != records || st.Outbox.Pending != 0 {
				return fmt.Errorf("outbox %+v", st.Outbox)
			}
			return nil
		})
		analyst := analystToken(t, h)
		report := func() pomReport {
			var rep pomReport
			if st, err := cluster.JSON(ctx, http.MethodGet, h.URL()+"/api/v1/outcomes/pom", analyst, nil, &rep); err != nil || st != 200 {
				t.Fatalf("report: %d %v", st, err)
			}
			return rep
		}
		friends := func(rep pomReport) [4]int {
			for _, ind := range rep.Indicators {
				if ind.Code == "pom20_have_friends" {
					return [4]int{ind.FirstN, ind.FirstPresent, ind.ClosingN, ind.ClosingPresent}
				}
			}
			t.Fatal("no pom20 row")
			return [4]int{}
		}
		waitFor(t, 30*time.Second, "the report to show 6 participants", func() error {
			if rep := report(); rep.Participants != 6 || rep.Interviews != 9 {
				return fmt.Errorf("%d participants, %d interviews", rep.Participants, rep.Interviews)
			}
			return nil
		})
		if got := friends(report()); got != [4]int{3, 0, 3, 2} {
			t.Fatalf("friends first n/present, closing n/present = %v, want [3 0 3 2]", got)
		}
		live, _ := hubTypes(t, h)
		if want := map[string]int{contract.TypeParticipant: 6, contract.TypePOMInterview: 9, contract.TypeHospitalization: 3, contract.TypeSurveyResponse: prog.Surveys,
			contract.TypeCohortMonth: 12, contract.TypeParticipation: 36}; !reflect.DeepEqual(live, want) {
			t.Fatalf("the hub holds %v, want %v", live, want)
		}
		// A correction reaches the hub as a higher version, which replaces
		// the one it held.
		key0 := surrogateKey(t, a, ids[0])
		if vs := hubVersionsOf(t, h, contract.TypeHospitalization, key0); len(vs) != 1 || vs[0] != 3 {
			t.Fatalf("hospitalization versions at the hub before the correction: %v", vs)
		}
		// Seven before enrollment (one before) leave top-coded, as 3.
		post(t, ctx, http.MethodPut, a.URL()+"/api/v1/participants/"+ids[0]+"/hospitalizations/before", tok, map[string]any{"before_count": 7}, nil, http.StatusOK)
		if _, err := a.CLI(ctx, "", "sync"); err != nil {
			t.Fatal(err)
		}
		if vs := hubVersionsOf(t, h, contract.TypeHospitalization, key0); len(vs) != 1 || vs[0] != 4 {
			t.Fatalf("hospitalization versions at the hub after the correction: %v", vs)
		}
		var corrected string
		if err := openDB(t, hubDSN(h)).Raw("SELECT data FROM records WHERE type = ? AND data LIKE ?", contract.TypeHospitalization, "%"+key0+"%").Scan(&corrected).Error; err != nil ||
			!strings.Contains(corrected, `"before_count":3`) {
			t.Fatalf("the hub holds %s, %v", corrected, err)
		}
		key1 := surrogateKey(t, a, ids[1])
		cohortMembers := func() (months, members int) {
			var ds []string
			if err := openDB(t, hubDSN(h)).Raw("SELECT data FROM records WHERE type = ? AND deleted = ?", contract.TypeCohortMonth, false).Scan(&ds).Error; err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				var m contract.CohortMonth
				if err := json.Unmarshal([]byte(d), &m); err != nil {
					t.Fatal(err)
				}
				months, members = months+1, members+m.Members
			}
			return months, members
		}
		// Cohort months are calendar months from February 2025, the month
		// it started: on the last day of February one member (joined on
		// 17 February), of March two (4 March), then three.
		monthsBefore, membersBefore := cohortMembers()
		if monthsBefore != 12 || membersBefore != 1+2+10*3 {
			t.Fatalf("cohort months at the hub count %d members over %d months, want 33 over 12", membersBefore, monthsBefore)
		}

		// Withdrawal: the participant disappears upstream at the next sync,
		// from every month of their cohort too (they were a member in the
		// eleven from March).
		if st, err := cluster.JSON(ctx, http.MethodPost, a.URL()+"/api/v1/participants/"+ids[1]+"/withdraw", tok, nil, nil); err != nil || st != http.StatusNoContent {
			t.Fatalf("withdraw: %d %v", st, err)
		}
		if _, err := a.CLI(ctx, "", "sync"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 30*time.Second, "the withdrawal to reach the report", func() error {
			if rep := report(); rep.Participants != 5 {
				return fmt.Errorf("%d participants", rep.Participants)
			}
			return nil
		})
		if got := friends(report()); got != [4]int{2, 0, 2, 1} {
			t.Fatalf("after withdrawal friends = %v, want [2 0 2 1]", got)
		}
		held := assertHubHoldsExactly(t, h, a)
		// Withdrawal removed the participant's records of every type.
		if left := liveHubRecordsOf(t, h, key1); len(left) != 0 {
			t.Fatalf("the withdrawn participant still has records at the hub: %v", left)
		}
		if _, deleted := hubTypes(t, h); deleted[contract.TypeParticipant] != 1 || deleted[contract.TypePOMInterview] != 3 ||
			deleted[contract.TypeHospitalization] != 1 || deleted[contract.TypeParticipation] != 12 {
			t.Fatalf("tombstones at the hub: %v", deleted)
		}
		if n := len(liveHubRecordsOf(t, h, key0)); n != 1+3+1+12 {
			t.Fatalf("a staying participant has %d live records at the hub", n)
		}
		if months, members := cohortMembers(); months != monthsBefore || members != membersBefore-11 {
			t.Fatalf("cohort months at the hub count %d members over %d months, were %d over %d: the withdrawn participant is still counted",
				members, months, membersBefore, monthsBefore)
		}
		// Every combination of site, year, age band and model at the hub
		// holds at least k participants.
		for cell, n := range quasiCells(t, h) {
			if n < program.DefaultMinGroup {
				t.Fatalf("%d participants share %s at the hub", n, cell)
			}
		}

		// The page shows the same table.
		page := getPage(t, h.URL()+"/outcomes/pom", analyst)
		if !strings.Contains(page, "People have friends") || !strings.Contains(page, "<svg") {
			t.Fatal("the POM page lacks the table or the chart")
		}

		// Nothing identifying anywhere at the hub or on the wire.
		if err := h.Stop(); err != nil {
			t.Fatal(err)
		}
		haystacks := map[string]string{"hub database": dumpHubDatabase(t, h), "hub log": h.Proc.Log(), "wire": wire.String()}
		for where, hay := range map[string]string{"wire": haystacks["wire"], "hub database": haystacks["hub database"]} {
			if err := containsAll(hay, "pom20_have_friends", "s11_social_life_better", "outings_by_stage", "day_program", "meetings_on_theme"); err != nil {
				t.Fatalf("the searches cannot be trusted: the synced records are not found in the %s: %v", where, err)
			}
		}
		for where, hay := range haystacks {
			for _, c := range planted {
				for _, needle := range c.all() {
					if strings.Contains(strings.ToLower(hay), strings.ToLower(needle)) {
						t.Errorf("%q planted at the site was found in the %s", needle, where)
					}
				}
			}
		}
		// Every record id at the hub is a UUIDv7 whose time is the start of
		// a year: no id tells when anything happened at the site.
		var heldIDs []string
		if err := openDB(t, hubDSN(h)).Raw("SELECT id FROM records").Scan(&heldIDs).Error; err != nil || len(heldIDs) != held {
			t.Fatalf("record ids at the hub: %d, %v", len(heldIDs), err)
		}
		for _, id := range heldIDs {
			assertYearOnly(t, id)
		}
	})
}

func assertYearOnly(t *testing.T, id string) {
	t.Helper()
	u := uuid.MustParse(id)
	sec, nsec := u.Time().UnixTime()
	got := time.Unix(sec, nsec).UTC()
	if u.Version() != 7 || !got.Equal(time.Date(got.Year(), 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("record id %s (version %d) carries the time %s", id, u.Version(), got)
	}
}

func getPage(t *testing.T, url, tok string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.AddCookie(&http.Cookie{Name: "iml_hub_session", Value: tok})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return b.String()
}

// TestRevokedSiteAndBadToken: a revoked site's sync fails with a clear
// message and a non-zero exit; a used token cannot enroll again.
func TestRevokedSiteAndBadToken(t *testing.T) {
	h := startHub(t, "")
	ctx := context.Background()
	tok, err := h.AddSite(ctx, "Org R", "nami", "NC", "Site R")
	if err != nil {
		t.Fatal(err)
	}
	a := &cluster.Agent{Name: "r", Bin: agentBin, DataDir: t.TempDir()}
	if err := a.Enroll(ctx, h.URL(), tok); err != nil {
		t.Fatal(err)
	}
	b := &cluster.Agent{Name: "r2", Bin: agentBin, DataDir: t.TempDir()}
	if err := b.Enroll(ctx, h.URL(), tok); err == nil || !strings.Contains(err.Error(), "already used or expired") {
		t.Fatalf("second use of a token: %v", err)
	}
	if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "3"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CLI(ctx, "", "sync"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.CLI(ctx, "", "site", "revoke", "--site", "Site R", "--reason", "laptop stolen"); err != nil {
		t.Fatal(err)
	}
	_, err = a.CLI(ctx, "", "sync")
	if err == nil || !strings.Contains(err.Error(), "revoked") || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("sync of a revoked site: %v", err)
	}

	// Another site's token cannot take over this agent's data, and is not spent.
	other, err := h.AddSite(ctx, "Org R", "nami", "NC", "Site S")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CLI(ctx, "", "enroll", "--force", "--hub", h.URL(), "--token", other); err == nil || !strings.Contains(err.Error(), "another site") {
		t.Fatalf("enrolling with another site's token: %v", err)
	}
	c := &cluster.Agent{Name: "s", Bin: agentBin, DataDir: t.TempDir()}
	if err := c.Enroll(ctx, h.URL(), other); err != nil {
		t.Fatalf("the refused token was spent: %v", err)
	}

	// Reinstated, the site enrolls again and syncs.
	out, err := h.CLI(ctx, "", "site", "reinstate", "--site", "Site R")
	if err != nil {
		t.Fatal(err)
	}
	tok2, err := cluster.TokenFrom(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.CLI(ctx, "", "enroll", "--force", "--hub", h.URL(), "--token", tok2); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CLI(ctx, "", "sync"); err != nil {
		t.Fatalf("sync after reinstatement: %v", err)
	}
	assertHubHoldsExactly(t, h, a)
}

// TestHubRestoredFromOlderBackup: after the hub's database is replaced by an
// older backup, the next sync resends what the backup lacks.
func TestHubRestoredFromOlderBackup(t *testing.T) {
	eachHubDB(t, func(t *testing.T, h *cluster.Hub) {
		ctx := context.Background()
		a := enrolledAgent(t, h, h.URL(), "Restore site")
		if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "30", "--seed", "7"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.CLI(ctx, "", "sync", "--batch-records", "20"); err != nil {
			t.Fatal(err)
		}
		before := assertHubHoldsExactly(t, h, a)
		backup := backupHub(t, h)
		// More work at the site after the backup: new people, corrections.
		if _, err := a.CLI(ctx, "", "demo-seed", "--participants", "25", "--seed", "8"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.CLI(ctx, "", "sync", "--batch-records", "20"); err != nil {
			t.Fatal(err)
		}
		after := assertHubHoldsExactly(t, h, a)
		if after <= before {
			t.Fatalf("no new records after the backup (%d, %d)", before, after)
		}
		restoreHub(t, h, backup)
		hdb := openDB(t, hubDSN(h))
		var n int64
		hdb.Raw("SELECT COUNT(*) FROM records").Scan(&n)
		if int(n) != before {
			t.Fatalf("restored hub holds %d records, want the %d of the backup", n, before)
		}
		// Lost: the records made after the backup, and the newer versions
		// of records the backup holds older (the new people changed how
		// the site describes the others).
		lost := lostAtHub(t, h, a)
		if lost < after-before {
			t.Fatalf("%d records lost, fewer than the %d made after the backup", lost, after-before)
		}
		out, err := a.CLI(ctx, "", "sync")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, fmt.Sprintf("%d new at the hub", lost)) {
			t.Errorf("after the restore the sync should store exactly the %d lost records: %s", lost, out)
		}
		assertHubHoldsExactly(t, h, a)

		// Rotating the generation makes the agent resend everything; the hub
		// stores nothing twice.
		if _, err := h.CLI(ctx, "", "generation", "rotate"); err != nil {
			t.Fatal(err)
		}
		out, err = a.CLI(ctx, "", "sync")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, fmt.Sprintf("%d records sent (0 new at the hub)", after)) {
			t.Errorf("after a generation change: %s", out)
		}
		assertHubHoldsExactly(t, h, a)
	})
}

// backupHub copies the hub's database while it runs.
func backupHub(t *testing.T, h *cluster.Hub) string {
	t.Helper()
	ctx := context.Background()
	if h.DB == "" {
		to := filepath.Join(t.TempDir(), "hub-backup.db")
		if _, err := h.CLI(ctx, "", "backup", "--to", to); err != nil {
			t.Fatal(err)
		}
		return to
	}
	to := filepath.Join(t.TempDir(), "hub.dump")
	schema := schemaOf(t, h.DB)
	if _, err := cluster.Run(ctx, "pg_dump", nil, "", "--format=custom", "--no-owner", "--schema="+schema, "--file="+to, baseURL(h.DB)); err != nil {
		t.Fatal(err)
	}
	return to
}

// restoreHub stops the hub, puts the backup in place of its database and
// starts it again.
func restoreHub(t *testing.T, h *cluster.Hub, backup string) {
	t.Helper()
	ctx := context.Background()
	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}
	if h.DB == "" {
		db := filepath.Join(h.DataDir, "hub.db")
		for _, s := range []string{"", "-wal", "-shm"} {
			os.Remove(db + s)
		}
		b, err := os.ReadFile(backup)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(db, b, 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		schema := schemaOf(t, h.DB)
		if _, err := cluster.Run(ctx, "psql", nil, "", baseURL(h.DB), "-v", "ON_ERROR_STOP=1", "-c", "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Fatal(err)
		}
		if _, err := cluster.Run(ctx, "pg_restore", nil, "", "--no-owner", "--dbname="+baseURL(h.DB), backup); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
}

func schemaOf(t *testing.T, dsn string) string {
	i := strings.Index(dsn, "search_path=")
	if i < 0 {
		t.Fatal("no search_path in", dsn)
	}
	s := dsn[i+len("search_path="):]
	if j := strings.IndexByte(s, '&'); j >= 0 {
		s = s[:j]
	}
	return s
}

func baseURL(dsn string) string {
	i := strings.Index(dsn, "?")
	if i < 0 {
		return dsn
	}
	q := strings.Split(dsn[i+1:], "&")
	var keep []string
	for _, kv := range q {
		if !strings.HasPrefix(kv, "search_path=") {
			keep = append(keep, kv)
		}
	}
	return dsn[:i] + "?" + strings.Join(keep, "&")
}

// TestReleaseReachesSites: a release published at the hub reaches an agent at
// its next sync, the agent runs it, and the hub shows which release the site
// runs.
func TestReleaseReachesSites(t *testing.T) {
	h := startHub(t, "")
	ctx := context.Background()
	a := enrolledAgent(t, h, h.URL(), "Release site")
	if _, err := a.CLI(ctx, "", "sync"); err != nil {
		t.Fatal(err)
	}
	cur, err := h.CLI(ctx, "", "release", "show", "2026.1")
	if err != nil {
		t.Fatal(err)
	}
	next := strings.Replace(strings.Replace(cur, `"2026.1"`, `"2026.2"`, 1), `"monthly_cents": 6000`, `"monthly_cents": 6500`, 1)
	file := filepath.Join(t.TempDir(), "next.json")
	if err := os.WriteFile(file, []byte(next), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := h.CLI(ctx, "", "release", "publish", "--file", file); err != nil {
		t.Fatal(err)
	}
	out, err := a.CLI(ctx, "", "sync")
	if err != nil || !strings.Contains(out, "release 2026.2") {
		t.Fatalf("sync after a new release: %q %v", out, err)
	}
	if err := a.Start(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop() })
	var rel struct {
		Version string `json:"version"`
		Stipend struct {
			MonthlyCents int `json:"monthly_cents"`
		} `json:"stipend"`
	}
	if st, err := cluster.JSON(ctx, http.MethodGet, a.URL()+"/api/v1/release", directorToken(t, a), nil, &rel); err != nil || st != 200 || rel.Version != "2026.2" || rel.Stipend.MonthlyCents != 6500 {
		t.Fatalf("the agent runs %+v (%d, %v)", rel, st, err)
	}
	// The agent names its release on every request; the hub shows it.
	if _, err := a.CLI(ctx, "", "sync"); err != nil {
		t.Fatal(err)
	}
	sites, err := h.CLI(ctx, "", "site", "list")
	if err != nil || !strings.Contains(sites, "2026.2") {
		t.Fatalf("hub site list: %s %v", sites, err)
	}
}
