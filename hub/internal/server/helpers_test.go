package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/klauspost/compress/zstd"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/problem"
)

// hub is a hub server over a real store, reached through a real HTTP client.
type hub struct {
	t      *testing.T
	st     *store.Store
	srv    *httptest.Server
	client *http.Client
	server *server.Server
}

func newHub(t *testing.T, dsn string) *hub {
	t.Helper()
	return newHubWith(t, dsn, func(string) server.Config { return server.Config{} })
}

// eachHub runs test once on each database dbtest.Each gives, with a hub
// started on it (newHub).
func eachHub(t *testing.T, test func(t *testing.T, h *hub)) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, dsn string) { test(t, newHub(t, dsn)) })
}

// newHubWith starts a hub whose configuration may name its own URL (an
// OIDC redirect URL).
func newHubWith(t *testing.T, dsn string, cfg func(base string) server.Config) *hub {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	st, err := store.Open(context.Background(), dsn, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	hs := server.New(cfg(srv.URL), st, log)
	srv.Config.Handler = hs.Handler()
	// The transport neither asks for nor undoes gzip on its own: each test
	// says what it accepts and sees the answer as sent.
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Close()
		st.Close()
	})
	return &hub{t: t, st: st, srv: srv, server: hs, client: &http.Client{
		Transport: tr,
		// Redirects are part of what is tested.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// site creates an organization (unless org is given) and a site, and
// enrolls the site through the store, returning its credential.
func (h *hub) site(name string, org *store.Organization) (store.Site, string) {
	h.t.Helper()
	ctx := context.Background()
	if org == nil {
		o, err := affiliates.New(h.st).AddOrganization(ctx, name+" org", "peer_run", "VA")
		if err != nil {
			h.t.Fatal(err)
		}
		org = &o
	}
	s, err := intake.New(h.st).AddSite(ctx, org.ID, name)
	if err != nil {
		h.t.Fatal(err)
	}
	tok, err := intake.New(h.st).IssueEnrollmentToken(ctx, s.ID, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	s, _, cred, err := intake.New(h.st).Enroll(ctx, tok, "")
	if err != nil {
		h.t.Fatal(err)
	}
	return s, cred
}

// request is one HTTP request to the hub. Header values "" delete a header
// the helper would otherwise set.
type request struct {
	method, path string
	header       map[string]string
	body         []byte
}

// answer is what the hub sent back, its body already read (and closed) by the
// helper that sent the request.
type answer struct {
	StatusCode int
	Header     http.Header
	// Body is the answer's body where a helper keeps it (signInForm).
	Body []byte
}

func answerOf(resp *http.Response) *answer {
	return &answer{StatusCode: resp.StatusCode, Header: resp.Header}
}

// do sends a request and reads the whole answer. Whatever the request, the
// hub must never answer 500.
func (h *hub) do(t *testing.T, r request) (*answer, []byte) {
	t.Helper()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, h.srv.URL+r.path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.header {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", r.method, r.path, err)
	}
	if resp.StatusCode >= 500 {
		t.Fatalf("%s %s answered %d: %s", r.method, r.path, resp.StatusCode, b)
	}
	return answerOf(resp), b
}

// syncHeaders are the headers an agent sends on every request.
func syncHeaders(cred string) map[string]string {
	h := map[string]string{contract.HeaderProtocol: contract.ProtocolVersion}
	if cred != "" {
		h["Authorization"] = "Bearer " + cred
	}
	return h
}

// pushHeaders are the headers of a gzipped push.
func pushHeaders(cred string, seq int64) map[string]string {
	h := syncHeaders(cred)
	h["Content-Type"] = "application/json"
	h["Content-Encoding"] = "gzip"
	h[contract.HeaderBatchSeq] = strconv.FormatInt(seq, 10)
	h[contract.HeaderIdempotency] = deident.NewRecordID(time.Now())
	return h
}

// with returns a copy of headers with changes applied ("" deletes).
func with(h map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(h)+len(kv)/2)
	for k, v := range h {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// wantProblem checks that an answer is a problem of the given status and
// type and returns it.
func wantProblem(t *testing.T, resp *answer, body []byte, status int, typ string) problem.Problem {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != problem.ContentType {
		t.Fatalf("Content-Type %q, want %s", resp.Header.Get("Content-Type"), problem.ContentType)
	}
	var p problem.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem does not decode: %v: %s", err, body)
	}
	if p.Type != typ {
		t.Fatalf("problem type %q, want %q: %s", p.Type, typ, body)
	}
	if p.Status != status {
		t.Fatalf("problem status %d, want %d", p.Status, status)
	}
	if p.Title == "" || p.Detail == "" {
		t.Fatalf("problem without title or detail: %s", body)
	}
	return p
}

// wantJSON checks a 200 JSON answer and decodes it.
func wantJSON(t *testing.T, resp *answer, body []byte, v any) {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", resp.StatusCode, body)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", resp.Header.Get("Content-Type"))
	}
	if resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("answer is %s-encoded though the client did not ask for it", resp.Header.Get("Content-Encoding"))
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("answer does not decode: %v: %s", err, body)
	}
}

