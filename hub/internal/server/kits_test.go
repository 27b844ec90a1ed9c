package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/kits"
	"github.com/itsmylife/iml/hub/internal/staff"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/training"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/problem"
	"github.com/itsmylife/iml/pkg/program"
)

var testPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// staffTokens adds a staff member of each role and signs each in.
func staffTokens(t *testing.T, h *hub, orgID string) map[string]string {
	t.Helper()
	ctx := context.Background()
	toks := map[string]string{}
	for _, role := range store.Roles {
		email := role + "@example.org"
		org := ""
		if role == store.RoleDirector {
			org = orgID
		}
		if _, err := staff.New(h.st).AddUser(ctx, email, "A "+role, role, org, "a long enough password"); err != nil {
			t.Fatal(err)
		}
		_, tok, err := staff.New(h.st).Login(ctx, email, "a long enough password")
		if err != nil {
			t.Fatal(err)
		}
		toks[role] = tok
	}
	return toks
}

func bearerJSON(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
}

// upload makes a multipart body with a file and form fields.
func upload(t *testing.T, name, mediaType string, data []byte, fields map[string]string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	hdr := textproto.MIMEHeader{}
	hdr.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
	hdr.Set("Content-Type", mediaType)
	part, err := w.CreatePart(hdr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = part.Write(data)
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

func TestKitsAPI(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		ctx := context.Background()
		org, _ := affiliates.New(h.st).AddOrganization(ctx, "Kit org", "peer_run", "VA")
		site, cred := h.site("Kit site", &org)
		toks := staffTokens(t, h, org.ID)
		trainer := bearerJSON(toks[store.RoleTrainer])

		// Only trainers and admins manage kits.
		for _, role := range []string{store.RoleAnalyst, store.RoleTA, store.RoleDirector} {
			resp, b := h.do(t, request{method: http.MethodPost, path: "/api/v1/release-drafts", header: bearerJSON(toks[role]), body: []byte(`{"version":"2026.9"}`)})
			wantProblem(t, resp, b, http.StatusForbidden, problem.TypeForbidden)
			resp, b = h.do(t, request{method: http.MethodGet, path: "/kits", header: map[string]string{"Authorization": "Bearer " + toks[role]}})
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "Your role does not allow this page") {
				t.Fatalf("%s opened the kits page: %d", role, resp.StatusCode)
			}
		}
		resp, b := h.do(t, request{method: http.MethodPost, path: "/api/v1/release-drafts", header: map[string]string{"Content-Type": "application/json"}, body: []byte(`{}`)})
		wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeUnauthorized)
		if ds, _ := kits.New(h.st).Drafts(ctx); len(ds) != 0 {
			t.Fatalf("refused requests made drafts: %+v", ds)
		}

		// A trainer starts a draft from the latest release.
		resp, b = h.do(t, request{method: http.MethodPost, path: "/api/v1/release-drafts", header: trainer, body: []byte(`{"version":"2026.1"}`)})
		wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
		resp, b = h.do(t, request{method: http.MethodPost, path: "/api/v1/release-drafts", header: trainer, body: []byte(`{"version":"2026.2"}`)})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create draft: %d %s", resp.StatusCode, b)
		}
		var draft struct {
			ID      string          `json:"id"`
			Valid   bool            `json:"valid"`
			Content program.Release `json:"content"`
		}
		_ = json.Unmarshal(b, &draft)
		if !draft.Valid || draft.Content.Version != "2026.2" {
			t.Fatalf("draft %s", b)
		}
		before, _ := kits.New(h.st).Draft(ctx, draft.ID)

		// Bad input: problem+json and the draft unchanged.
		plan := draft.Content.LessonPlans[0].Code
		for name, up := range map[string]struct {
			file, mediaType string
			data            []byte
			fields          map[string]string
		}{
			"not a PDF":  {"w.pdf", "application/pdf", []byte("hello"), map[string]string{"kind": "worksheet"}},
			"executable": {"w.exe", "application/x-msdownload", []byte("MZ"), map[string]string{"kind": "handout"}},
			"no kind":    {"w.pdf", "application/pdf", testPDF, map[string]string{}},
			"no plan":    {"w.pdf", "application/pdf", testPDF, map[string]string{"kind": "worksheet", "lesson_plan": "nope"}},
		} {
			body, ct := upload(t, up.file, up.mediaType, up.data, up.fields)
			resp, b := h.do(t, request{method: http.MethodPost, path: "/api/v1/release-drafts/" + draft.ID + "/files", header: map[string]string{"Authorization": "Bearer " + toks[store.RoleTrainer], "Content-Type": ct}, body: body})
			if p := wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation); !strings.Contains(p.Detail, "Nothing was changed") {
				t.Fatalf("%s: %s", name, p.Detail)
			}
		}
		for _, bad := range []string{`{`, `{"version":"2026.2","extra":true}`, `[]`} {
			resp, b := h.do(t, request{method: http.MethodPut, path: "/api/v1/release-drafts/" + draft.ID + "/content", header: trainer, body: []byte(bad)})
			wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
		}
		if after, _ := kits.New(h.st).Draft(ctx, draft.ID); after.Content != before.Content {
			t.Fatal("refused input changed the draft")
		}

		// A worksheet for a lesson plan, and new content.
		body, ct := upload(t, "Goals worksheet.pdf", "application/pdf", testPDF, map[string]string{"kind": "worksheet", "lesson_plan": plan})
		resp, b = h.do(t, request{method: http.MethodPost, path: "/api/v1/release-drafts/" + draft.ID + "/files", header: map[string]string{"Authorization": "Bearer " + toks[store.RoleTrainer], "Content-Type": ct}, body: body})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("attach: %d %s", resp.StatusCode, b)
		}
		var attached struct {
			File program.File `json:"file"`
		}
		_ = json.Unmarshal(b, &attached)
		next := draft.Content
		next.Stipend.MonthlyCents = 7000
		resp, b = h.do(t, request{method: http.MethodPut, path: "/api/v1/release-drafts/" + draft.ID + "/content", header: trainer, body: mustJSON(t, next)})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("content: %d %s", resp.StatusCode, b)
		}

		// Not served to agents before it is published.
		fileHdr := syncHeaders(cred)
		resp, b = h.do(t, request{method: http.MethodGet, path: contract.PathFiles + attached.File.SHA256, header: fileHdr})
		wantProblem(t, resp, b, http.StatusNotFound, problem.TypeNotFound)

		resp, b = h.do(t, request{method: http.MethodPost, path: "/api/v1/release-drafts/" + draft.ID + "/publish", header: trainer})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("publish: %d %s", resp.StatusCode, b)
		}
		// Immutable: any change is refused.
		resp, b = h.do(t, request{method: http.MethodPut, path: "/api/v1/release-drafts/" + draft.ID + "/content", header: trainer, body: mustJSON(t, next)})
		wantProblem(t, resp, b, http.StatusConflict, problem.TypeConflict)
		resp, b = h.do(t, request{method: http.MethodPost, path: "/api/v1/release-drafts/" + draft.ID + "/publish", header: trainer})
		wantProblem(t, resp, b, http.StatusConflict, problem.TypeConflict)

		// The diff names the stipend and the file.
		resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/release-diff?from=2026.1&to=2026.2", header: trainer})
		var diff struct {
			Changes []program.Change `json:"changes"`
		}
		wantJSON(t, resp, b, &diff)
		sections := map[string]bool{}
		for _, c := range diff.Changes {
			sections[c.Section] = true
		}
		if len(diff.Changes) != 2 || !sections["stipend"] || !sections["files"] {
			t.Fatalf("diff %s", b)
		}
		resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/release-diff?from=2026.1&to=nope", header: trainer})
		wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)

		// The agent gets the file by hash with its credential only.
		resp, b = h.do(t, request{method: http.MethodGet, path: contract.PathFiles + attached.File.SHA256, header: fileHdr})
		if resp.StatusCode != http.StatusOK || !bytes.Equal(b, testPDF) || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("file: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		resp, b = h.do(t, request{method: http.MethodGet, path: contract.PathFiles + attached.File.SHA256, header: syncHeaders("")})
		wantProblem(t, resp, b, http.StatusUnauthorized, problem.TypeUnauthorized)
		resp, b = h.do(t, request{method: http.MethodGet, path: contract.PathFiles + "not-a-hash", header: fileHdr})
		wantProblem(t, resp, b, http.StatusNotFound, problem.TypeNotFound)

		// Retire 2026.1: a reason is required; then no agent is offered it.
		resp, b = h.do(t, request{method: http.MethodPost, path: "/api/v1/releases/2026.1/retire", header: trainer, body: []byte(`{"reason":""}`)})
		wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
		if r, _ := h.st.ReleaseByVersion(ctx, "2026.1"); r.RetiredAt != nil {
			t.Fatal("refused retirement retired")
		}
		resp, b = h.do(t, request{method: http.MethodPost, path: "/api/v1/releases/2026.1/retire", header: bearerJSON(toks[store.RoleAdmin]), body: []byte(`{"reason":"superseded"}`)})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("retire: %d %s", resp.StatusCode, b)
		}
		resp, b = h.do(t, request{method: http.MethodGet, path: contract.PathPull, header: syncHeaders(cred)})
		var pull contract.PullResponse
		wantJSON(t, resp, b, &pull)
		if len(pull.Releases) != 1 || pull.Releases[0].Version != "2026.2" {
			t.Fatalf("pull offers %+v", pull.Releases)
		}

		// The site still on 2026.1 is behind, on a retired release.
		if err := intake.New(h.st).TouchSite(ctx, site.ID, "2026.1"); err != nil {
			t.Fatal(err)
		}
		resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/release-sites", header: trainer})
		var sites struct {
			Latest string `json:"latest"`
			Sites  []struct {
				Release   string `json:"release"`
				Behind    bool   `json:"behind"`
				OnRetired bool   `json:"on_retired"`
			} `json:"sites"`
		}
		wantJSON(t, resp, b, &sites)
		if sites.Latest != "2026.2" || len(sites.Sites) != 1 || !sites.Sites[0].Behind || !sites.Sites[0].OnRetired {
			t.Fatalf("sites %s", b)
		}
	})
}

