package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/program"
	"github.com/itsmylife/iml/pkg/secret"
)

func TestEnroll(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		ctx := context.Background()
		org, err := affiliates.New(h.st).AddOrganization(ctx, "Riverside Peer Center", "peer_run", "VA")
		if err != nil {
			t.Fatal(err)
		}
		site, err := intake.New(h.st).AddSite(ctx, org.ID, "Main Street")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := intake.New(h.st).IssueEnrollmentToken(ctx, site.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		body := mustJSON(t, contract.EnrollRequest{Token: tok})
		hdr := with(syncHeaders(""), "Content-Type", "application/json")
		enroll := func(t *testing.T, header map[string]string, body []byte) (*answer, []byte) {
			return h.do(t, request{method: http.MethodPost, path: contract.PathEnroll, header: header, body: body})
		}

		// Every refusal carries the valid token: none may spend it or enroll the site.
		refusals := []struct {
			name   string
			header map[string]string
			body   []byte
			status int
			typ    string
		}{
			{"no protocol header", with(hdr, contract.HeaderProtocol, ""), body, http.StatusBadRequest, problem.TypeProtocol},
			{"other protocol version", with(hdr, contract.HeaderProtocol, "2"), body, http.StatusBadRequest, problem.TypeProtocol},
			// The protocol is checked first: a body that fails every other check
			// still gets the protocol answer.
			{"other protocol, bad body", with(hdr, contract.HeaderProtocol, "0", "Content-Type", "text/plain"), []byte("\x00garbage"), http.StatusBadRequest, problem.TypeProtocol},
			{"text/plain", with(hdr, "Content-Type", "text/plain"), body, http.StatusUnsupportedMediaType, problem.TypeUnsupportedMedia},
			{"form", with(hdr, "Content-Type", "application/x-www-form-urlencoded"), body, http.StatusUnsupportedMediaType, problem.TypeUnsupportedMedia},
			{"no content type", with(hdr, "Content-Type", ""), body, http.StatusUnsupportedMediaType, problem.TypeUnsupportedMedia},
			{"malformed JSON", hdr, []byte(`{"token": "` + tok), http.StatusBadRequest, problem.TypeBadRequest},
			{"unknown field", hdr, []byte(`{"token":"` + tok + `","agent":"x"}`), http.StatusBadRequest, problem.TypeBadRequest},
			{"malformed site id", hdr, []byte(`{"token":"` + tok + `","site_id":"x"}`), http.StatusUnprocessableEntity, problem.TypeValidation},
			{"token of another site", hdr, []byte(`{"token":"` + tok + `","site_id":"` + uuid.NewString() + `"}`), http.StatusConflict, problem.TypeConflict},
			{"two JSON values", hdr, append(append([]byte{}, body...), body...), http.StatusBadRequest, problem.TypeBadRequest},
			{"truncated gzip", with(hdr, "Content-Encoding", "gzip"), gz(t, body)[:12], http.StatusBadRequest, problem.TypeBadRequest},
			{"too large", hdr, []byte(`{"token":"` + tok + `","agent_name":"` + strings.Repeat("x", 70<<10) + `"}`), http.StatusRequestEntityTooLarge, problem.TypeTooLarge},
			{"blank token", hdr, []byte(`{"token":"   "}`), http.StatusUnprocessableEntity, problem.TypeValidation},
			{"unknown token", hdr, []byte(`{"token":"imlenr_unknown"}`), http.StatusUnauthorized, problem.TypeTokenInvalid},
		}
		for _, tc := range refusals {
			t.Run(tc.name, func(t *testing.T) {
				resp, b := enroll(t, tc.header, tc.body)
				wantProblem(t, resp, b, tc.status, tc.typ)
				got, err := h.st.FindSite(ctx, site.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.CredentialHash != "" || got.EnrolledAt != nil {
					t.Fatal("a refused enrollment enrolled the site")
				}
			})
		}

		resp, b := enroll(t, hdr, body)
		var er contract.EnrollResponse
		wantJSON(t, resp, b, &er)
		gen, _ := h.st.Generation(ctx)
		if er.SiteID != site.ID || er.SiteName != "Main Street" || er.OrgName != org.Name || er.Generation != gen {
			t.Fatalf("enrollment answer %+v", er)
		}
		if !strings.HasPrefix(er.Credential, "imlsite_") {
			t.Fatalf("credential %q", er.Credential)
		}
		credentialWorks := func(t *testing.T, cred string) {
			t.Helper()
			resp, b := h.do(t, request{method: http.MethodGet, path: contract.PathStatus, header: syncHeaders(cred)})
			var st contract.StatusResponse
			wantJSON(t, resp, b, &st)
			if st.SiteID != site.ID {
				t.Fatalf("status answers for site %s, want %s", st.SiteID, site.ID)
			}
			// It names the encodings a push may use (RFC 7694).
			if got := resp.Header.Get("Accept-Encoding"); got != "zstd, gzip" {
				t.Fatalf("status Accept-Encoding %q, want zstd, gzip", got)
			}
		}
		credentialWorks(t, er.Credential)

		t.Run("same token again", func(t *testing.T) {
			resp, b := enroll(t, hdr, body)
			wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeTokenInvalid)
			credentialWorks(t, er.Credential)
		})

		t.Run("expired token", func(t *testing.T) {
			tok2, err := intake.New(h.st).IssueEnrollmentToken(ctx, site.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.st.DB.Model(&store.EnrollmentToken{}).Where("hash = ?", secret.Hash(tok2)).
				Update("expires_at", time.Now().UTC().Add(-time.Minute)).Error; err != nil {
				t.Fatal(err)
			}
			resp, b := enroll(t, hdr, mustJSON(t, contract.EnrollRequest{Token: tok2}))
			wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeTokenInvalid)
			// The site was not re-enrolled: its credential still works.
			credentialWorks(t, er.Credential)
		})

		t.Run("revoked site", func(t *testing.T) {
			other, err := intake.New(h.st).AddSite(ctx, org.ID, "Closed Site")
			if err != nil {
				t.Fatal(err)
			}
			tok3, err := intake.New(h.st).IssueEnrollmentToken(ctx, other.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := intake.New(h.st).RevokeSite(ctx, other.ID, "closed"); err != nil {
				t.Fatal(err)
			}
			resp, b := enroll(t, hdr, mustJSON(t, contract.EnrollRequest{Token: tok3}))
			wantProblem(t, resp, b, http.StatusForbidden, problem.TypeSiteRevoked)
			got, _ := h.st.FindSite(ctx, other.ID)
			if got.CredentialHash != "" {
				t.Fatal("a revoked site received a credential")
			}
		})

		if n := h.records(t); n != 0 {
			t.Fatalf("enrollment stored %d records", n)
		}
	})
}

// readTracker is a request body that records whether it was read.
type readTracker struct {
	r    io.Reader
	read atomic.Bool
}

func (b *readTracker) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.r.Read(p)
}

