package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/program"
)

// nationalScale is the share of the national data set to build:
// IML_BENCH_OUTCOMES_SCALE=0.05 for a quick run (100 sites, 7,500
// participants); 1 is 2,000 sites and 150,000 participants.
func nationalScale(b *testing.B) float64 {
	v := os.Getenv("IML_BENCH_OUTCOMES_SCALE")
	if v == "" {
		return 1
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > 1 {
		b.Fatalf("IML_BENCH_OUTCOMES_SCALE=%q: want a number in (0, 1]", v)
	}
	return f
}

var benchStates = strings.Fields("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY")

var benchOrgTypes = []string{"peer_run", "state_mh", "csb_mhc", "church", "mha_affiliate", "nami", "other"}

// copier streams rows into one table with COPY.
type copier struct {
	table string
	cols  []string
	rows  chan []any
	done  chan error
}

func startCopy(ctx context.Context, conn *pgx.Conn, table string, cols ...string) *copier {
	c := &copier{table: table, cols: cols, rows: make(chan []any, 4096), done: make(chan error, 1)}
	go func() {
		var cur []any
		_, err := conn.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
			r, ok := <-c.rows
			if !ok {
				return nil, nil
			}
			cur = r
			return cur, nil
		}))
		for range c.rows { // drain on failure
		}
		c.done <- err
	}()
	return c
}

