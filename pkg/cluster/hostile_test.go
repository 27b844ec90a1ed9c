package cluster_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/itsmylife/iml/pkg/cluster"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/deident"
)

// hostileCase is one entry of the corpus in testdata/hostile: a request an
// attacker (or a careless client) sends, and the answer it must get.
// Strings may hold {{key}} (a fresh UUID), {{id}} (a fresh record id),
// {{site}} (the site's id), {{huge}} (a body past every bound),
// {{long}} (a 100,000-character string), {{deep}} (arrays nested 200 deep)
// and {{stale_token}} (an enrollment token of a site revoked and reinstated
// since it was issued). Anything identifying a case plants
// holds the word CANARY, which must never be stored or logged.
type hostileCase struct {
	Name  string `json:"name"`
	Class string `json:"class"`
	// Target is "hub" (the default) or "agent".
	Target string `json:"target"`
	// Auth is "site" (the default for pushes), "staff" (a hub admin),
	// "director" (an agent's Program Director), "revoked" (the credential
	// of a site revoked since it enrolled), "bogus" or "none".
	Auth    string            `json:"auth"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	// Records make a push: each gets a fresh id, version 1 and the hash
	// of its data unless the case says otherwise, so that the only fault
	// is the one under test.
	Records []struct {
		Type    string `json:"type"`
		ID      string `json:"id"`
		Version *int64 `json:"version"`
		Hash    string `json:"hash"`
		Data    string `json:"data"`
	} `json:"records"`
	Gzip *bool `json:"gzip"`
	// ContentType is the body's type (application/json unless it says).
	ContentType string `json:"content_type"`
	// Parallel sends the request that many times at once.
	Parallel   int             `json:"parallel"`
	WantStatus json.RawMessage `json:"want_status"`
	WantFates  []string        `json:"want_fates"`
	// WantSome is a status at least one of the parallel requests gets.
	WantSome int `json:"want_some"`
	// WantAbsent must not appear in the answer's body.
	WantAbsent string `json:"want_absent"`
}

func (hc hostileCase) statuses(t *testing.T) []int {
	var one int
	if json.Unmarshal(hc.WantStatus, &one) == nil {
		return []int{one}
	}
	var many []int
	if err := json.Unmarshal(hc.WantStatus, &many); err != nil || len(many) == 0 {
		t.Fatalf("%s: want_status must be a status or a list of them", hc.Name)
	}
	return many
}

func loadCorpus(t *testing.T, file string) []hostileCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "hostile", file))
	if err != nil {
		t.Fatal(err)
	}
	var cases []hostileCase
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cases); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return cases
}

// TestHostileCorpus replays the kept corpus of hostile requests against a
// real hub (on each database) and a real agent: every answer is the one
// the corpus expects, never a 5xx, and afterwards no table of either
// database and no log line holds anything the requests planted.
func TestHostileCorpus(t *testing.T) {
	push, requests := loadCorpus(t, "push.json"), loadCorpus(t, "requests.json")
	if len(push)+len(requests) < 60 {
		t.Fatalf("the corpus holds %d cases", len(push)+len(requests))
	}
	// The sign-in rate limits are raised so that the lock-out bursts
	// reach the lock-out (the limits have their own tests); the survey's
	// stays as shipped, and its case meets it.
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) { replayCorpus(t, db, push, requests) })
	}
}

func replayCorpus(t *testing.T, db string, push, requests []hostileCase) {
	dsn := ""
	if db == "postgres" {
		dsn = dbtest.PostgresDSN(t)
	}
	h := &cluster.Hub{Bin: hubBin, DataDir: t.TempDir(), DB: dsn, Env: []string{"IML_HUB_SIGNIN_PER_MINUTE=100000"}}
	ctx := context.Background()
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Stop() })
	a := enrolledAgent(t, h, h.URL(), "Hostile Site")
	a.Env = append(a.Env, "IML_AGENT_SIGNIN_PER_MINUTE=100000")
	if _, err := h.CLI(ctx, "an admin password\n", "user", "add", "--email", "admin@example.org", "--name", "Ada", "--role", "admin", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	staff, err := cluster.Login(ctx, h.URL(), "admin@example.org", "an admin password")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop() })
	director := directorToken(t, a)
	// Accounts whose lock-out the corpus tries to get around.
	if _, err := h.CLI(ctx, "a victim password\n", "user", "add", "--email", "victim@example.org", "--name", "Vic", "--role", "analyst", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CLI(ctx, "a victim password\n", "user", "add", "--email", "victim@example.org", "--name", "Vic", "--role", "coach", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	// A token issued before its site was revoked and reinstated.
	stale, err := h.AddSite(ctx, "Org of Stale Site", "peer_run", "VA", "Stale Site")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"site", "revoke", "--site", "Stale Site", "--reason", "corpus"}, {"site", "reinstate", "--site", "Stale Site"}} {
		if out, err := h.CLI(ctx, "", args...); err != nil {
			t.Fatalf("%v: %s %v", args, out, err)
		}
	}
	// A credential of a site revoked after it enrolled.
	tok, err := h.AddSite(ctx, "Org of Revoked Site", "peer_run", "VA", "Revoked Site")
	if err != nil {
		t.Fatal(err)
	}
	var enrolled contract.EnrollResponse
	req, _ := http.NewRequest(http.MethodPost, h.URL()+contract.PathEnroll, strings.NewReader(`{"token":"`+tok+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(contract.HeaderProtocol, contract.ProtocolVersion)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&enrolled)
	resp.Body.Close()
	if err != nil || enrolled.Credential == "" {
		t.Fatalf("enrolling the site to revoke: %v", err)
	}
	if out, err := h.CLI(ctx, "", "site", "revoke", "--site", "Revoked Site", "--reason", "corpus"); err != nil {
		t.Fatalf("revoke: %s %v", out, err)
	}
	adb := openDB(t, filepath.Join(a.DataDir, "agent.db"))
	var site, cred string
	if err := adb.Raw("SELECT value FROM agent_meta WHERE key = 'site_id'").Scan(&site).Error; err != nil {
		t.Fatal(err)
	}
	if err := adb.Raw("SELECT value FROM agent_meta WHERE key = 'credential'").Scan(&cred).Error; err != nil || cred == "" {
		t.Fatalf("agent credential: %v", err)
	}
	r := replayer{t: t, hub: h.URL(), agent: a.URL(), site: site, staleToken: stale,
		tokens: map[string]string{"site": cred, "staff": staff, "director": director, "bogus": "bogus-" + uuid.NewString(), "revoked": enrolled.Credential}}
	for _, hc := range push {
		if hc.Method == "" {
			hc.Method, hc.Path = http.MethodPost, contract.PathPush
		}
		if hc.Auth == "" {
			hc.Auth = "site"
		}
		r.run(hc)
	}
	for _, hc := range requests {
		r.run(hc)
	}
	t.Logf("%d hostile requests answered as the corpus expects", r.sent.Load())

	// Nothing planted is stored or logged, by either program.
	for name, db := range map[string]*gorm.DB{"hub": openDB(t, hubDSN(h)), "agent": adb} {
		if where := findInTables(t, db, "canary"); where != "" {
			t.Errorf("the %s's database holds a planted value: %s", name, where)
		}
	}
	for name, log := range map[string]string{"hub": h.Proc.Log(), "agent": a.Proc.Log()} {
		low := strings.ToLower(log)
		for _, bad := range []string{"canary", "panic", `"status":5`} {
			if i := strings.Index(low, bad); i >= 0 {
				t.Errorf("the %s's log holds %q: %s", name, bad, log[max(0, i-200):min(len(log), i+200)])
			}
		}
	}
}

type replayer struct {
	t                  *testing.T
	hub, agent, site   string
	staleToken         string
	tokens             map[string]string
	seq                atomic.Int64
	sent               atomic.Int64
	huge, long         string
	hugeOnce, longOnce sync.Once
}

// expand fills a case's placeholders.
func (r *replayer) expand(s string) string {
	if strings.Contains(s, "{{huge}}") {
		r.hugeOnce.Do(func() {
			r.huge = `{"site_id":"` + r.site + `","records":[],"pad":"` + strings.Repeat("x", contract.MaxBatchBytes+1) + `"}`
		})
		s = strings.ReplaceAll(s, "{{huge}}", r.huge)
	}
	if strings.Contains(s, "{{long}}") {
		r.longOnce.Do(func() { r.long = strings.Repeat("p", 100_000) })
		s = strings.ReplaceAll(s, "{{long}}", r.long)
	}
	s = strings.ReplaceAll(s, "{{deep}}", strings.Repeat("[", 200)+strings.Repeat("]", 200))
	for strings.Contains(s, "{{key}}") {
		s = strings.Replace(s, "{{key}}", uuid.NewString(), 1)
	}
	for strings.Contains(s, "{{id}}") {
		s = strings.Replace(s, "{{id}}", deident.NewRecordID(time.Now()), 1)
	}
	s = strings.ReplaceAll(s, "{{stale_token}}", r.staleToken)
	return strings.ReplaceAll(s, "{{site}}", r.site)
}

// body builds a case's body: its records as a push, or its raw body.
func (r *replayer) body(hc hostileCase) string {
	if len(hc.Records) == 0 {
		return r.expand(hc.Body)
	}
	recs := make([]string, len(hc.Records))
	ids := map[string]string{}
	for i, rec := range hc.Records {
		data := r.expand(rec.Data)
		id := rec.ID
		switch {
		case id == "":
			id = deident.NewRecordID(time.Now())
		case !contract.ValidID(id):
			if ids[id] == "" {
				ids[id] = deident.NewRecordID(time.Now())
			}
			id = ids[id]
		}
		version := int64(1)
		if rec.Version != nil {
			version = *rec.Version
		}
		hash := rec.Hash
		if hash == "" {
			hash = contract.HashRecord(rec.Type, false, []byte(data))
		}
		recs[i] = fmt.Sprintf(`{"id":%q,"type":%q,"version":%d,"hash":%q,"data":%s}`, id, rec.Type, version, hash, data)
	}
	return `{"site_id":"` + r.site + `","records":[` + strings.Join(recs, ",") + `]}`
}

func (r *replayer) run(hc hostileCase) {
	t := r.t
	base := r.hub
	if hc.Target == "agent" {
		base = r.agent
	}
	n := max(1, hc.Parallel)
	want := hc.statuses(t)
	var some atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, answer := r.send(base, hc)
			r.sent.Add(1)
			if status == hc.WantSome {
				some.Store(true)
			}
			if hc.WantAbsent != "" && strings.Contains(answer, hc.WantAbsent) {
				t.Errorf("%s (%s): the answer holds %q", hc.Name, hc.Class, hc.WantAbsent)
			}
			if status >= 500 {
				t.Errorf("%s (%s): %d %s", hc.Name, hc.Class, status, answer)
				return
			}
			ok := false
			for _, w := range want {
				ok = ok || status == w
			}
			if !ok {
				t.Errorf("%s (%s): status %d, want %v: %s", hc.Name, hc.Class, status, want, answer)
				return
			}
			if len(hc.WantFates) > 0 {
				var pr contract.PushResponse
				if err := json.Unmarshal([]byte(answer), &pr); err != nil || len(pr.Results) != len(hc.WantFates) {
					t.Errorf("%s: answer %s: %v", hc.Name, answer, err)
					return
				}
				for j, f := range hc.WantFates {
					if string(pr.Results[j].Fate) != f {
						t.Errorf("%s: record %d's fate is %s (%s), want %s", hc.Name, j, pr.Results[j].Fate, pr.Results[j].Detail, f)
					}
				}
			}
		}()
	}
	wg.Wait()
	if hc.WantSome != 0 && !some.Load() {
		t.Errorf("%s (%s): none of %d requests got %d", hc.Name, hc.Class, n, hc.WantSome)
	}
}