// TestProtocolCheckedBeforeBody sends requests with "Expect: 100-continue":
// the client sends the body only once the server starts reading it, so a
// body that stays unsent shows the server answered without reading it.
func TestProtocolCheckedBeforeBody(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		site, cred := h.site("Main Street", nil)
		tr := &http.Transport{DisableCompression: true, ExpectContinueTimeout: time.Minute}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		send := func(t *testing.T, path, protocol string, hdr map[string]string, body []byte) (*answer, []byte, bool) {
			t.Helper()
			tb := &readTracker{r: bytes.NewReader(body)}
			req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, tb)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = int64(len(body))
			req.Header.Set("Expect", "100-continue")
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			req.Header.Del(contract.HeaderProtocol)
			if protocol != "" {
				req.Header.Set(contract.HeaderProtocol, protocol)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return answerOf(resp), b, tb.read.Load()
		}
		pushHdr := with(pushHeaders(cred, 1), "Content-Encoding", "")
		pushBody := batch(t, site.ID, interview(t, newID(), 1, true))
		enrollHdr := map[string]string{"Content-Type": "application/json"}
		enrollBody := []byte(`{"token":"imlenr_unknown"}`)

		for _, tc := range []struct {
			name, path string
			hdr        map[string]string
			body       []byte
		}{
			{"enroll", contract.PathEnroll, enrollHdr, enrollBody},
			{"push", contract.PathPush, pushHdr, pushBody},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, v := range []string{"", "2", "1.1"} {
					before := h.snapshot(t)
					resp, b, read := send(t, tc.path, v, tc.hdr, tc.body)
					wantProblem(t, resp, b, http.StatusBadRequest, problem.TypeProtocol)
					if read {
						t.Errorf("protocol %q: the body was read before the protocol was refused", v)
					}
					h.wantUnchanged(t, before)
				}
				// The control: with the right protocol the body is read.
				resp, _, read := send(t, tc.path, contract.ProtocolVersion, tc.hdr, tc.body)
				if !read {
					t.Fatalf("with protocol %s the body was not read (status %d)", contract.ProtocolVersion, resp.StatusCode)
				}
			})
		}
		if h.records(t) != 1 {
			t.Fatalf("the control push stored %d records, want 1", h.records(t))
		}
	})
}

