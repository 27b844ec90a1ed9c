package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itsmylife/iml/hub/internal/server"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/dbx/dbtest"
)

// logBuffer collects a server's JSON log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines are the log's entries so far.
func (l *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, ln := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if ln == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(ln), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", ln)
		}
		out = append(out, m)
	}
	return out
}

// waitLog polls the log until an entry matches, or fails at the deadline.
func (l *logBuffer) waitLog(t *testing.T, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, m := range l.lines(t) {
			if match(m) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log entry %s in:\n%s", what, l.b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClientDropsMidRequest: clients that send half a body and close the
// connection (a gzipped push, a kit file upload), or send a whole push and
// close before the answer, are logged as disconnects of their route with
// status 499 and audited so: the hub's log holds no ERROR and no 500.
func TestClientDropsMidRequest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, dsn string) {
		var logs logBuffer
		log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		st, err := store.Open(context.Background(), dsn, log)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(server.New(server.Config{}, st, log).Handler())
		t.Cleanup(func() { srv.Close(); st.Close() })
		h := &hub{t: t, st: st, srv: srv, client: http.DefaultClient}
		site, cred := h.site("Dropping Street", nil)
		f := newFixture(t, h)

		var recs []contract.Record
		for range 3000 {
			recs = append(recs, interview(t, newID(), 1, true))
		}
		push := gz(t, batch(t, site.ID, recs...))
		pushHead := func(seq int) string {
			return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: hub\r\n%s: 1\r\nAuthorization: Bearer %s\r\n%s: %d\r\n%s: %s\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n",
				contract.PathPush, contract.HeaderProtocol, cred, contract.HeaderBatchSeq, seq, contract.HeaderIdempotency, newID(), len(push))
		}
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		_ = mw.WriteField("kind", "handout")
		fw, _ := mw.CreateFormFile("file", "Sheet.pdf")
		_, _ = fw.Write(append(append([]byte{}, testPDF...), bytes.Repeat([]byte("% padding\n"), 20000)...))
		_ = mw.Close()
		uploadHead := fmt.Sprintf("POST /api/v1/release-drafts/%s/files HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
			f.vals["draft"], f.callers[store.RoleTrainer].token, mw.FormDataContentType(), form.Len())

		// send writes a request's head and part of its body, then closes
		// the connection without reading an answer.
		send := func(head string, body []byte) {
			t.Helper()
			conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Write(append([]byte(head), body...)); err != nil {
				t.Fatal(err)
			}
			if err := conn.Close(); err != nil {
				t.Fatal(err)
			}
		}
		before := h.records(t)
		send(pushHead(2), push[:len(push)/2])
		logs.waitLog(t, "disconnect of the half push", func(m map[string]any) bool {
			return m["msg"] == "client disconnected" && m["route"] == contract.PathPush && m["level"] == "INFO"
		})
		logs.waitLog(t, "access line of the half push", func(m map[string]any) bool {
			return m["msg"] == "http" && m["route"] == contract.PathPush && m["status"] == float64(499)
		})
		if n := h.records(t); n != before {
			t.Fatalf("half a push stored %d records", n-before)
		}
		send(uploadHead, form.Bytes()[:form.Len()/2])
		logs.waitLog(t, "disconnect of the half upload", func(m map[string]any) bool {
			return m["msg"] == "client disconnected" && m["route"] == "/api/v1/release-drafts/:id/files"
		})
		// A whole push, and gone before the answer: the hub may have
		// finished first (200) or noticed (499); never an error.
		send(pushHead(3), push)
		logs.waitLog(t, "access line of the whole push", func(m map[string]any) bool {
			return m["msg"] == "http" && m["route"] == contract.PathPush && (m["status"] == float64(200) || m["status"] == float64(499))
		})
		for _, m := range logs.lines(t) {
			if m["level"] == "ERROR" || m["status"] == float64(500) {
				t.Errorf("the hub logged a server error for a client that went away: %v", m)
			}
		}
		var audited []store.AuditEntry
		if err := st.DB.Where("route = ? AND status = ?", contract.PathPush, 499).Find(&audited).Error; err != nil {
			t.Fatal(err)
		}
		if len(audited) == 0 || audited[0].ActorID != site.ID {
			t.Fatalf("the broken push is not audited as the site's, status 499: %+v", audited)
		}
	})
}