func TestCertificationAPI(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		ctx := context.Background()
		orgA, _ := affiliates.New(h.st).AddOrganization(ctx, "Org A", "peer_run", "VA")
		orgB, _ := affiliates.New(h.st).AddOrganization(ctx, "Org B", "nami", "MD")
		_, credA := h.site("Site A", &orgA)
		_, credB := h.site("Site B", &orgB)
		toks := staffTokens(t, h, orgA.ID)
		trainer := bearerJSON(toks[store.RoleTrainer])
		post := func(t *testing.T, hdr map[string]string, path string, v any) (*answer, []byte) {
			return h.do(t, request{method: http.MethodPost, path: path, header: hdr, body: mustJSON(t, v)})
		}

		resp, b := post(t, bearerJSON(toks[store.RoleAnalyst]), "/api/v1/trainees", map[string]string{"org_id": orgA.ID, "name": "Casey", "email": "casey@example.org", "role": "coach"})
		wantProblem(t, resp, b, http.StatusForbidden, problem.TypeForbidden)
		resp, b = post(t, trainer, "/api/v1/trainees", map[string]string{"org_id": orgA.ID, "name": "Casey", "email": "nope", "role": "coach"})
		wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
		resp, b = post(t, trainer, "/api/v1/trainees", map[string]string{"org_id": orgA.ID, "name": "Casey Coach", "email": "casey@example.org", "role": "coach"})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("trainee: %d %s", resp.StatusCode, b)
		}
		var person struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(b, &person)

		// Training event, registration, attendance.
		resp, b = post(t, trainer, "/api/v1/training-events", map[string]any{"title": "Spring training", "mode": "in_person", "starts_on": "2026-04-01", "ends_on": "2026-04-03", "trainer": "Tess", "capacity": 10})
		wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation) // in person needs a place
		resp, b = post(t, trainer, "/api/v1/training-events", map[string]any{"title": "Spring training", "mode": "in_person", "starts_on": "2026-04-01", "ends_on": "2026-04-03", "location": "Richmond", "trainer": "Tess", "capacity": 10})
		var ev struct {
			ID string `json:"id"`
		}
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &ev) != nil {
			t.Fatalf("event: %d %s", resp.StatusCode, b)
		}
		if resp, b = post(t, trainer, "/api/v1/training-events/"+ev.ID+"/registrations", map[string]string{"trainee_id": person.ID}); resp.StatusCode != http.StatusOK {
			t.Fatalf("register: %d %s", resp.StatusCode, b)
		}
		resp, b = post(t, trainer, "/api/v1/training-events/"+ev.ID+"/attendance", map[string]any{"trainee_id": person.ID, "attended": true})
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"attended":true`) {
			t.Fatalf("attendance: %d %s", resp.StatusCode, b)
		}

		// Certification refused until all six modules are complete.
		resp, b = post(t, trainer, "/api/v1/trainees/"+person.ID+"/certification", nil)
		if p := wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation); !strings.Contains(p.Detail, "Motivational interviewing") {
			t.Fatalf("refusal %q", p.Detail)
		}
		resp, b = post(t, trainer, "/api/v1/trainees/"+person.ID+"/modules", map[string]string{"module": "juggling"})
		wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
		for _, m := range training.Modules {
			if resp, b := post(t, trainer, "/api/v1/trainees/"+person.ID+"/modules", map[string]string{"module": m}); resp.StatusCode != http.StatusOK {
				t.Fatalf("module %s: %d %s", m, resp.StatusCode, b)
			}
		}
		resp, b = post(t, bearerJSON(toks[store.RoleDirector]), "/api/v1/trainees/"+person.ID+"/certification", nil)
		wantProblem(t, resp, b, http.StatusForbidden, problem.TypeForbidden)
		resp, b = post(t, trainer, "/api/v1/trainees/"+person.ID+"/certification", nil)
		var cert struct {
			Code      string `json:"code"`
			Status    string `json:"status"`
			ExpiresOn string `json:"expires_on"`
		}
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &cert) != nil || cert.Status != "current" {
			t.Fatalf("certify: %d %s", resp.StatusCode, b)
		}

		// Anyone verifies a code without signing in, and learns only name,
		// status and expiry.
		resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/certifications/verify?code=" + cert.Code})
		var v map[string]any
		wantJSON(t, resp, b, &v)
		if len(v) != 3 || v["name"] != "Casey Coach" || v["status"] != "current" || v["expires_on"] != cert.ExpiresOn {
			t.Fatalf("verify %s", b)
		}
		resp, b = h.do(t, request{method: http.MethodGet, path: "/verify?code=" + cert.Code})
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Casey Coach") || strings.Contains(string(b), "casey@example.org") {
			t.Fatalf("verify page: %d", resp.StatusCode)
		}
		resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/certifications/verify?code=IML-AAAA-AAAA-AAAA-AAAA"})
		wantProblem(t, resp, b, http.StatusNotFound, problem.TypeNotFound)

		// The certification reaches org A's sites, never org B's.
		pullCerts := func(t *testing.T, cred, cursor string) contract.PullResponse {
			t.Helper()
			resp, b := h.do(t, request{method: http.MethodGet, path: contract.PathPull + "?cursor=" + cursor, header: syncHeaders(cred)})
			var pr contract.PullResponse
			wantJSON(t, resp, b, &pr)
			return pr
		}
		pa := pullCerts(t, credA, "")
		if len(pa.Certifications) != 1 || pa.Certifications[0].Code != cert.Code || pa.Certifications[0].Status != contract.CertCurrent {
			t.Fatalf("org A pulls %+v", pa.Certifications)
		}
		if pb := pullCerts(t, credB, ""); len(pb.Certifications) != 0 {
			t.Fatalf("org B pulls %+v", pb.Certifications)
		}
		if again := pullCerts(t, credA, pa.Cursor); len(again.Certifications) != 0 || again.Cursor != pa.Cursor {
			t.Fatalf("from its cursor: %+v", again)
		}

		// Revocation needs a reason; a refused one changes nothing.
		resp, b = post(t, trainer, "/api/v1/certifications/"+cert.Code+"/revoke", map[string]string{"reason": " "})
		wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)
		if again := pullCerts(t, credA, pa.Cursor); len(again.Certifications) != 0 {
			t.Fatal("a refused revocation reached the site")
		}
		resp, b = post(t, trainer, "/api/v1/certifications/"+cert.Code+"/revoke", map[string]string{"reason": "left the program"})
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"status":"revoked"`) {
			t.Fatalf("revoke: %d %s", resp.StatusCode, b)
		}
		if again := pullCerts(t, credA, pa.Cursor); len(again.Certifications) != 1 || again.Certifications[0].Status != contract.CertRevoked {
			t.Fatalf("revocation pulled %+v", again.Certifications)
		}
		resp, b = post(t, trainer, "/api/v1/certifications/"+cert.Code+"/renew", nil)
		wantProblem(t, resp, b, http.StatusUnprocessableEntity, problem.TypeValidation)

		// Registry: the director sees their own organization only.
		resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/organizations/" + orgA.ID + "/registry", header: bearerJSON(toks[store.RoleDirector])})
		var reg struct {
			Certifications []map[string]any `json:"certifications"`
		}
		wantJSON(t, resp, b, &reg)
		if len(reg.Certifications) != 1 || reg.Certifications[0]["status"] != "revoked" {
			t.Fatalf("registry %s", b)
		}
		resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/organizations/" + orgB.ID + "/registry", header: bearerJSON(toks[store.RoleDirector])})
		wantProblem(t, resp, b, http.StatusForbidden, problem.TypeForbidden)
		resp, b = h.do(t, request{method: http.MethodGet, path: "/api/v1/organizations/" + orgB.ID + "/registry", header: bearerJSON(toks[store.RoleAnalyst])})
		wantProblem(t, resp, b, http.StatusForbidden, problem.TypeForbidden)
		dirPage := map[string]string{"Authorization": "Bearer " + toks[store.RoleDirector]}
		resp, b = h.do(t, request{method: http.MethodGet, path: "/registry/" + orgA.ID, header: dirPage})
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Casey Coach") || !strings.Contains(string(b), `href="/registry/`+orgA.ID+`"`) {
			t.Fatalf("director's registry page: %d", resp.StatusCode)
		}
		if resp, _ = h.do(t, request{method: http.MethodGet, path: "/registry/" + orgB.ID, header: dirPage}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("another organization's registry page: %d", resp.StatusCode)
		}

		// Guessing codes is cut off.
		limited := false
		for i := 0; i < 40 && !limited; i++ {
			resp, b := h.do(t, request{method: http.MethodGet, path: "/api/v1/certifications/verify?code=IML-GUES-SING-CODE-" + string(rune('A'+i%26))})
			if resp.StatusCode == http.StatusTooManyRequests {
				wantProblem(t, resp, b, http.StatusTooManyRequests, problem.TypeRateLimited)
				limited = resp.Header.Get("Retry-After") != ""
			}
		}
		if !limited {
			t.Fatal("40 verification guesses in a row were all answered")
		}
	})
}