func TestPushRefusals(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		ctx := context.Background()
		siteA, credA := h.site("Main Street", nil)
		siteB, credB := h.site("Hill Road", nil)
		siteC, credC := h.site("Closed Site", nil)

		// Each site already holds a record at batch 1.
		recA := interview(t, newID(), 1, true)
		recB := interview(t, newID(), 1, false)
		for _, p := range []struct {
			cred string
			site store.Site
			rec  contract.Record
		}{{credA, siteA, recA}, {credB, siteB, recB}, {credC, siteC, interview(t, newID(), 1, true)}} {
			resp, b := h.do(t, request{method: http.MethodPost, path: contract.PathPush, header: pushHeaders(p.cred, 1), body: gz(t, batch(t, p.site.ID, p.rec))})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("setup push: %d %s", resp.StatusCode, b)
			}
		}
		if _, err := intake.New(h.st).RevokeSite(ctx, siteC.ID, "machine stolen"); err != nil {
			t.Fatal(err)
		}

		// Every refused batch also holds a fresh valid record, so a refusal
		// that let the batch through would show in the records table.
		fresh := func() contract.Record { return interview(t, newID(), 1, true) }
		valid := func() []byte { return gz(t, batch(t, siteA.ID, fresh())) }
		hdr := func() map[string]string { return pushHeaders(credA, 7) }
		plain := func() map[string]string { return with(hdr(), "Content-Encoding", "") }

		validJSON := batch(t, siteA.ID, fresh())
		gzValid := gz(t, validJSON)
		zstdValid := zst(t, validJSON)

		// A body past MaxBatchBytes once decompressed that is otherwise a
		// valid batch: JSON allows the padding.
		padded := func() []byte {
			b := batch(t, siteA.ID, fresh())
			out := make([]byte, 0, contract.MaxBatchBytes+len(b)+8)
			out = append(out, b[:len(b)-1]...)
			out = append(out, bytes.Repeat([]byte(" "), contract.MaxBatchBytes)...)
			return append(out, '}')
		}
		bomb := gz(t, padded())
		if len(bomb) > contract.MaxBatchBytes/100 {
			t.Fatalf("gzip bomb is %d bytes compressed", len(bomb))
		}
		zstdBomb := zst(t, padded())
		if len(zstdBomb) > contract.MaxBatchBytes/100 {
			t.Fatalf("zstd bomb is %d bytes compressed", len(zstdBomb))
		}

		many := make([]contract.Record, contract.MaxBatchRecords+1)
		for i := range many {
			many[i] = participant(t, newID(), 1)
		}
		manyBody := gz(t, batch(t, siteA.ID, many...))

		key := uuid.NewString()
		nameField := rawRecord(newID(), contract.TypePOMInterview, `{"participant_key":"`+key+`","enrollment_year":2026,"age_band":"25-34",`+
			`"timepoint":"eligibility","program_month":1,"release":"2026.1","answers":{"pom20_have_friends":true},"name":"Jane Doe"}`)
		if contract.HashRecord(nameField.Type, false, nameField.Data) != nameField.Hash {
			t.Fatal("test record hash is wrong")
		}
		dobField := rawRecord(newID(), contract.TypeParticipant, `{"key":"`+key+`","enrollment_year":2026,"age_band":"25-34","date_of_birth":"1990-04-01"}`)
		badHash := fresh()
		badHash.Hash = contract.HashRecord(badHash.Type, false, []byte(`{}`))
		tamper := fresh()
		tamper.Data = contract.RawJSON(strings.Replace(string(tamper.Data), `"25-34"`, `"35-44"`, 1))
		dup := fresh()
		dup2 := interview(t, dup.ID, 2, false)
		tombWithData := contract.NewTombstone(newID(), contract.TypePOMInterview, 1)
		tombWithData.Data = fresh().Data
		badID := fresh()
		badID.ID = "42"
		v0 := interview(t, newID(), 0, true)
		// Text PostgreSQL cannot hold (SQLite would store it).
		withRelease := func(rel string) contract.Record {
			return rawRecord(newID(), contract.TypePOMInterview, `{"participant_key":"`+uuid.NewString()+`","enrollment_year":2026,"age_band":"25-34",`+
				`"timepoint":"eligibility","program_month":1,"release":"`+rel+`","answers":{"pom20_have_friends":true}}`)
		}

		cases := []struct {
			name   string
			header map[string]string
			body   []byte
			status int
			typ    string
			fields string // the field errors, for 422
			detail string // a word the first field error's detail holds
		}{
			// Body that is not a batch.
			{name: "malformed JSON", header: hdr(), body: gz(t, []byte(`{"site_id":"`+siteA.ID+`","records":[`)), status: 400, typ: problem.TypeBadRequest},
			{name: "malformed JSON, plain", header: plain(), body: validJSON[:len(validJSON)-3], status: 400, typ: problem.TypeBadRequest},
			{name: "not JSON", header: plain(), body: []byte("site_id=" + siteA.ID), status: 400, typ: problem.TypeBadRequest},
			{name: "wrong JSON types", header: plain(), body: []byte(`{"site_id":"` + siteA.ID + `","records":{"id":1}}`), status: 400, typ: problem.TypeBadRequest},
			{name: "unknown top-level field", header: plain(), body: []byte(`{"site_id":"` + siteA.ID + `","records":[],"participants":[]}`), status: 400, typ: problem.TypeBadRequest},
			{name: "two batches in one body", header: plain(), body: append(append([]byte{}, validJSON...), validJSON...), status: 400, typ: problem.TypeBadRequest},
			{name: "truncated gzip", header: hdr(), body: gzValid[:len(gzValid)/2], status: 400, typ: problem.TypeBadRequest},
			{name: "gzip without its trailer", header: hdr(), body: gzValid[:len(gzValid)-8], status: 400, typ: problem.TypeBadRequest},
			{name: "gzip header cut", header: hdr(), body: gzValid[:4], status: 400, typ: problem.TypeBadRequest},
			{name: "says gzip, is plain", header: hdr(), body: validJSON, status: 400, typ: problem.TypeBadRequest},
			{name: "empty body", header: plain(), body: []byte{}, status: 400, typ: problem.TypeBadRequest},
			{name: "truncated zstd", header: with(hdr(), "Content-Encoding", "zstd"), body: zstdValid[:len(zstdValid)/2], status: 400, typ: problem.TypeBadRequest},
			{name: "says zstd, is gzip", header: with(hdr(), "Content-Encoding", "zstd"), body: gzValid, status: 400, typ: problem.TypeBadRequest},
			{name: "says zstd, is plain", header: with(hdr(), "Content-Encoding", "zstd"), body: validJSON, status: 400, typ: problem.TypeBadRequest},
			{name: "unsupported encoding", header: with(hdr(), "Content-Encoding", "br"), body: valid(), status: 415, typ: problem.TypeUnsupportedMedia},
			{name: "text/plain", header: with(hdr(), "Content-Type", "text/plain"), body: valid(), status: 415, typ: problem.TypeUnsupportedMedia},
			{name: "no content type", header: with(hdr(), "Content-Type", ""), body: valid(), status: 415, typ: problem.TypeUnsupportedMedia},

			// Headers.
			{name: "no protocol header", header: with(hdr(), contract.HeaderProtocol, ""), body: valid(), status: 400, typ: problem.TypeProtocol},
			{name: "other protocol version", header: with(hdr(), contract.HeaderProtocol, "2"), body: valid(), status: 400, typ: problem.TypeProtocol},
			{name: "no batch seq", header: with(hdr(), contract.HeaderBatchSeq, ""), body: valid(), status: 400, typ: problem.TypeBatchSeq},
			{name: "batch seq not a number", header: with(hdr(), contract.HeaderBatchSeq, "seven"), body: valid(), status: 400, typ: problem.TypeBatchSeq},
			{name: "batch seq zero", header: with(hdr(), contract.HeaderBatchSeq, "0"), body: valid(), status: 400, typ: problem.TypeBatchSeq},
			{name: "batch seq negative", header: with(hdr(), contract.HeaderBatchSeq, "-3"), body: valid(), status: 400, typ: problem.TypeBatchSeq},
			{name: "batch seq fraction", header: with(hdr(), contract.HeaderBatchSeq, "1.5"), body: valid(), status: 400, typ: problem.TypeBatchSeq},
			{name: "batch seq overflows", header: with(hdr(), contract.HeaderBatchSeq, "99999999999999999999"), body: valid(), status: 400, typ: problem.TypeBatchSeq},
			{name: "no idempotency key", header: with(hdr(), contract.HeaderIdempotency, ""), body: valid(), status: 400, typ: problem.TypeBadRequest},
			{name: "idempotency key not a UUID", header: with(hdr(), contract.HeaderIdempotency, "batch-7"), body: valid(), status: 400, typ: problem.TypeBadRequest},

			// Size.
			{name: "too many records", header: hdr(), body: manyBody, status: 413, typ: problem.TypeTooLarge},
			{name: "body over the limit", header: plain(), body: padded(), status: 413, typ: problem.TypeTooLarge},
			{name: "gzip bomb", header: hdr(), body: bomb, status: 413, typ: problem.TypeTooLarge},
			{name: "zstd bomb", header: with(hdr(), "Content-Encoding", "zstd"), body: zstdBomb, status: 413, typ: problem.TypeTooLarge},

			// Records the contract refuses: the whole batch goes.
			{name: "unknown record type", header: hdr(), body: gz(t, batch(t, siteA.ID, fresh(), rawRecord(newID(), "diary_entry", `{"text":"a good day"}`))),
				status: 422, typ: problem.TypeValidation, fields: "records[1]", detail: "unknown record type"},
			{name: "hash of other content", header: hdr(), body: gz(t, batch(t, siteA.ID, badHash)), status: 422, typ: problem.TypeValidation, fields: "records[0]", detail: "hash"},
			{name: "content changed after hashing", header: hdr(), body: gz(t, batch(t, siteA.ID, fresh(), fresh(), tamper)), status: 422, typ: problem.TypeValidation, fields: "records[2]", detail: "hash"},
			{name: "name inside an interview", header: hdr(), body: gz(t, batch(t, siteA.ID, fresh(), nameField)), status: 422, typ: problem.TypeValidation, fields: "records[1]", detail: `"name"`},
			{name: "date of birth inside a participant", header: hdr(), body: gz(t, batch(t, siteA.ID, dobField, fresh())), status: 422, typ: problem.TypeValidation, fields: "records[0]", detail: "date_of_birth"},
			{name: "duplicate ids", header: hdr(), body: gz(t, batch(t, siteA.ID, dup, fresh(), dup)), status: 422, typ: problem.TypeValidation, fields: "records[2]", detail: "twice"},
			{name: "duplicate ids, two versions", header: hdr(), body: gz(t, batch(t, siteA.ID, dup, dup2)), status: 422, typ: problem.TypeValidation, fields: "records[1]", detail: "twice"},
			{name: "tombstone with data", header: hdr(), body: gz(t, batch(t, siteA.ID, tombWithData)), status: 422, typ: problem.TypeValidation, fields: "records[0]", detail: "tombstone"},
			{name: "id not a UUID", header: hdr(), body: gz(t, batch(t, siteA.ID, fresh(), badID)), status: 422, typ: problem.TypeValidation, fields: "records[1]", detail: "UUID"},
			{name: "payload not UTF-8", header: hdr(), body: gz(t, batch(t, siteA.ID, fresh(), withRelease("2026.1\xff"))), status: 422, typ: problem.TypeValidation, fields: "records[1]", detail: "UTF-8"},
			{name: "NUL in a payload", header: hdr(), body: gz(t, batch(t, siteA.ID, withRelease(`2026.1\u0000`), fresh())), status: 422, typ: problem.TypeValidation, fields: "records[0]", detail: "NUL"},
			{name: "version zero", header: hdr(), body: gz(t, batch(t, siteA.ID, v0)), status: 422, typ: problem.TypeValidation, fields: "records[0]", detail: "version"},

			// Credentials and ownership.
			{name: "no credential", header: with(hdr(), "Authorization", ""), body: valid(), status: 401, typ: problem.TypeUnauthorized},
			{name: "unknown credential", header: with(hdr(), "Authorization", "Bearer imlsite_unknown"), body: valid(), status: 401, typ: problem.TypeUnauthorized},
			{name: "not a bearer credential", header: with(hdr(), "Authorization", "Basic "+credA), body: valid(), status: 401, typ: problem.TypeUnauthorized},
			{name: "revoked site", header: pushHeaders(credC, 7), body: gz(t, batch(t, siteC.ID, fresh())), status: 403, typ: problem.TypeSiteRevoked},
			{name: "batch names another site", header: hdr(), body: gz(t, batch(t, siteB.ID, fresh())), status: 403, typ: problem.TypeForbidden},
			{name: "batch names no site", header: hdr(), body: gz(t, batch(t, "", fresh())), status: 403, typ: problem.TypeForbidden},
			{name: "record of another site, new version", header: hdr(), body: gz(t, batch(t, siteA.ID, fresh(), interview(t, recB.ID, 2, true))), status: 403, typ: problem.TypeForbidden},
			{name: "record of another site, same version", header: hdr(), body: gz(t, batch(t, siteA.ID, fresh(), recB)), status: 403, typ: problem.TypeForbidden},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := h.snapshot(t)
				resp, b := h.do(t, request{method: http.MethodPost, path: contract.PathPush, header: tc.header, body: tc.body})
				p := wantProblem(t, resp, b, tc.status, tc.typ)
				if tc.status == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				if tc.fields != "" {
					if got := fieldNames(p); got != tc.fields {
						t.Errorf("field errors name %q, want %q: %s", got, tc.fields, b)
					} else if !strings.Contains(p.Errors[0].Detail, tc.detail) {
						t.Errorf("field error %q does not mention %q", p.Errors[0].Detail, tc.detail)
					}
				}
				h.wantUnchanged(t, before)
			})
		}

		// Nothing refused reached the projection, which still runs.
		if _, err := intake.New(h.st).ProjectPending(ctx, 1000); err != nil {
			t.Fatalf("projection after the refusals: %v", err)
		}
		// What the sites held before is intact.
		if h.records(t) != 3 {
			t.Fatalf("records = %d, want the 3 of setup", h.records(t))
		}
		var held store.Record
		if err := h.st.DB.First(&held, "id = ?", recB.ID).Error; err != nil {
			t.Fatal(err)
		}
		if held.SiteID != siteB.ID || held.Version != 1 || held.Hash != recB.Hash {
			t.Fatalf("site B's record changed: %+v", held)
		}
		for id, seq := range h.batchSeqs(t) {
			if seq != 1 {
				t.Errorf("site %s batch_seq = %d, want 1", id, seq)
			}
		}
	})
}