// loadNational writes the national data set straight into the hub's
// tables as stored and projected rows, table by table with COPY, each on
// its own connection. It returns the numbers of rows written.
func loadNational(b *testing.B, dsn string, scale float64) map[string]int {
	b.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(42, 7))
	rel := program.Default()
	nSites := max(3, int(2000*scale))
	nParticipants := int(150000 * scale)
	nOrgs := max(1, nSites/3)
	conns := map[string]*pgx.Conn{}
	conn := func(name string) *pgx.Conn {
		if c, ok := conns[name]; ok {
			return c
		}
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		conns[name] = c
		return c
	}
	defer func() {
		for _, c := range conns {
			c.Close(ctx)
		}
	}()
	counts := map[string]int{}
	cps := map[string]*copier{}
	open := func(table string, cols ...string) {
		cps[table] = startCopy(ctx, conn(table), table, cols...)
	}
	put := func(table string, row ...any) {
		counts[table]++
		cps[table].rows <- row
	}
	open("organizations", "id", "name", "type", "state", "created_at")
	open("sites", "id", "org_id", "name", "credential_hash", "batch_seq", "release", "created_at")
	open("records", "id", "site_id", "type", "version", "hash", "deleted", "data", "xact")
	open("pom_interviews", "record_id", "site_id", "org_id", "participant_key", "timepoint", "enrollment_year", "age_band", "program_month", "release", "model", "answers")
	open("outcome_participants", "record_id", "site_id", "participant_key", "enrollment_year", "age_band", "model")
	open("outcome_surveys", "record_id", "site_id", "year", "timepoint", "model", "release", "answers")
	open("outcome_hospitalizations", "record_id", "site_id", "participant_key", "enrollment_year", "age_band", "model", "before_count", "during_count", "months_enrolled")
	open("outcome_participation", "record_id", "site_id", "participant_key", "enrollment_year", "age_band", "model", "cohort_key", "program_month", "meetings_held",
		"meetings_attended", "journals_due", "journals_completed", "stipend_spent_cents", "receipts_complete", "outings1", "outings2", "outings3", "outings4")
	open("outcome_cohort_months", "record_id", "site_id", "cohort_key", "model", "start_year", "program_month", "members", "pairs", "pairing_changes", "meetings_held", "meetings_on_theme")

	now := time.Now().UTC()
	ids := deident.NewRecordID
	record := func(site, typ string, payload any) string {
		id := ids(now)
		data, err := json.Marshal(payload)
		if err != nil {
			b.Fatal(err)
		}
		put("records", id, site, typ, int64(1), contract.HashRecord(typ, false, data), false, string(data), int64(0)) // below the watermark: projected
		return id
	}
	orgIDs := make([]string, nOrgs)
	for i := range orgIDs {
		orgIDs[i] = uuid.NewString()
		put("organizations", orgIDs[i], fmt.Sprintf("Organization %04d", i), benchOrgTypes[rng.IntN(len(benchOrgTypes))], benchStates[rng.IntN(len(benchStates))], now)
	}
	for si := 0; si < nSites; si++ {
		site, org := uuid.NewString(), orgIDs[si%nOrgs]
		put("sites", site, org, fmt.Sprintf("Site %04d", si), "", int64(1), rel.Version, now)
		siteModel := contract.Models[rng.IntN(2)]
		per := nParticipants / nSites
		if si < nParticipants%nSites {
			per++
		}
		for p := 0; p < per; p++ {
			key, year, band := uuid.NewString(), 2024+rng.IntN(3), contract.AgeBands[1+rng.IntN(7)]
			model := siteModel
			if rng.IntN(10) == 0 {
				model = contract.Models[1-idxOf(contract.Models, siteModel)]
			}
			id := record(site, contract.TypeParticipant, contract.Participant{Key: key, EnrollmentYear: year, AgeBand: band, Model: model})
			put("outcome_participants", id, site, key, year, band, model)
			for ti, tp := range contract.Timepoints {
				ans := make(map[string]bool, len(rel.POM.Items))
				for _, it := range rel.POM.Items {
					ans[it.Code] = rng.Float64() < 0.3+0.2*float64(ti)
				}
				iv := contract.POMInterview{ParticipantKey: key, EnrollmentYear: year, AgeBand: band, Timepoint: tp, ProgramMonth: 1 + 5*ti, Release: rel.Version, Answers: ans}
				id := record(site, contract.TypePOMInterview, iv)
				flags := make(map[string]int, len(ans))
				for code, present := range ans {
					flags[code] = 0
					if present {
						flags[code] = 1
					}
				}
				counts["answers"] += len(ans)
				put("pom_interviews", id, site, org, key, tp, year, band, iv.ProgramMonth, rel.Version, "", flags)
			}
			if rng.Float64() < 0.7 {
				during := []int{}
				for range rng.IntN(3) {
					during = append(during, 1+rng.IntN(12))
				}
				h := contract.Hospitalization{ParticipantKey: key, EnrollmentYear: year, AgeBand: band, BeforeCount: rng.IntN(5), DuringMonths: during, MonthsEnrolled: 12, ServiceChanges: []contract.ServiceChange{}}
				id := record(site, contract.TypeHospitalization, h)
				put("outcome_hospitalizations", id, site, key, year, band, "", h.BeforeCount, len(during), 12)
			}
			for m := 1; m <= 12; m++ {
				held := 2 + rng.IntN(3)
				pa := contract.Participation{ParticipantKey: key, EnrollmentYear: year, AgeBand: band, ProgramMonth: m, MeetingsHeld: held, MeetingsAttended: rng.IntN(held + 1),
					JournalsDue: 4, JournalsCompleted: rng.IntN(5), StipendSpentCents: int64(rng.IntN(6001)), ReceiptsComplete: rng.Float64() < 0.9, OutingsByStage: []int{rng.IntN(2), rng.IntN(2), 0, 0}}
				id := record(site, contract.TypeParticipation, pa)
				o := pa.OutingsByStage
				put("outcome_participation", id, site, key, year, band, "", "", m, held, pa.MeetingsAttended, 4, pa.JournalsCompleted, pa.StipendSpentCents, pa.ReceiptsComplete, o[0], o[1], o[2], o[3])
			}
			// One anonymous survey per participant, at mid-point or closing.
			ans := make(map[string]string, len(rel.Survey.Statements))
			for _, st := range rel.Survey.Statements {
				ans[st.Code] = contract.SurveyAnswers[min(rng.IntN(6), 3)]
			}
			sv := contract.SurveyResponse{Year: year, Timepoint: []string{contract.TimepointMidpoint, contract.TimepointClosing}[rng.IntN(2)], Model: model, Release: rel.Version, Answers: ans}
			sid := record(site, contract.TypeSurveyResponse, sv)
			put("outcome_surveys", sid, site, year, sv.Timepoint, model, rel.Version, ans)
		}
		for c := 0; c < 2; c++ {
			ck, year := uuid.NewString(), 2024+rng.IntN(3)
			for m := 1; m <= 12; m++ {
				members := 6 + 2*rng.IntN(4)
				if rng.IntN(8) == 0 {
					members--
				}
				held := 3 + rng.IntN(2)
				cm := contract.CohortMonth{CohortKey: ck, Model: siteModel, StartYear: year, ProgramMonth: m, Members: members, Pairs: members / 2, MeetingsHeld: held, MeetingsOnTheme: held - rng.IntN(2)}
				id := record(site, contract.TypeCohortMonth, cm)
				put("outcome_cohort_months", id, site, ck, siteModel, year, m, members, cm.Pairs, 0, held, cm.MeetingsOnTheme)
			}
		}
	}
	// Parents first: the hub's tables have no foreign keys, so the order
	// of completion does not matter.
	for _, c := range cps {
		close(c.rows)
	}
	for t, c := range cps {
		if err := <-c.done; err != nil {
			b.Fatalf("COPY %s: %v", t, err)
		}
	}
	for _, t := range []string{"organizations", "sites", "records", "pom_interviews", "outcome_participants", "outcome_surveys",
		"outcome_hospitalizations", "outcome_participation", "outcome_cohort_months"} {
		if _, err := conn(t).Exec(ctx, "ANALYZE "+t); err != nil {
			b.Fatal(err)
		}
	}
	return counts
}