// TestKitAndTrainingPagesRefuseBadInput: the pages' forms answer a
// client's mistake with a readable message on the page and change nothing.
func TestKitAndTrainingPagesRefuseBadInput(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		ctx := context.Background()
		org, _ := affiliates.New(h.st).AddOrganization(ctx, "Page org", "peer_run", "VA")
		toks := staffTokens(t, h, org.ID)
		form := func(t *testing.T, path, body string) (int, string, string) {
			t.Helper()
			resp, b := h.do(t, request{method: http.MethodPost, path: path, body: []byte(body),
				header: map[string]string{"Authorization": "Bearer " + toks[store.RoleTrainer], "Content-Type": "application/x-www-form-urlencoded"}})
			return resp.StatusCode, resp.Header.Get("Location"), string(b)
		}
		st, _, page := form(t, "/training/events", "title=&mode=virtual&starts_on=2026-04-01&trainer=Tess&capacity=10")
		if st != http.StatusUnprocessableEntity || !strings.Contains(page, "Enter the title.") || !strings.Contains(page, "nothing was saved") {
			t.Fatalf("event without a title: %d", st)
		}
		st, _, page = form(t, "/training/people", "name=Casey&email=casey&org_id="+org.ID+"&role=coach")
		if st != http.StatusUnprocessableEntity || !strings.Contains(page, "Enter an email address such as name@example.org.") {
			t.Fatalf("person with a bad email: %d", st)
		}
		if es, _ := training.New(h.st).TrainingEvents(ctx); len(es) != 0 {
			t.Fatal("a refused event was stored")
		}
		if ps, _ := training.New(h.st).Trainees(ctx, ""); len(ps) != 0 {
			t.Fatal("a refused person was stored")
		}

		st, loc, _ := form(t, "/kits/drafts", "version=2026.3")
		if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/kits/drafts/") {
			t.Fatalf("start a draft: %d %q", st, loc)
		}
		before, _ := kits.New(h.st).Draft(ctx, strings.TrimPrefix(loc, "/kits/drafts/"))
		st, _, page = form(t, loc+"/content", "content=%7B%22version%22%3A")
		if st != http.StatusUnprocessableEntity || !strings.Contains(page, "Correct the release&#39;s JSON") {
			t.Fatalf("malformed content: %d", st)
		}
		st, _, page = form(t, loc+"/publish", "")
		if st != http.StatusSeeOther {
			t.Fatalf("publish: %d %s", st, page)
		}
		st, _, page = form(t, loc+"/content", "content="+url.QueryEscape(before.Content))
		if st != http.StatusConflict || !strings.Contains(page, "never changes") {
			t.Fatalf("edit after publishing: %d", st)
		}
		st, _, page = form(t, "/kits/releases/2026.3/retire", "reason=")
		if st != http.StatusUnprocessableEntity || !strings.Contains(page, "Enter why the release is retired") {
			t.Fatalf("retire without a reason: %d", st)
		}
		if r, _ := h.st.ReleaseByVersion(ctx, "2026.3"); r.RetiredAt != nil || r.Version != "2026.3" {
			t.Fatalf("release after refused changes: %+v", r)
		}
	})
}