func TestPushAndReplay(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		ctx := context.Background()
		site, cred := h.site("Main Street", nil)
		gen, err := h.st.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}

		var recs []contract.Record
		for i := 0; i < 30; i++ {
			recs = append(recs, interview(t, newID(), 1, i%2 == 0))
		}
		for i := 0; i < 10; i++ {
			recs = append(recs, participant(t, newID(), 1))
		}
		recs = append(recs, contract.NewTombstone(newID(), contract.TypeParticipant, 3))
		body := gz(t, batch(t, site.ID, recs...))
		headers := with(pushHeaders(cred, 1), "Accept-Encoding", "gzip")

		push := func(t *testing.T, header map[string]string, body []byte) contract.PushResponse {
			t.Helper()
			resp, b := h.do(t, request{method: http.MethodPost, path: contract.PathPush, header: header, body: body})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("push: %d %s", resp.StatusCode, b)
			}
			if header["Accept-Encoding"] == "gzip" {
				if resp.Header.Get("Content-Encoding") != "gzip" {
					t.Fatalf("client accepts gzip, answer Content-Encoding is %q (%d bytes)", resp.Header.Get("Content-Encoding"), len(b))
				}
				if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
					t.Error("gzipped answer without Vary: Accept-Encoding")
				}
				b = gunzip(t, b)
				resp.Header.Del("Content-Encoding")
			}
			var pr contract.PushResponse
			wantJSON(t, resp, b, &pr)
			if pr.Generation != gen {
				t.Fatalf("generation %q, want %q", pr.Generation, gen)
			}
			return pr
		}
		wantFates := func(t *testing.T, pr contract.PushResponse, sent []contract.Record, want ...contract.Fate) {
			t.Helper()
			if len(pr.Results) != len(sent) {
				t.Fatalf("%d results for %d records", len(pr.Results), len(sent))
			}
			for i, r := range pr.Results {
				w := want[0]
				if len(want) > 1 {
					w = want[i]
				}
				if r.ID != sent[i].ID || r.Version != sent[i].Version || r.Fate != w {
					t.Fatalf("result %d = %+v, want %s %d %s", i, r, sent[i].ID, sent[i].Version, w)
				}
			}
		}

		t.Run("first push stores every record", func(t *testing.T) {
			pr := push(t, headers, body)
			wantFates(t, pr, recs, contract.FateStored)
			if pr.SiteSeq != 1 {
				t.Fatalf("site seq %d, want 1", pr.SiteSeq)
			}
			if n := h.records(t); n != int64(len(recs)) {
				t.Fatalf("records = %d, want %d", n, len(recs))
			}
			if seq := h.batchSeqs(t)[site.ID]; seq != 1 {
				t.Fatalf("batch_seq = %d", seq)
			}
		})

		t.Run("replay is all duplicates", func(t *testing.T) {
			before := h.snapshot(t)
			pr := push(t, headers, body) // same body, key and sequence
			wantFates(t, pr, recs, contract.FateDuplicate)
			if pr.SiteSeq != 1 {
				t.Fatalf("site seq %d, want 1", pr.SiteSeq)
			}
			h.wantUnchanged(t, before)
			// The same batch under a new key, uncompressed, without gzip in the answer.
			pr = push(t, with(pushHeaders(cred, 1), "Content-Encoding", ""), batch(t, site.ID, recs...))
			wantFates(t, pr, recs, contract.FateDuplicate)
			// And compressed with zstd, which the hub takes too.
			pr = push(t, with(pushHeaders(cred, 1), "Content-Encoding", "zstd"), zst(t, batch(t, site.ID, recs...)))
			wantFates(t, pr, recs, contract.FateDuplicate)
			h.wantUnchanged(t, before)
		})

		t.Run("every fate", func(t *testing.T) {
			v2 := interview(t, recs[0].ID, 2, false)
			sent := []contract.Record{v2, recs[1], contract.NewTombstone(recs[3].ID, contract.TypePOMInterview, 2), participant(t, newID(), 1)}
			pr := push(t, pushHeaders(cred, 2), gz(t, batch(t, site.ID, sent...)))
			wantFates(t, pr, sent, contract.FateStored, contract.FateDuplicate, contract.FateStored, contract.FateStored)
			if pr.SiteSeq != 2 {
				t.Fatalf("site seq %d, want 2", pr.SiteSeq)
			}

			other := interview(t, recs[2].ID, 1, true) // same id and version, other content
			wrongType, err := contract.NewRecord(recs[4].ID, contract.TypeParticipant, 5, contract.Participant{Key: uuid.NewString(), EnrollmentYear: 2026, AgeBand: "90+"})
			if err != nil {
				t.Fatal(err)
			}
			sent = []contract.Record{recs[0], other, wrongType}
			pr = push(t, pushHeaders(cred, 3), gz(t, batch(t, site.ID, sent...)))
			wantFates(t, pr, sent, contract.FateStale, contract.FateConflict, contract.FateConflict)
			if pr.Results[0].HubVersion != 2 || pr.Results[1].HubVersion != 1 {
				t.Fatalf("hub versions %d and %d, want 2 and 1", pr.Results[0].HubVersion, pr.Results[1].HubVersion)
			}
			for id, want := range map[string]string{recs[0].ID: v2.Hash, recs[2].ID: recs[2].Hash, recs[4].ID: recs[4].Hash} {
				var r store.Record
				if err := h.st.DB.First(&r, "id = ?", id).Error; err != nil {
					t.Fatal(err)
				}
				if r.Hash != want {
					t.Errorf("record %s holds hash %s, want %s", id, r.Hash, want)
				}
			}
			var tomb store.Record
			h.st.DB.First(&tomb, "id = ?", recs[3].ID)
			if !tomb.Deleted || tomb.Version != 2 {
				t.Errorf("tombstone not stored: %+v", tomb)
			}
			if n := h.records(t); n != int64(len(recs))+1 {
				t.Fatalf("records = %d, want %d", n, len(recs)+1)
			}

			// An older batch sequence never moves the site's back.
			pr = push(t, pushHeaders(cred, 1), gz(t, batch(t, site.ID, recs[5])))
			if pr.SiteSeq != 3 || h.batchSeqs(t)[site.ID] != 3 {
				t.Fatalf("site seq went back to %d", pr.SiteSeq)
			}
		})

		t.Run("answer with exceptions only", func(t *testing.T) {
			exceptions := func(seq int64) map[string]string {
				return with(pushHeaders(cred, seq), contract.HeaderPushAnswer, contract.PushAnswerExceptions)
			}
			other := interview(t, recs[2].ID, 1, true)
			fresh := participant(t, newID(), 1)
			sent := []contract.Record{recs[1], recs[0], fresh, other}
			pr := push(t, exceptions(3), gz(t, batch(t, site.ID, sent...)))
			if !pr.Exceptions || pr.Acknowledged != 2 || pr.Stored != 1 || len(pr.Results) != 2 {
				t.Fatalf("answer %+v, want 2 acknowledged (1 stored) and 2 exceptions", pr)
			}
			if r := pr.Results[0]; r.Index != 1 || r.ID != recs[0].ID || r.Fate != contract.FateStale || r.HubVersion != 2 {
				t.Fatalf("first exception %+v, want record 1 stale below version 2", r)
			}
			if r := pr.Results[1]; r.Index != 3 || r.ID != other.ID || r.Fate != contract.FateConflict || r.HubVersion != 1 {
				t.Fatalf("second exception %+v, want record 3 in conflict at version 1", r)
			}
			full, err := contract.ExpandResults(pr, sent)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range []contract.Fate{contract.FateStored, contract.FateStale, contract.FateStored, contract.FateConflict} {
				if full[i].ID != sent[i].ID || full[i].Fate != want {
					t.Fatalf("expanded result %d = %+v, want %s", i, full[i], want)
				}
			}
			// All acknowledged (the records no other subtest changed): the
			// answer holds no line per record.
			resp, b := h.do(t, request{method: http.MethodPost, path: contract.PathPush, header: exceptions(3), body: gz(t, batch(t, site.ID, recs[5:]...))})
			if resp.StatusCode != http.StatusOK || len(b) > 200 {
				t.Fatalf("replay answer %d, %d bytes: %s", resp.StatusCode, len(b), b)
			}
			var replay contract.PushResponse
			wantJSON(t, resp, b, &replay)
			if !replay.Exceptions || replay.Acknowledged != len(recs)-5 || replay.Stored != 0 || len(replay.Results) != 0 {
				t.Fatalf("replay answer %+v, want %d acknowledged and nothing listed", replay, len(recs)-5)
			}
			// Without the header the answer is in full, with the counts.
			pr = push(t, pushHeaders(cred, 3), gz(t, batch(t, site.ID, sent...)))
			wantFates(t, pr, sent, contract.FateDuplicate, contract.FateStale, contract.FateDuplicate, contract.FateConflict)
			if pr.Exceptions || pr.Acknowledged != 2 || pr.Stored != 0 {
				t.Fatalf("full answer %+v, want 2 acknowledged and none stored", pr)
			}
		})

		t.Run("an escaped backslash is not a NUL, and no published release", func(t *testing.T) {
			r := rawRecord(newID(), contract.TypePOMInterview, `{"participant_key":"`+uuid.NewString()+`","enrollment_year":2026,"age_band":"25-34",`+
				`"timepoint":"eligibility","program_month":1,"release":"2026.1\\u0000","answers":{"pom01_natural_supports":true}}`)
			pr := push(t, pushHeaders(cred, 3), gz(t, batch(t, site.ID, r)))
			wantFates(t, pr, []contract.Record{r}, contract.FateRejected)
			if d := pr.Results[0].Detail; d != "release is not a release this hub published" {
				t.Fatalf("detail %q", d)
			}
			var n int64
			if err := h.st.DB.Raw("SELECT COUNT(*) FROM records WHERE id = ?", r.ID).Scan(&n).Error; err != nil || n != 0 {
				t.Fatalf("the rejected record is stored: %d, %v", n, err)
			}
		})

		t.Run("empty batch", func(t *testing.T) {
			pr := push(t, pushHeaders(cred, 4), gz(t, batch(t, site.ID)))
			if len(pr.Results) != 0 || pr.SiteSeq != 4 {
				t.Fatalf("empty batch answer %+v", pr)
			}
		})
	})
}

