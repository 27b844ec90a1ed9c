package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
)

func TestHubCertificationAtTheSite(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	_, dir := s.user("director@example.org", "Dana", store.RoleDirector)
	coachUser, coachTok := s.user("coach@example.org", "Robin", store.RoleCoach)
	co, err := s.st.Coaches.AddCoach(ctx, store.CoachInput{Name: "Robin Coach", UserID: coachUser.ID})
	s.must(err)
	// The hub's certification of Robin arrived in a pull: no email, so it
	// waits for the director to enter its code. It expires within 60 days.
	const code = "IML-AAAA-BBBB-CCCC-DDDD"
	_, err = s.st.Coaches.ApplyHubCertifications(ctx, []contract.CertificationWire{{Seq: 1, Code: code, CoachName: "Robin Coach", Status: contract.CertCurrent,
		IssuedOn: "2024-07-01", ExpiresOn: "2026-07-31", Modules: []string{}}})
	s.must(err)

	// Only the director links; a wrong code is a clear refusal that changes nothing.
	if st := s.call(coachTok, http.MethodPost, "/api/v1/coaches/"+co.ID+"/hub-certification", map[string]string{"code": code}, nil); st != http.StatusForbidden {
		t.Fatalf("coach linked: %d", st)
	}
	var p problem
	if st := s.call(dir, http.MethodPost, "/api/v1/coaches/"+co.ID+"/hub-certification", map[string]string{"code": "IML-ZZZZ-ZZZZ-ZZZZ-ZZZZ"}, &p); st != http.StatusUnprocessableEntity || !p.has("code", "no certification") {
		t.Fatalf("unknown code: %d %s", st, p.all())
	}
	if c, _ := s.st.Coaches.Coach(ctx, co.ID); c.CertCode != "" {
		t.Fatalf("a refused code was recorded: %+v", c)
	}
	if st := s.call(dir, http.MethodPost, "/api/v1/coaches/nope/hub-certification", map[string]string{"code": code}, nil); st != http.StatusNotFound {
		t.Fatalf("unknown coach: %d", st)
	}

	// Through the page, as typed from the certificate.
	b := s.browser("director@example.org")
	if st, _ := b.post("/coaches/"+co.ID+"/hub-certification", url.Values{"code": {"iml-aaaa-bbbb-cccc-dddd"}}); st != http.StatusOK {
		t.Fatalf("link on the page: %d", st)
	}
	c, _ := s.st.Coaches.Coach(ctx, co.ID)
	if c.CertCode != code || c.CertSource != "hub" {
		t.Fatalf("linked %+v", c)
	}
	_, page := b.get("/coaches")
	mustContain(t, "coaches page", page, "expires soon", "reported by the hub", code)
	var coaches []map[string]any
	s.call(dir, http.MethodGet, "/api/v1/coaches", nil, &coaches)
	if cert := coaches[0]["certification"].(map[string]any); cert["expires_soon"] != true || cert["current"] != true {
		t.Fatalf("coach view %v", coaches[0])
	}

	// Files of the release are served to anyone signed in, once they arrived.
	data := []byte("%PDF-1.4 worksheet")
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	if st, _, _ := s.do(coachTok, http.MethodGet, "/api/v1/kit-files/"+sha, "", nil); st != http.StatusNotFound {
		t.Fatalf("missing file: %d", st)
	}
	s.must(s.st.Coaches.SaveKitFile(ctx, sha, "application/pdf", data))
	st, h, got := s.send(coachTok, http.MethodGet, "/api/v1/kit-files/"+sha, "", nil)
	if st != http.StatusOK || string(got) != string(data) || h.Get("Content-Type") != "application/pdf" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("file: %d %q", st, h.Get("Content-Type"))
	}
	if st, _, _ := s.send("", http.MethodGet, "/api/v1/kit-files/"+sha, "", nil); st != http.StatusUnauthorized {
		t.Fatalf("file without signing in: %d", st)
	}
}
