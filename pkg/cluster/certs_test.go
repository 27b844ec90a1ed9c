package cluster_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/cluster"
)

const trainerPassword = "a trainer password"

// trainerToken adds a trainer at the hub and signs them in.
func trainerToken(t *testing.T, h *cluster.Hub) string {
	t.Helper()
	ctx := context.Background()
	if _, err := h.CLI(ctx, trainerPassword+"\n", "user", "add", "--email", "trainer@example.org", "--name", "Tess Trainer", "--role", "trainer", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	tok, err := cluster.Login(ctx, h.URL(), "trainer@example.org", trainerPassword)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// orgID finds an organization's id at the hub.
func orgID(t *testing.T, h *cluster.Hub, tok, name string) string {
	t.Helper()
	var orgs []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if st, err := cluster.JSON(context.Background(), http.MethodGet, h.URL()+"/api/v1/organizations", tok, nil, &orgs); err != nil || st != http.StatusOK {
		t.Fatalf("organizations: %d %v", st, err)
	}
	for _, o := range orgs {
		if o.Name == name {
			return o.ID
		}
	}
	t.Fatalf("no organization %q", name)
	return ""
}

// call does a JSON request and fails the test unless it answers want.
func call(t *testing.T, method, url, tok string, body, out any, want int) {
	t.Helper()
	st, err := cluster.JSON(context.Background(), method, url, tok, body, out)
	if err != nil || st != want {
		t.Fatalf("%s %s: %d (want %d) %v", method, url, st, want, err)
	}
}

type agentCoach struct {
	ID            string `json:"id"`
	Certification struct {
		Code    string `json:"code"`
		Source  string `json:"source"`
		Current bool   `json:"current"`
		Revoked bool   `json:"revoked"`
	} `json:"certification"`
}

// waitCoach asks the agent to sync until its coach is as ok wants.
func waitCoach(t *testing.T, a *cluster.Agent, tok, id, what string, ok func(agentCoach) bool) agentCoach {
	t.Helper()
	var got agentCoach
	waitFor(t, 60*time.Second, what, func() error {
		call(t, http.MethodPost, a.URL()+"/api/v1/sync/run", tok, nil, nil, http.StatusAccepted)
		var cs []agentCoach
		call(t, http.MethodGet, a.URL()+"/api/v1/coaches", tok, nil, &cs, http.StatusOK)
		for _, c := range cs {
			if c.ID == id {
				got = c
				if ok(c) {
					return nil
				}
			}
		}
		return fmt.Errorf("coach %+v", got)
	})
	return got
}

// TestCertificationReachesTheAgent: the hub certifies a coach of an
// organization; its agent pulls the certification, matches the coach by
// email, and lets the coach lead a cohort. Revoked at the hub, pulled, the
// agent refuses the coach a new cohort. A file attached to a published
// release reaches the agent by its hash in the same rounds.
func TestCertificationReachesTheAgent(t *testing.T) {
	eachHubDB(t, func(t *testing.T, h *cluster.Hub) {
		ctx := context.Background()
		a := enrolledAgent(t, h, h.URL(), "Cert site")
		if err := a.Start(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Stop() })
		dir := directorToken(t, a)
		hubTok := trainerToken(t, h)
		org := orgID(t, h, hubTok, "Org of Cert site")

		var coach agentCoach
		call(t, http.MethodPost, a.URL()+"/api/v1/coaches", dir, map[string]string{"name": "Casey Coach", "email": "casey@example.org", "bio": "Likes bowling."}, &coach, http.StatusCreated)
		today := time.Now().UTC().Format("2006-01-02")
		cohort := func(name string) map[string]any {
			return map[string]any{"name": name, "model": "peer_partners", "start_date": today, "coach_id": coach.ID, "meeting_day": "tuesday", "meeting_time": "18:00"}
		}
		call(t, http.MethodPost, a.URL()+"/api/v1/cohorts", dir, cohort("Before certification"), nil, http.StatusUnprocessableEntity)

		// The hub trains and certifies the coach.
		var person struct {
			ID string `json:"id"`
		}
		call(t, http.MethodPost, h.URL()+"/api/v1/trainees", hubTok, map[string]string{"org_id": org, "name": "Casey Coach", "email": "casey@example.org", "role": "coach"}, &person, http.StatusCreated)
		for _, m := range []string{"peer_support", "self_directed_care", "psychiatric_rehabilitation", "life_coaching", "motivational_interviewing", "shared_decision_making"} {
			call(t, http.MethodPost, h.URL()+"/api/v1/trainees/"+person.ID+"/modules", hubTok, map[string]string{"module": m}, nil, http.StatusOK)
		}
		var cert struct {
			Code string `json:"code"`
		}
		call(t, http.MethodPost, h.URL()+"/api/v1/trainees/"+person.ID+"/certification", hubTok, map[string]string{}, &cert, http.StatusCreated)

		// The operator's commands see it too.
		if out, err := h.CLI(ctx, "", "cert", "verify", strings.ToLower(cert.Code)); err != nil || !strings.HasPrefix(out, "Casey Coach\tcurrent\texpires ") {
			t.Fatalf("hub cert verify: %q %v", out, err)
		}
		if out, err := h.CLI(ctx, "", "cert", "list", "--org", "Org of Cert site"); err != nil || !strings.Contains(out, cert.Code) || !strings.Contains(out, "current") {
			t.Fatalf("hub cert list: %q %v", out, err)
		}
		if _, err := h.CLI(ctx, "", "cert", "verify", "IML-NONE-NONE-NONE-NONE"); err == nil {
			t.Fatal("hub cert verify accepted an unknown code")
		}

		// A release with a worksheet, published at the hub.
		sha, data := publishWithFile(t, h, hubTok)

		got := waitCoach(t, a, dir, coach.ID, "the certification to reach the agent", func(c agentCoach) bool {
			return c.Certification.Source == "hub" && c.Certification.Current
		})
		if got.Certification.Code != cert.Code {
			t.Fatalf("agent holds code %q, hub issued %q", got.Certification.Code, cert.Code)
		}
		call(t, http.MethodPost, a.URL()+"/api/v1/cohorts", dir, cohort("Spring group"), nil, http.StatusCreated)

		waitFor(t, 60*time.Second, "the release's file at the agent", func() error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.URL()+"/api/v1/kit-files/"+sha, nil)
			req.Header.Set("Authorization", "Bearer "+dir)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(b, data) {
				call(t, http.MethodPost, a.URL()+"/api/v1/sync/run", dir, nil, nil, http.StatusAccepted)
				return fmt.Errorf("file: %d", resp.StatusCode)
			}
			return nil
		})

		// Revoked at the hub: the agent refuses the coach a new cohort.
		call(t, http.MethodPost, h.URL()+"/api/v1/certifications/"+cert.Code+"/revoke", hubTok, map[string]string{"reason": "left the program"}, nil, http.StatusOK)
		waitCoach(t, a, dir, coach.ID, "the revocation to reach the agent", func(c agentCoach) bool { return c.Certification.Revoked && !c.Certification.Current })
		call(t, http.MethodPost, a.URL()+"/api/v1/cohorts", dir, cohort("Summer group"), nil, http.StatusUnprocessableEntity)
	})
}

var worksheetPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// publishWithFile starts a draft from the latest release, attaches a
// worksheet to its first lesson plan and publishes it as 2026.2.
func publishWithFile(t *testing.T, h *cluster.Hub, tok string) (string, []byte) {
	t.Helper()
	var d struct {
		ID      string `json:"id"`
		Content struct {
			LessonPlans []struct {
				Code string `json:"code"`
			} `json:"lesson_plans"`
		} `json:"content"`
	}
	call(t, http.MethodPost, h.URL()+"/api/v1/release-drafts", tok, map[string]string{"version": "2026.2"}, &d, http.StatusCreated)
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("kind", "worksheet")
	_ = w.WriteField("lesson_plan", d.Content.LessonPlans[0].Code)
	hdr := textproto.MIMEHeader{}
	hdr.Set("Content-Disposition", `form-data; name="file"; filename="worksheet.pdf"`)
	hdr.Set("Content-Type", "application/pdf")
	part, _ := w.CreatePart(hdr)
	_, _ = part.Write(worksheetPDF)
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, h.URL()+"/api/v1/release-drafts/"+d.ID+"/files", &buf)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("attach: %d", resp.StatusCode)
	}
	call(t, http.MethodPost, h.URL()+"/api/v1/release-drafts/"+d.ID+"/publish", tok, nil, nil, http.StatusOK)
	sum := sha256.Sum256(worksheetPDF)
	return hex.EncodeToString(sum[:]), worksheetPDF
}