func TestStatusAndPull(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		ctx := context.Background()
		site, cred := h.site("Main Street", nil)
		gen, _ := h.st.Generation(ctx)
		get := func(t *testing.T, path string, header map[string]string) (*answer, []byte) {
			return h.do(t, request{method: http.MethodGet, path: path, header: header})
		}

		t.Run("status", func(t *testing.T) {
			resp, b := get(t, contract.PathStatus, with(syncHeaders(cred), contract.HeaderRelease, "2026.1"))
			var st contract.StatusResponse
			wantJSON(t, resp, b, &st)
			if st.SiteID != site.ID || st.SiteSeq != 0 || st.Release != "2026.1" || st.Generation != gen || st.ServerTime.IsZero() {
				t.Fatalf("status %+v", st)
			}
			got, _ := h.st.FindSite(ctx, site.ID)
			if got.Release != "2026.1" || got.LastSeenAt == nil {
				t.Fatalf("status did not record the agent's release: %+v", got)
			}
			// A release name PostgreSQL cannot hold is not recorded, and not a failure.
			resp, b = get(t, contract.PathStatus, with(syncHeaders(cred), contract.HeaderRelease, "2026.\xff"))
			wantJSON(t, resp, b, &st)
			if got, _ := h.st.FindSite(ctx, site.ID); got.Release != "2026.1" {
				t.Fatalf("site release became %q", got.Release)
			}
			resp, b = h.do(t, request{method: http.MethodPost, path: contract.PathPush, header: pushHeaders(cred, 4), body: gz(t, batch(t, site.ID, participant(t, newID(), 1)))})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("push: %d %s", resp.StatusCode, b)
			}
			resp, b = get(t, contract.PathStatus, syncHeaders(cred))
			wantJSON(t, resp, b, &st)
			if st.SiteSeq != 4 {
				t.Fatalf("site seq %d after batch 4", st.SiteSeq)
			}
		})

		var cursor string
		t.Run("pull from the start", func(t *testing.T) {
			resp, b := get(t, contract.PathPull, syncHeaders(cred))
			var pr contract.PullResponse
			wantJSON(t, resp, b, &pr)
			if pr.Generation != gen || pr.Cursor == "" || pr.Cursor == "0" {
				t.Fatalf("pull answer generation %q cursor %q", pr.Generation, pr.Cursor)
			}
			if len(pr.Releases) != 1 || pr.Releases[0].Version != "2026.1" {
				t.Fatalf("pull offers %d releases", len(pr.Releases))
			}
			rel := pr.Releases[0]
			sum := sha256.Sum256(rel.Content)
			if hex.EncodeToString(sum[:]) != rel.SHA256 {
				t.Fatal("release content does not match its sha256")
			}
			if _, err := program.Parse(rel.Content); err != nil {
				t.Fatalf("release content: %v", err)
			}
			cursor = pr.Cursor
		})

		t.Run("pull from the cursor", func(t *testing.T) {
			resp, b := get(t, contract.PathPull+"?cursor="+url.QueryEscape(cursor), syncHeaders(cred))
			var pr contract.PullResponse
			wantJSON(t, resp, b, &pr)
			if len(pr.Releases) != 0 || pr.Cursor != cursor {
				t.Fatalf("pull again: %d releases, cursor %q (was %q)", len(pr.Releases), pr.Cursor, cursor)
			}
			if !bytes.Contains(b, []byte(`"releases":[]`)) {
				t.Fatalf("no releases must be an empty list: %s", b)
			}
			// A new release is offered once, past the cursor.
			next := program.Default()
			next.Version = "2026.2"
			if err := h.st.PublishRelease(ctx, next); err != nil {
				t.Fatal(err)
			}
			resp, b = get(t, contract.PathPull+"?cursor="+url.QueryEscape(cursor), syncHeaders(cred))
			wantJSON(t, resp, b, &pr)
			if len(pr.Releases) != 1 || pr.Releases[0].Version != "2026.2" || pr.Cursor == cursor {
				t.Fatalf("after publishing: %d releases, cursor %q", len(pr.Releases), pr.Cursor)
			}
			resp, b = get(t, contract.PathPull+"?cursor="+url.QueryEscape(pr.Cursor), syncHeaders(cred))
			wantJSON(t, resp, b, &pr)
			if len(pr.Releases) != 0 {
				t.Fatalf("the new release was offered twice")
			}
		})

		for _, bad := range []string{"abc", "-1", "1e3", "0x1", "99999999999999999999"} {
			t.Run("bad cursor "+bad, func(t *testing.T) {
				resp, b := get(t, contract.PathPull+"?cursor="+url.QueryEscape(bad), syncHeaders(cred))
				p := wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
				if fieldNames(p) != "cursor" {
					t.Fatalf("field errors %q", fieldNames(p))
				}
			})
		}

		for _, path := range []string{contract.PathStatus, contract.PathPull} {
			t.Run("refusals "+path, func(t *testing.T) {
				resp, b := get(t, path, syncHeaders(""))
				wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeUnauthorized)
				resp, b = get(t, path, syncHeaders("imlsite_unknown"))
				wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeUnauthorized)
				resp, b = get(t, path, with(syncHeaders(cred), contract.HeaderProtocol, "2"))
				wantProblem(t, resp, b, http.StatusBadRequest, problem.TypeProtocol)
				resp, b = get(t, path, with(syncHeaders(cred), contract.HeaderProtocol, ""))
				wantProblem(t, resp, b, http.StatusBadRequest, problem.TypeProtocol)
			})
		}

		t.Run("revoked site", func(t *testing.T) {
			if _, err := intake.New(h.st).RevokeSite(ctx, site.ID, "closed"); err != nil {
				t.Fatal(err)
			}
			for _, path := range []string{contract.PathStatus, contract.PathPull} {
				resp, b := get(t, path, syncHeaders(cred))
				wantProblem(t, resp, b, http.StatusForbidden, problem.TypeSiteRevoked)
			}
		})
	})
}

func TestStaffAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		h := newHubWith(t, dsn, func(string) server.Config { return server.Config{MinCell: 1} }) // counts of single interviews
		ctx := context.Background()
		orgA, err := affiliates.New(h.st).AddOrganization(ctx, "Org A", "peer_run", "VA")
		if err != nil {
			t.Fatal(err)
		}
		orgB, err := affiliates.New(h.st).AddOrganization(ctx, "Org B", "nami", "MD")
		if err != nil {
			t.Fatal(err)
		}
		siteA, credA := h.site("Site A", &orgA)
		siteB, credB := h.site("Site B", &orgB)
		const pw = "correct horse battery staple"
		if _, err := staff.New(h.st).AddUser(ctx, "analyst@example.org", "Ana Lyst", store.RoleAnalyst, "", pw); err != nil {
			t.Fatal(err)
		}
		if _, err := staff.New(h.st).AddUser(ctx, "director@example.org", "Dee Rector", store.RoleDirector, orgA.ID, pw); err != nil {
			t.Fatal(err)
		}

		// Three interviews at site A, two at site B, reported after projection.
		for _, s := range []struct {
			site store.Site
			cred string
			n    int
		}{{siteA, credA, 3}, {siteB, credB, 2}} {
			var recs []contract.Record
			for i := 0; i < s.n; i++ {
				recs = append(recs, interview(t, newID(), 1, true))
			}
			resp, b := h.do(t, request{method: http.MethodPost, path: contract.PathPush, header: pushHeaders(s.cred, 1), body: gz(t, batch(t, s.site.ID, recs...))})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("push: %d %s", resp.StatusCode, b)
			}
		}
		for {
			n, err := intake.New(h.st).ProjectPending(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}

		login := func(t *testing.T, email, password string) (*answer, []byte) {
			return h.do(t, request{method: http.MethodPost, path: "/api/v1/auth/login", header: map[string]string{"Content-Type": "application/json"},
				body: mustJSON(t, map[string]string{"email": email, "password": password})})
		}
		token := func(t *testing.T, email string) string {
			t.Helper()
			resp, b := login(t, email, pw)
			var out struct {
				Token string `json:"token"`
				User  struct {
					Email string `json:"email"`
				} `json:"user"`
			}
			wantJSON(t, resp, b, &out)
			if out.Token == "" || out.User.Email != email {
				t.Fatalf("login answer %s", b)
			}
			return out.Token
		}
		bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
		get := func(t *testing.T, path string, header map[string]string) (*answer, []byte) {
			return h.do(t, request{method: http.MethodGet, path: path, header: header})
		}
		report := func(t *testing.T, path string, header map[string]string) outcomes.POMReport {
			t.Helper()
			resp, b := get(t, path, header)
			var rep outcomes.POMReport
			wantJSON(t, resp, b, &rep)
			if rep.Release != "2026.1" || len(rep.Indicators) == 0 {
				t.Fatalf("report release %q with %d indicators", rep.Release, len(rep.Indicators))
			}
			return rep
		}

		t.Run("no session", func(t *testing.T) {
			for _, hdr := range []map[string]string{nil, bearer("imlhub_unknown"), {"Cookie": "iml_hub_session=imlhub_unknown"}} {
				resp, b := get(t, "/api/v1/outcomes/pom", hdr)
				wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeUnauthorized)
			}
		})

		t.Run("bad login", func(t *testing.T) {
			resp, b := login(t, "analyst@example.org", "not the password")
			wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeUnauthorized)
			resp, b = login(t, "nobody@example.org", pw)
			wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeUnauthorized)
			resp, b = h.do(t, request{method: http.MethodPost, path: "/api/v1/auth/login", header: map[string]string{"Content-Type": "application/json"}, body: []byte(`{"email":`)})
			wantProblem(t, resp, b, http.StatusBadRequest, problem.TypeBadRequest)
		})

		analyst := token(t, "analyst@example.org")
		director := token(t, "director@example.org")

		t.Run("analyst", func(t *testing.T) {
			if rep := report(t, "/api/v1/outcomes/pom", bearer(analyst)); count(rep.Interviews) != 5 {
				t.Fatalf("national report holds %d interviews, want 5", count(rep.Interviews))
			}
			if rep := report(t, "/api/v1/outcomes/pom?org="+orgB.ID, bearer(analyst)); count(rep.Interviews) != 2 {
				t.Fatalf("org B report holds %d interviews, want 2", count(rep.Interviews))
			}
			if rep := report(t, "/api/v1/outcomes/pom?site="+siteA.ID, bearer(analyst)); count(rep.Interviews) != 3 {
				t.Fatalf("site A report holds %d interviews, want 3", count(rep.Interviews))
			}
			resp, b := get(t, "/api/v1/outcomes/pom?org="+uuid.NewString(), bearer(analyst))
			if p := wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation); fieldNames(p) != "org" {
				t.Fatalf("field errors %q", fieldNames(p))
			}
			resp, b = get(t, "/api/v1/outcomes/pom?site="+uuid.NewString(), bearer(analyst))
			if p := wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation); fieldNames(p) != "site" {
				t.Fatalf("field errors %q", fieldNames(p))
			}
			// Filters PostgreSQL cannot compare with a text column are no
			// organization or site, not a failure.
			for _, q := range []string{"org=%ff", "org=%00", "site=%c3%28", "site=a%00b"} {
				resp, b := get(t, "/api/v1/outcomes/pom?"+q, bearer(analyst))
				if p := wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation); fieldNames(p) != q[:strings.IndexByte(q, '=')] {
					t.Fatalf("%s: field errors %q", q, fieldNames(p))
				}
			}
			// Not text at all: refused before any handler reads it.
			resp, b = get(t, "/api/v1/sites?org=%ff", bearer(analyst))
			if p := wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation); fieldNames(p) != "org" {
				t.Fatalf("sites of an org that is not text: %s", b)
			}
		})

		t.Run("director", func(t *testing.T) {
			rep := report(t, "/api/v1/outcomes/pom", bearer(director))
			if count(rep.Interviews) != 3 || rep.Filter.OrgID != orgA.ID {
				t.Fatalf("director's report: %d interviews, filter %+v; want org A's 3", count(rep.Interviews), rep.Filter)
			}
			if rep := report(t, "/api/v1/outcomes/pom?org="+orgA.ID, bearer(director)); count(rep.Interviews) != 3 {
				t.Fatalf("own org report holds %d interviews", count(rep.Interviews))
			}
			for _, q := range []string{"org=" + orgB.ID, "org=" + uuid.NewString(), "site=" + siteB.ID} {
				resp, b := get(t, "/api/v1/outcomes/pom?"+q, bearer(director))
				wantProblem(t, resp, b, http.StatusForbidden, problem.TypeForbidden)
			}
		})

		t.Run("logout needs the CSRF token", func(t *testing.T) {
			tok := token(t, "analyst@example.org")
			_, sess, err := staff.New(h.st).SessionUser(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			cookie := "iml_hub_session=" + tok
			// The cookie signs in safe requests.
			resp, b := get(t, "/api/v1/me", map[string]string{"Cookie": cookie})
			var me map[string]any
			wantJSON(t, resp, b, &me)

			for _, hdr := range []map[string]string{
				{"Cookie": cookie},
				{"Cookie": cookie, "X-CSRF-Token": "wrong"},
				{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
			} {
				resp, b := h.do(t, request{method: http.MethodPost, path: "/logout", header: hdr, body: []byte("csrf=")})
				if resp.StatusCode != http.StatusForbidden {
					t.Fatalf("logout without the CSRF token: %d %s", resp.StatusCode, b)
				}
				// The session survived.
				resp, b = get(t, "/api/v1/me", bearer(tok))
				wantJSON(t, resp, b, &me)
			}

			resp, b = h.do(t, request{method: http.MethodPost, path: "/logout", header: map[string]string{"Cookie": cookie, "X-CSRF-Token": sess.CSRF}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
				t.Fatalf("logout: %d to %q: %s", resp.StatusCode, resp.Header.Get("Location"), b)
			}
			resp, b = get(t, "/api/v1/me", bearer(tok))
			wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeUnauthorized)
			// The other sessions are untouched.
			resp, b = get(t, "/api/v1/me", bearer(analyst))
			wantJSON(t, resp, b, &me)
		})
	})
}

