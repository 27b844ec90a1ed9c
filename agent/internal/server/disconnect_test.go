package server_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/server"
	"github.com/itsmylife/iml/agent/internal/store"
)

// TestClientDropsMidUpload: a client that sends half of an import, a
// participant or a survey and closes the connection is not a failure of
// the agent: no ERROR, no 500, a disconnect of the route at Info, nothing
// imported; and nothing at all is logged of the survey's route.
func TestClientDropsMidUpload(t *testing.T) {
	var buf syncBuffer
	st := openStore(t, func() time.Time { return siteDay })
	srv := httptest.NewServer(server.New(server.Config{}, st, slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))).Handler())
	t.Cleanup(srv.Close)
	s := &site{t: t, st: st, srv: srv}
	_, dir := s.user("dir@example.org", "Dana", store.RoleDirector)

	var csv strings.Builder
	csv.WriteString("first_name,last_name,birth_date,enrolled_on,agreement_signed_on,informed_consent,manages_finances,sets_goals,accepts_responsibilities\n")
	for i := range 3000 {
		fmt.Fprintf(&csv, "Avery%d,Stone,1980-02-03,2025-09-01,2025-09-01,yes,yes,yes,yes\n", i)
	}
	participant := `{"first_name":"Half","last_name":"Sent","birth_date":"1980-02-03","enrolled_on":"2025-09-01"}`
	survey := `{"code":"x","answers":{}}`
	send := func(path, ctype, body string) {
		t.Helper()
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: agent\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", path, dir, ctype, len(body))
		if _, err := conn.Write([]byte(head + body[:len(body)/2])); err != nil {
			t.Fatal(err)
		}
		if err := conn.Close(); err != nil {
			t.Fatal(err)
		}
	}
	lines := func() []map[string]any {
		var out []map[string]any
		for _, ln := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var m map[string]any
			if ln != "" && json.Unmarshal([]byte(ln), &m) == nil {
				out = append(out, m)
			}
		}
		return out
	}
	waitFor := func(what string, match func(map[string]any) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			for _, m := range lines() {
				if match(m) {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("no log entry %s in:\n%s", what, buf.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, route := range []string{"/api/v1/import/:kind", "/api/v1/participants"} {
		path := strings.Replace(route, ":kind", "participants", 1)
		body, ctype := participant, "application/json"
		if strings.Contains(route, "import") {
			body, ctype = csv.String(), "text/csv"
		}
		send(path, ctype, body)
		waitFor("of the disconnect on "+route, func(m map[string]any) bool {
			return m["msg"] == "client disconnected" && m["route"] == route && m["level"] == "INFO"
		})
		waitFor("of the access on "+route, func(m map[string]any) bool { return m["msg"] == "http" && m["route"] == route })
	}
	send("/api/v1/survey/responses", "application/json", survey)
	// The survey's route leaves no line; a request after it shows the
	// server has gone past it.
	s.send("", "GET", "/healthz", "", nil)
	waitFor("of /healthz", func(m map[string]any) bool { return m["route"] == "/healthz" })
	for _, m := range lines() {
		if m["level"] == "ERROR" || m["status"] == float64(500) {
			t.Errorf("the agent logged a server error for a client that went away: %v", m)
		}
	}
	if strings.Contains(buf.String(), "survey") {
		t.Errorf("the log keeps a trace of the survey's route:\n%s", buf.String())
	}
	if ps, _ := st.Participants.Participants(t.Context()); len(ps) != 0 {
		t.Fatalf("half a request added %d participants", len(ps))
	}
}