// send does one request of a case and returns the status and the body.
func (r *replayer) send(base string, hc hostileCase) (int, string) {
	t := r.t
	body := r.body(hc)
	zip := hc.Gzip == nil || *hc.Gzip
	var rd io.Reader
	if hc.Method != http.MethodGet && hc.Method != "" {
		if hc.Path == contract.PathPush && zip {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write([]byte(body))
			_ = zw.Close()
			rd = &buf
		} else {
			rd = strings.NewReader(body)
		}
	}
	req, err := http.NewRequest(hc.Method, base+r.expand(hc.Path), rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		ct := hc.ContentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if hc.Path == contract.PathPush {
		req.Header.Set(contract.HeaderProtocol, contract.ProtocolVersion)
		req.Header.Set(contract.HeaderBatchSeq, fmt.Sprint(r.seq.Add(1)))
		req.Header.Set(contract.HeaderIdempotency, uuid.NewString())
		if zip {
			req.Header.Set("Content-Encoding", "gzip")
		}
	}
	for k, v := range hc.Headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	if tok := r.tokens[hc.Auth]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		// A server may close a connection it refuses to read on.
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

// noRedirects answers a redirect as it is, for the corpus to check it.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// findInTables looks for a string (in any case) in every row of every
// table and says where it found it.
func findInTables(t *testing.T, db *gorm.DB, needle string) string {
	t.Helper()
	tables, err := db.Migrator().GetTables()
	if err != nil {
		t.Fatal(err)
	}
	needle = strings.ToLower(needle)
	for _, table := range tables {
		rows, err := db.Raw(`SELECT * FROM "` + table + `"`).Rows()
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				t.Fatal(err)
			}
			for i, v := range vals {
				var s string
				if b, ok := v.([]byte); ok {
					s = string(b)
				} else {
					s = fmt.Sprint(v)
				}
				if strings.Contains(strings.ToLower(s), needle) {
					rows.Close()
					return table + "." + cols[i] + ": " + s
				}
			}
		}
		rows.Close()
	}
	return ""
}