func TestUnknownRoutes(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		_, cred := h.site("Main Street", nil)
		for _, tc := range []struct {
			method, path string
			status       int
			typ          string
		}{
			{http.MethodGet, "/api/v1/nothing", http.StatusNotFound, problem.TypeNotFound},
			{http.MethodGet, "/api/v2/sync/status", http.StatusNotFound, problem.TypeNotFound},
			{http.MethodPost, "/api/v1/sync/upload", http.StatusNotFound, problem.TypeNotFound},
			{http.MethodGet, "/api/", http.StatusNotFound, problem.TypeNotFound},
			{http.MethodGet, contract.PathPush, http.StatusMethodNotAllowed, problem.TypeMethodNotAllowed},
			{http.MethodDelete, "/api/v1/outcomes/pom", http.StatusMethodNotAllowed, problem.TypeMethodNotAllowed},
		} {
			t.Run(fmt.Sprintf("%s %s", tc.method, tc.path), func(t *testing.T) {
				resp, b := h.do(t, request{method: tc.method, path: tc.path, header: syncHeaders(cred)})
				wantProblem(t, resp, b, tc.status, tc.typ)
			})
		}
		t.Run("a page", func(t *testing.T) {
			resp, b := h.do(t, request{method: http.MethodGet, path: "/no/such/page"})
			if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("unknown page: %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
		})
		t.Run("a page's method", func(t *testing.T) {
			resp, b := h.do(t, request{method: http.MethodDelete, path: "/login"})
			if resp.StatusCode != http.StatusMethodNotAllowed || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(b), "This page cannot be used that way.") {
				t.Fatalf("a page's method: %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
		})
	})
}

// TestPushSizeBoundary pushes batches of exactly MaxBatchBytes, which pass,
// and one byte more, which do not, plain and gzipped.
func TestPushSizeBoundary(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		site, cred := h.site("Main Street", nil)
		// sized is a valid batch of one record padded to n bytes.
		sized := func(t *testing.T, n int) ([]byte, contract.Record) {
			t.Helper()
			r := interview(t, newID(), 1, true)
			b := batch(t, site.ID, r)
			out := append([]byte{}, b[:len(b)-1]...)
			out = append(out, bytes.Repeat([]byte("\n"), n-len(b))...)
			out = append(out, '}')
			if len(out) != n {
				t.Fatalf("built %d bytes, want %d", len(out), n)
			}
			return out, r
		}
		seq := int64(0)
		for _, tc := range []struct {
			name string
			n    int
			gzip bool
			ok   bool
		}{
			{"plain at the limit", contract.MaxBatchBytes, false, true},
			{"plain one byte over", contract.MaxBatchBytes + 1, false, false},
			{"gzip at the limit", contract.MaxBatchBytes, true, true},
			{"gzip one byte over", contract.MaxBatchBytes + 1, true, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				seq++
				body, rec := sized(t, tc.n)
				hdr := pushHeaders(cred, seq)
				if tc.gzip {
					body = gz(t, body)
				} else {
					hdr = with(hdr, "Content-Encoding", "")
				}
				before := h.snapshot(t)
				resp, b := h.do(t, request{method: http.MethodPost, path: contract.PathPush, header: hdr, body: body})
				if !tc.ok {
					wantProblem(t, resp, b, http.StatusRequestEntityTooLarge, problem.TypeTooLarge)
					h.wantUnchanged(t, before)
					return
				}
				var pr contract.PushResponse
				wantJSON(t, resp, b, &pr)
				if len(pr.Results) != 1 || pr.Results[0].Fate != contract.FateStored || !h.hasRecord(t, rec.ID) {
					t.Fatalf("batch at the limit not stored: %s", b)
				}
			})
		}

		// A gzip body whose compressed form is over the limit (stored, not
		// deflated) is refused as too large, not as unreadable.
		t.Run("compressed form over the limit", func(t *testing.T) {
			body, _ := sized(t, contract.MaxBatchBytes)
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.NoCompression)
			if _, err := zw.Write(body); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			if buf.Len() <= contract.MaxBatchBytes {
				t.Fatalf("stored gzip is %d bytes", buf.Len())
			}
			before := h.snapshot(t)
			resp, b := h.do(t, request{method: http.MethodPost, path: contract.PathPush, header: pushHeaders(cred, 9), body: buf.Bytes()})
			wantProblem(t, resp, b, http.StatusRequestEntityTooLarge, problem.TypeTooLarge)
			h.wantUnchanged(t, before)
		})
	})
}