// storeAsIngest writes records (id, site_id, type, version, hash, deleted,
// data) as ingest does: in a transaction holding the ingest lock, marked
// with its id, so the projector folds them in.
func storeAsIngest(b *testing.B, conn *pgx.Conn, rows [][]any) {
	b.Helper()
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	var xact int64
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock_shared(74120194, hashtext(current_schema()))"); err != nil {
		b.Fatal(err)
	}
	if err := tx.QueryRow(ctx, "SELECT CAST(CAST(pg_current_xact_id() AS text) AS bigint)").Scan(&xact); err != nil {
		b.Fatal(err)
	}
	for i := range rows {
		rows[i] = append(rows[i], xact)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"records"}, []string{"id", "site_id", "type", "version", "hash", "deleted", "data", "xact"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
}

func idxOf(list []string, v string) int { return slices.Index(list, v) }

// naiveNational is the baseline: the report's figures by GROUP BY over
// the projected records, without rollups (the model of an interview
// joined from its participant record).
func naiveReport(ctx context.Context, conn *pgx.Conn, where string, args ...any) error {
	model := "COALESCE(NULLIF(x.model, ''), p.model, '')"
	join := " JOIN sites s ON s.id = x.site_id JOIN organizations o ON o.id = s.org_id LEFT JOIN outcome_participants p ON p.site_id = x.site_id AND p.participant_key = x.participant_key"
	qs := []string{
		"SELECT x.timepoint, a.key, COUNT(*), SUM(CAST(a.value AS INTEGER)) FROM pom_interviews x JOIN jsonb_each_text(x.answers) a ON true" + join +
			" WHERE " + strings.ReplaceAll(where, "$model", model) + " GROUP BY 1, 2",
		"SELECT a.key, a.value, COUNT(*) FROM outcome_surveys x JOIN jsonb_each_text(x.answers) a ON true JOIN sites s ON s.id = x.site_id JOIN organizations o ON o.id = s.org_id" +
			" WHERE " + strings.ReplaceAll(where, "$model", "x.model") + " GROUP BY 1, 2",
		"SELECT x.site_id, COUNT(*) FROM outcome_participants x JOIN sites s ON s.id = x.site_id JOIN organizations o ON o.id = s.org_id WHERE " + strings.ReplaceAll(where, "$model", "x.model") + " GROUP BY 1",
		"SELECT x.site_id, SUM(CASE WHEN x.timepoint = 'eligibility' THEN 1 ELSE 0 END), SUM(CASE WHEN x.timepoint = 'closing' THEN 1 ELSE 0 END) FROM pom_interviews x" + join +
			" WHERE " + strings.ReplaceAll(where, "$model", model) + " GROUP BY 1",
		"SELECT x.site_id, COUNT(*), SUM(x.before_count), SUM(x.during_count), SUM(x.months_enrolled) FROM outcome_hospitalizations x" + join +
			" WHERE " + strings.ReplaceAll(where, "$model", model) + " GROUP BY 1",
		"SELECT x.site_id, COUNT(DISTINCT x.participant_key), COUNT(*), SUM(x.meetings_held), SUM(x.meetings_attended), SUM(x.journals_due), SUM(x.journals_completed) FROM outcome_participation x" + join +
			" WHERE " + strings.ReplaceAll(where, "$model", model) + " GROUP BY 1",
	}
	for _, q := range qs {
		rows, err := conn.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		for rows.Next() {
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// serverTime asks the hub for a report and returns the time the server
// says it spent (Server-Timing) and the report's participant count.
func serverTime(b *testing.B, url, token string) (time.Duration, float64) {
	b.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %d %s", url, resp.StatusCode, body)
	}
	var ms float64
	if _, err := fmt.Sscanf(resp.Header.Get("Server-Timing"), "report;dur=%f", &ms); err != nil {
		b.Fatalf("Server-Timing %q", resp.Header.Get("Server-Timing"))
	}
	var rep struct {
		Participants struct {
			Value *float64 `json:"value"`
		} `json:"participants"`
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		b.Fatal(err)
	}
	n := -1.0
	if rep.Participants.Value != nil {
		n = *rep.Participants.Value
	}
	return time.Duration(ms * float64(time.Millisecond)), n
}

// BenchmarkOutcomesNational builds the national data set on PostgreSQL
// (2,000 sites, 150,000 participants with three POM interviews each, a
// survey each, twelve months of participation, hospitalizations and
// cohort months) and times, through the real hub over HTTP, the national
// report and a filtered one (one state, one model) as the server reports
// its time, next to a naive GROUP BY over the projected records in the
// same run. Then it stores new records and measures how soon the report
// shows them (the projector refreshes the rollups of the sites touched).
func BenchmarkOutcomesNational(b *testing.B) {
	hubBin, _ := build(b)
	ctx := context.Background()
	scale := nationalScale(b)
	for i := 0; i < b.N; i++ {
		dsn := dbtest.PostgresDSN(b)
		h := &cluster.Hub{Bin: hubBin, DataDir: b.TempDir(), DB: dsn}
		if _, err := h.CLI(ctx, "", "org", "list"); err != nil { // migrates
			b.Fatal(err)
		}
		start := time.Now()
		counts := loadNational(b, dsn, scale)
		loaded := time.Since(start)
		start = time.Now()
		if _, err := h.CLI(ctx, "", "rollups", "rebuild"); err != nil {
			b.Fatal(err)
		}
		rolled := time.Since(start)
		if _, err := h.CLI(ctx, "pw-for-the-bench-1234\n", "user", "add", "--email", "analyst@example.org", "--name", "Bench Analyst", "--role", "analyst", "--password-stdin"); err != nil {
			b.Fatal(err)
		}
		if err := h.Start(ctx); err != nil {
			b.Fatal(err)
		}
		hubPeak := watchPeakRSS(h.Proc)
		token := login(b, h.URL(), "analyst@example.org", "pw-for-the-bench-1234")
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		var state string
		if err := conn.QueryRow(ctx, "SELECT o.state FROM sites s JOIN organizations o ON o.id = s.org_id GROUP BY o.state ORDER BY COUNT(*) DESC, o.state LIMIT 1").Scan(&state); err != nil {
			b.Fatal(err)
		}
		cases := []struct {
			name, query, where string
			args               []any
		}{
			{"national", "", "1 = 1", nil},
			{"state " + state + ", Peer Partners", "state=" + state + "&model=peer_partners", "o.state = $1 AND $model = $2", []any{state, contract.ModelPeerPartners}},
		}
		const runs = 15
		fmt.Fprintf(os.Stderr, "\noutcomes report, national data set on PostgreSQL (scale %.2f): %d sites, %d participants, %d interviews (%d answers), %d surveys, %d participant-months, %d records\n"+
			"  set-up: COPY %s, rollups rebuilt in %s\n",
			scale, counts["sites"], counts["outcome_participants"], counts["pom_interviews"], counts["answers"], counts["outcome_surveys"], counts["outcome_participation"], counts["records"],
			loaded.Round(time.Second), rolled.Round(time.Millisecond))
		var participants float64
		for ci, c := range cases {
			var srv, naive []time.Duration
			for r := 0; r < runs; r++ {
				d, n := serverTime(b, h.URL()+"/api/v1/outcomes/report?"+c.query, token)
				srv = append(srv, d)
				if ci == 0 {
					participants = n
				}
			}
			for r := 0; r < 5; r++ {
				t0 := time.Now()
				if err := naiveReport(ctx, conn, c.where, c.args...); err != nil {
					b.Fatal(err)
				}
				naive = append(naive, time.Since(t0))
			}
			ms, nm := median(srv[1:]), median(naive)
			ratio := float64(nm) / float64(ms)
			b.ReportMetric(float64(ms.Microseconds())/1000, "ms-"+strings.Fields(c.name)[0])
			b.ReportMetric(ratio, "naive/report-"+strings.Fields(c.name)[0])
			fmt.Fprintf(os.Stderr, "  %-28s report %8.1f ms median server time (of %d; the first, waiting for the publication of this data, %.1f ms)   naive GROUP BY %9.1f ms (median of 5)   %6.0fx faster (target: at most 50 ms, at least 20x)\n",
				c.name, float64(ms.Microseconds())/1000, runs-1, float64(srv[0].Microseconds())/1000, float64(nm.Microseconds())/1000, ratio)
		}
		if want := float64(counts["outcome_participants"]); participants != want {
			b.Fatalf("the national report counts %v participants, the data set %v", participants, want)
		}
		// Freshness: new participant records for one site, stored but not
		// projected, as ingest leaves them; the serving hub's projector
		// folds them in and the national report shows them.
		var site string
		if err := conn.QueryRow(ctx, "SELECT id FROM sites ORDER BY name LIMIT 1").Scan(&site); err != nil {
			b.Fatal(err)
		}
		const fresh = 500
		rows := make([][]any, fresh)
		for k := range rows {
			p := contract.Participant{Key: uuid.NewString(), EnrollmentYear: 2026, AgeBand: "35-44", Model: contract.ModelPeerPartners}
			data, _ := json.Marshal(p)
			rows[k] = []any{deident.NewRecordID(time.Now()), site, contract.TypeParticipant, int64(1), contract.HashRecord(contract.TypeParticipant, false, data), false, string(data)}
		}
		t0 := time.Now()
		storeAsIngest(b, conn, rows)
		if err := cluster.WaitFor(ctx, 2*time.Minute, "the new participants in the national report", func() error {
			if _, n := serverTime(b, h.URL()+"/api/v1/outcomes/report", token); n != participants+fresh {
				return fmt.Errorf("%v participants", n)
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		lag := time.Since(t0)
		after, _ := serverTime(b, h.URL()+"/api/v1/outcomes/report", token)
		fmt.Fprintf(os.Stderr, "  freshness: %d new records shown by the national report %.1f s after they were stored (the projector wakes every 5 s); the report then took %.1f ms\n",
			fresh, lag.Seconds(), float64(after.Microseconds())/1000)
		conn.Close(ctx)
		_ = h.Stop()
		peak := <-hubPeak
		b.ReportMetric(float64(peak)/1024, "hub-peakRSS-MB")
		fmt.Fprintf(os.Stderr, "  hub peak resident memory: %.0f MB (the publication of every report, built twice here)\n", float64(peak)/1024)
	}
}

func login(b *testing.B, base, email, password string) string {
	b.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(string(body)))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Token == "" {
		b.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	return out.Token
}