// zst compresses b with zstd, as agents do for a hub that takes it.
func zst(t *testing.T, b []byte) []byte {
	t.Helper()
	e, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	return e.EncodeAll(b, nil)
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("answer is not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("answer does not gunzip: %v", err)
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newID() string { return deident.NewRecordID(time.Now()) }

// interview is a valid POM interview record.
func interview(t *testing.T, id string, version int64, present bool) contract.Record {
	t.Helper()
	r, err := contract.NewRecord(id, contract.TypePOMInterview, version, contract.POMInterview{
		ParticipantKey: uuid.NewString(), EnrollmentYear: 2026, AgeBand: "25-34", Timepoint: contract.TimepointEligibility,
		ProgramMonth: 1, Release: "2026.1", Answers: map[string]bool{"pom20_have_friends": present, "pom21_respected": true}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// participant is a valid participant record.
func participant(t *testing.T, id string, version int64) contract.Record {
	t.Helper()
	r, err := contract.NewRecord(id, contract.TypeParticipant, version, contract.Participant{
		Key: uuid.NewString(), EnrollmentYear: 2026, AgeBand: "45-54"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rawRecord builds a record from payload bytes as given, with a correct hash.
func rawRecord(id, typ string, data string) contract.Record {
	return contract.Record{ID: id, Type: typ, Version: 1, Data: contract.RawJSON(data), Hash: contract.HashRecord(typ, false, []byte(data))}
}

func batch(t *testing.T, siteID string, recs ...contract.Record) []byte {
	t.Helper()
	return mustJSON(t, contract.PushRequest{SiteID: siteID, Records: recs})
}

// records counts the rows of the records table.
func (h *hub) records(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := h.st.DB.Table("records").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// batchSeqs returns sites.batch_seq of every site, by id.
func (h *hub) batchSeqs(t *testing.T) map[string]int64 {
	t.Helper()
	var rows []struct {
		ID       string
		BatchSeq int64
	}
	if err := h.st.DB.Raw("SELECT id, batch_seq FROM sites").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.ID] = r.BatchSeq
	}
	return out
}

// unchanged is a snapshot of what a refused request must not change.
type unchanged struct {
	records int64
	seqs    map[string]int64
}

func (h *hub) snapshot(t *testing.T) unchanged { return unchanged{h.records(t), h.batchSeqs(t)} }

func (h *hub) wantUnchanged(t *testing.T, before unchanged) {
	t.Helper()
	if n := h.records(t); n != before.records {
		t.Errorf("records table holds %d rows, had %d: a refused request stored something", n, before.records)
	}
	after := h.batchSeqs(t)
	for id, seq := range before.seqs {
		if after[id] != seq {
			t.Errorf("site %s batch_seq is %d, was %d: a refused request moved it", id, after[id], seq)
		}
	}
}

// hasRecord reports whether the hub holds a record id.
func (h *hub) hasRecord(t *testing.T, id string) bool {
	t.Helper()
	var n int64
	if err := h.st.DB.Table("records").Where("id = ?", id).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// count reads a report count; -1 when suppressed.
func count(n *int) int {
	if n == nil {
		return -1
	}
	return *n
}

func fieldNames(p problem.Problem) string {
	var s []string
	for _, e := range p.Errors {
		s = append(s, e.Field)
	}
	return strings.Join(s, ",")
}