// TestEnrollWithOlderTokens: through the enroll endpoint, a token stops
// enrolling once a newer one is issued, and a token issued before a
// revocation enrolls neither while the site is revoked nor after it is
// reinstated; a fresh token sent many times at once enrolls exactly once.
func TestEnrollWithOlderTokens(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		ctx := context.Background()
		site, cred := h.site("Epoch Street", nil)
		issue := func() string {
			t.Helper()
			tok, err := intake.New(h.st).IssueEnrollmentToken(ctx, site.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		hdr := with(syncHeaders(""), "Content-Type", "application/json")
		enroll := func(t *testing.T, tok string) (*answer, []byte) {
			t.Helper()
			return h.do(t, request{method: http.MethodPost, path: contract.PathEnroll, header: hdr, body: mustJSON(t, contract.EnrollRequest{Token: tok})})
		}
		credential := func() string {
			got, err := h.st.FindSite(ctx, site.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.CredentialHash
		}

		older, newer := issue(), issue()
		before := credential()
		resp, b := enroll(t, older)
		wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeTokenInvalid)
		if credential() != before {
			t.Fatal("an older token changed the site's credential")
		}
		resp, b = h.do(t, request{method: http.MethodGet, path: contract.PathStatus, header: syncHeaders(cred)})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the site's credential stopped working after a refused token: %d %s", resp.StatusCode, b)
		}

		if _, err := intake.New(h.st).RevokeSite(ctx, site.ID, "laptop stolen"); err != nil {
			t.Fatal(err)
		}
		resp, b = enroll(t, newer)
		wantProblem(t, resp, b, http.StatusForbidden, problem.TypeSiteRevoked)
		if _, err := intake.New(h.st).ReinstateSite(ctx, site.ID); err != nil {
			t.Fatal(err)
		}
		for name, tok := range map[string]string{"issued before the revocation": newer, "replaced before the revocation": older} {
			resp, b = enroll(t, tok)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("a token %s after the reinstatement: %d %s", name, resp.StatusCode, b)
			}
			wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeTokenInvalid)
		}
		if credential() != "" {
			t.Fatal("a token from before the revocation enrolled the reinstated site")
		}

		// Sixteen agents send the fresh token at once.
		fresh := issue()
		body, _ := json.Marshal(contract.EnrollRequest{Token: fresh})
		const racers = 16
		statuses := make([]int, racers)
		creds := make([]string, racers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range racers {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				req, _ := http.NewRequest(http.MethodPost, h.srv.URL+contract.PathEnroll, bytes.NewReader(body))
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				resp, err := h.client.Do(req)
				if err != nil {
					statuses[i] = -1
					return
				}
				defer resp.Body.Close()
				statuses[i] = resp.StatusCode
				var er contract.EnrollResponse
				if b, _ := io.ReadAll(resp.Body); resp.StatusCode == http.StatusOK && json.Unmarshal(b, &er) == nil {
					creds[i] = er.Credential
				}
			}(i)
		}
		close(start)
		wg.Wait()
		won := ""
		for i, st := range statuses {
			switch st {
			case http.StatusOK:
				if won != "" {
					t.Fatalf("the same token enrolled twice: %v", statuses)
				}
				won = creds[i]
			case http.StatusUnauthorized:
			default:
				t.Fatalf("racer %d answered %d: %v", i, st, statuses)
			}
		}
		if won == "" {
			t.Fatalf("no racer enrolled: %v", statuses)
		}
		resp, b = h.do(t, request{method: http.MethodGet, path: contract.PathStatus, header: syncHeaders(won)})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the winner's credential: %d %s", resp.StatusCode, b)
		}
	})
}

// TestHostileBatchSeq: a push whose IML-Batch-Seq is huge, negative, not
// a number, given twice, or too far above what the hub holds is refused
// with 400 batch-seq before anything is stored, alone or many at once; a
// watermark an older hub stored out of range is set back by the status
// call, never handed to the agent.
func TestHostileBatchSeq(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		site, cred := h.site("Seq Street", nil)
		resp, b := h.do(t, request{method: http.MethodPost, path: contract.PathPush, header: pushHeaders(cred, 1), body: gz(t, batch(t, site.ID, interview(t, newID(), 1, true)))})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("setup push: %d %s", resp.StatusCode, b)
		}
		// push sends a fresh valid record with the given IML-Batch-Seq
		// values (none: no header; several: the header repeated).
		push := func(values ...string) (int, problem.Problem, error) {
			req, _ := http.NewRequest(http.MethodPost, h.srv.URL+contract.PathPush, bytes.NewReader(gz(t, batch(t, site.ID, interview(t, newID(), 1, true)))))
			for k, v := range pushHeaders(cred, 1) {
				req.Header.Set(k, v)
			}
			req.Header.Del(contract.HeaderBatchSeq)
			for _, v := range values {
				req.Header.Add(contract.HeaderBatchSeq, v)
			}
			resp, err := h.client.Do(req)
			if err != nil {
				return 0, problem.Problem{}, err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var p problem.Problem
			if resp.Header.Get("Content-Type") == problem.ContentType {
				_ = json.Unmarshal(body, &p)
			}
			return resp.StatusCode, p, nil
		}
		step := int64(contract.MaxBatchSeqStep)
		hostile := [][]string{
			{strconv.FormatInt(math.MaxInt64, 10)},
			{"9223372036854775808"},
			{strconv.FormatInt(contract.MaxBatchSeq, 10)},
			{strconv.FormatInt(contract.MaxBatchSeq+1, 10)},
			{strconv.FormatInt(2+step, 10)}, // one past the step above the 1 held
			{"-1"}, {strconv.FormatInt(math.MinInt64, 10)}, {"0"}, {"-0"},
			{"seven"}, {"1e3"}, {"+5"}, {"5 5"}, {"0x10"}, {"5;6"}, {"１２"}, {"00000000000000000000001"},
			{}, {""}, {"2", "3"}, {"2", "2"}, {"2, 3"},
		}
		check := func(t *testing.T, values []string, status int, p problem.Problem, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%q: %v", values, err)
			}
			if status != http.StatusBadRequest || p.Type != problem.TypeBatchSeq || p.Detail == "" {
				t.Errorf("%q: %d %+v, want 400 %s", values, status, p, problem.TypeBatchSeq)
			}
		}
		before := h.snapshot(t)
		for _, v := range hostile {
			status, p, err := push(v...)
			check(t, v, status, p, err)
		}
		h.wantUnchanged(t, before)

		// Many at once.
		var wg sync.WaitGroup
		type result struct {
			status int
			p      problem.Problem
			err    error
		}
		results := make([]result, 4*len(hostile))
		for i := range results {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				s, p, err := push(hostile[i%len(hostile)]...)
				results[i] = result{s, p, err}
			}(i)
		}
		wg.Wait()
		for i, r := range results {
			check(t, hostile[i%len(hostile)], r.status, r.p, r.err)
		}
		h.wantUnchanged(t, before)

		// The step above what the hub holds is accepted, and counts from
		// the new watermark.
		if status, p, err := push(strconv.FormatInt(1+step, 10)); err != nil || status != http.StatusOK {
			t.Fatalf("a push at the step: %d %+v %v", status, p, err)
		}
		if got := h.batchSeqs(t)[site.ID]; got != 1+step {
			t.Fatalf("batch_seq %d, want %d", got, 1+step)
		}
		if status, p, err := push(strconv.FormatInt(2+2*step, 10)); err != nil || status != http.StatusBadRequest || p.Type != problem.TypeBatchSeq {
			t.Fatalf("past the step from the new watermark: %d %+v %v", status, p, err)
		}

		// A watermark left out of range by an older hub is set back at the
		// status call: the agent is never told it.
		if err := h.st.DB.Exec("UPDATE sites SET batch_seq = ? WHERE id = ?", int64(math.MaxInt64), site.ID).Error; err != nil {
			t.Fatal(err)
		}
		var st contract.StatusResponse
		resp, b = h.do(t, request{method: http.MethodGet, path: contract.PathStatus, header: syncHeaders(cred)})
		wantJSON(t, resp, b, &st)
		if st.SiteSeq != 0 || h.batchSeqs(t)[site.ID] != 0 {
			t.Fatalf("status says %d, the hub holds %d: want the watermark set back to 0", st.SiteSeq, h.batchSeqs(t)[site.ID])
		}
		if status, p, err := push("1"); err != nil || status != http.StatusOK {
			t.Fatalf("a push from 1 after the repair: %d %+v %v", status, p, err)
		}
	})
}
