package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/server"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// hospitalizationState is what a participant's hospitalization data and
// the outbox hold, to show a refused request changed nothing.
func (s *site) hospitalizationState(id string) (store.Hospitalizations, int64) {
	s.t.Helper()
	h, err := s.st.Outcomes.HospitalizationsOf(context.Background(), id)
	s.must(err)
	var n int64
	s.must(s.st.DB.Model(&store.SyncRecord{}).Where("type = ?", contract.TypeHospitalization).Count(&n).Error)
	return h, n
}

func TestHospitalizationsAPI(t *testing.T) {
	s := newSite(t)
	s.minGroup(1) // a site of two: the record must reach the outbox
	_, dir := s.user("dir@example.org", "Dana", store.RoleDirector)
	_, coach := s.user("casey@example.org", "Casey", store.RoleCoach)
	none := s.participant("Noconsent")
	in := store.ParticipantInput{FirstName: "Con", LastName: "Sent", BirthDate: "1985-02-03", EnrolledOn: "2026-01-12", InformedConsent: true, ManagesFinances: true,
		SetsGoals: true, AcceptsResponsibilities: true, AgreementSignedOn: "2026-01-12", HospitalizationConsentOn: "2026-01-12"}
	p, err := s.st.Participants.AddParticipant(context.Background(), in)
	s.must(err)
	base := "/api/v1/participants/" + p.ID

	var prob problem
	if st := s.call(dir, http.MethodPut, "/api/v1/participants/"+none.ID+"/hospitalizations/before", map[string]int{"before_count": 1}, &prob); st != 422 ||
		!prob.has("hospitalization_consent_on", "did not consent") {
		t.Fatalf("without consent: %d %s", st, prob.all())
	}
	before, outbox := s.hospitalizationState(p.ID)
	for _, c := range []struct {
		name, method, path, ctype, body string
		status                          int
		field                           string
	}{
		{"not JSON", http.MethodPut, "/hospitalizations/before", "text/plain", "3", 415, ""},
		{"broken JSON", http.MethodPut, "/hospitalizations/before", "application/json", "{", 400, ""},
		{"unknown field", http.MethodPut, "/hospitalizations/before", "application/json", `{"before_count":1,"name":"x"}`, 400, ""},
		{"no count", http.MethodPut, "/hospitalizations/before", "application/json", `{}`, 422, "before_count"},
		{"negative count", http.MethodPut, "/hospitalizations/before", "application/json", `{"before_count":-2}`, 422, "before_count"},
		{"count as text", http.MethodPut, "/hospitalizations/before", "application/json", `{"before_count":"two"}`, 400, ""},
		{"count with a fraction", http.MethodPut, "/hospitalizations/before", "application/json", `{"before_count":1.5}`, 422, "before_count"},
		{"count with an exponent", http.MethodPut, "/hospitalizations/before", "application/json", `{"before_count":1e3}`, 422, "before_count"},
		{"count past any int", http.MethodPut, "/hospitalizations/before", "application/json", `{"before_count":99999999999999999999}`, 422, "before_count"},
		{"stay before enrollment", http.MethodPost, "/hospitalizations/stays", "application/json", `{"admitted_on":"2025-12-01"}`, 422, "admitted_on"},
		{"stay in the future", http.MethodPost, "/hospitalizations/stays", "application/json", `{"admitted_on":"2026-07-01"}`, 422, "admitted_on"},
		{"stay not a date", http.MethodPost, "/hospitalizations/stays", "application/json", `{"admitted_on":"last week"}`, 422, "admitted_on"},
		{"unknown service", http.MethodPost, "/service-changes", "application/json", `{"service":"St. Canary","change":"started","changed_on":"2026-02-01"}`, 422, "service"},
		{"unknown change", http.MethodPost, "/service-changes", "application/json", `{"service":"day_program","change":"paused","changed_on":"2026-02-01"}`, 422, "change"},
		{"no such stay", http.MethodDelete, "/hospitalizations/stays/nope", "", "", 404, ""},
		{"no such change", http.MethodDelete, "/service-changes/nope", "", "", 404, ""},
	} {
		st, _, b := s.do(dir, c.method, base+c.path, c.ctype, strings.NewReader(c.body))
		if st != c.status || (c.field != "" && !strings.Contains(string(b), `"field":"`+c.field+`"`)) {
			t.Errorf("%s: %d %s", c.name, st, b)
		}
	}
	if after, n := s.hospitalizationState(p.ID); !reflect.DeepEqual(before, after) || n != outbox {
		t.Fatalf("refused requests changed something: %+v, %d records", after, n)
	}
	// A coach who does not have the participant may not see or record.
	if st := s.call(coach, http.MethodGet, base+"/hospitalizations", nil, nil); st != 403 {
		t.Fatalf("another coach: %d", st)
	}
	var h store.Hospitalizations
	if st := s.call(dir, http.MethodPut, base+"/hospitalizations/before", map[string]int{"before_count": 2}, &h); st != 200 || h.BeforeCount == nil || *h.BeforeCount != 2 {
		t.Fatalf("before count: %d %+v", st, h)
	}
	var stay store.HospitalStay
	if st := s.call(dir, http.MethodPost, base+"/hospitalizations/stays", map[string]string{"admitted_on": "2026-04-02"}, &stay); st != 201 || stay.ID == "" {
		t.Fatalf("stay: %d", st)
	}
	if st := s.call(dir, http.MethodPost, base+"/service-changes", map[string]string{"service": "day_program", "change": "started", "changed_on": "2026-05-01"}, nil); st != 201 {
		t.Fatalf("service change: %d", st)
	}
	if st := s.call(dir, http.MethodGet, base+"/hospitalizations", nil, &h); st != 200 || len(h.Stays) != 1 || len(h.ServiceChanges) != 1 || !h.Consented {
		t.Fatalf("read back: %d %+v", st, h)
	}
	if _, n := s.hospitalizationState(p.ID); n != 1 {
		t.Fatalf("%d hospitalization records in the outbox, want 1", n)
	}
	if n := countAudit(s.audit(p.ID), "Dana", "record_hospitalization"); n < 3 {
		t.Fatalf("%d audited hospitalization changes", n)
	}
}

func surveyAnswers(answer string) map[string]string {
	m := map[string]string{}
	for _, st := range program.Default().Survey.Statements {
		m[st.Code] = answer
	}
	return m
}

func TestSurveyAPI(t *testing.T) {
	s := newSite(t)
	_, dir := s.user("dir@example.org", "Dana", store.RoleDirector)
	waiting := func() int {
		var out struct{ Surveys []store.SurveyCount }
		if st := s.call(dir, http.MethodGet, "/api/v1/surveys", nil, &out); st != 200 {
			t.Fatalf("survey counts: %d", st)
		}
		n := 0
		for _, c := range out.Surveys {
			n += c.Waiting
		}
		return n
	}
	var prob problem
	for name, body := range map[string]any{
		"eligibility":       map[string]any{"timepoint": "eligibility", "answers": surveyAnswers("somewhat_agree")},
		"unknown answer":    map[string]any{"timepoint": "midpoint", "answers": map[string]string{"s01_meets_where_i_choose": "maybe"}},
		"unknown statement": map[string]any{"timepoint": "midpoint", "answers": map[string]string{"s99": "somewhat_agree"}},
		"no answers":        map[string]any{"timepoint": "closing"},
	} {
		if st := s.call(dir, http.MethodPost, "/api/v1/surveys", body, &prob); st != 422 {
			t.Errorf("%s: %d %s", name, st, prob.all())
		}
	}
	if st := s.call(dir, http.MethodPost, "/api/v1/surveys", map[string]any{"timepoint": "midpoint", "answers": surveyAnswers("definitely_agree"), "participant_id": "x"}, nil); st != 400 {
		t.Fatalf("a survey naming a participant: %d", st)
	}
	if waiting() != 0 {
		t.Fatal("refused surveys were stored")
	}
	if st := s.call("", http.MethodPost, "/api/v1/surveys", map[string]any{"timepoint": "midpoint", "answers": surveyAnswers("definitely_agree")}, nil); st != 401 {
		t.Fatalf("paper survey without sign-in: %d", st)
	}
	if st := s.call(dir, http.MethodPost, "/api/v1/surveys", map[string]any{"timepoint": "midpoint", "answers": surveyAnswers("definitely_agree")}, nil); st != 201 {
		t.Fatalf("paper survey: %d", st)
	}
	for _, n := range []int{0, 101} {
		if st := s.call(dir, http.MethodPost, "/api/v1/survey-codes", map[string]any{"timepoint": "closing", "count": n}, &prob); st != 422 || !prob.has("count", "1 to 100") {
			t.Fatalf("%d codes: %d %s", n, st, prob.all())
		}
	}
	var codes struct{ Codes []string }
	if st := s.call(dir, http.MethodPost, "/api/v1/survey-codes", map[string]any{"timepoint": "closing", "count": 2}, &codes); st != 201 || len(codes.Codes) != 2 {
		t.Fatalf("codes: %d %v", st, codes)
	}
	// The participant's own call: no sign-in, the code once.
	if st := s.call("", http.MethodPost, "/api/v1/survey/responses", map[string]any{"code": codes.Codes[0], "answers": map[string]string{"s01_meets_where_i_choose": "maybe"}}, &prob); st != 422 {
		t.Fatalf("bad answer with a code: %d", st)
	}
	if st := s.call("", http.MethodPost, "/api/v1/survey/responses", map[string]any{"code": codes.Codes[0], "answers": surveyAnswers("somewhat_agree")}, nil); st != 201 {
		t.Fatalf("with the code after a refused try: %d", st)
	}
	if st := s.call("", http.MethodPost, "/api/v1/survey/responses", map[string]any{"code": codes.Codes[0], "answers": surveyAnswers("somewhat_agree")}, &prob); st != 403 || !strings.Contains(prob.Detail, "used already") {
		t.Fatalf("the code again: %d %s", st, prob.Detail)
	}
	if waiting() != 2 {
		t.Fatalf("%d surveys waiting, want 2", waiting())
	}
}

// TestSurveyPages: paper entry and codes on the staff page; survey mode
// signs the staff member out and the device then shows only the survey.
func TestSurveyPages(t *testing.T) {
	s := newSite(t)
	s.user("dir@example.org", "Dana", store.RoleDirector)
	b := s.browser("dir@example.org")
	st, body := b.get("/surveys")
	mustContain(t, "surveys page", body, "My coach is willing and able to meet me where I choose", "Definitely agree", "Survey codes", "Survey mode")
	if st != 200 {
		t.Fatalf("surveys page: %d", st)
	}
	if st, body := b.post("/surveys", url.Values{"timepoint": {"midpoint"}, "s_s01_meets_where_i_choose": {"maybe"}}); st != 422 || !strings.Contains(body, "Choose one of the four answers") {
		t.Fatalf("bad paper survey: %d", st)
	}
	if st, body := b.post("/surveys", url.Values{"timepoint": {"midpoint"}, "model": {"peer_partners"}, "s_s01_meets_where_i_choose": {"somewhat_agree"}}); st != 200 || !strings.Contains(body, "Survey saved") {
		t.Fatalf("paper survey: %d", st)
	}
	st, body = b.post("/surveys/codes", url.Values{"timepoint": {"closing"}, "count": {"3"}})
	if st != 200 || strings.Count(body, "<li>") < 3 || !strings.Contains(body, "survey-codes-issued") {
		t.Fatalf("codes page: %d", st)
	}
	if st, _ := b.post("/surveys/device", url.Values{"timepoint": {"eligibility"}}); st != 422 {
		t.Fatalf("survey mode for eligibility: %d", st)
	}
	st, body = b.post("/surveys/device", url.Values{"timepoint": {"closing"}})
	if st != 200 || !strings.Contains(body, "How is the program working for you?") || strings.Contains(body, `name="code"`) {
		t.Fatalf("survey mode: %d", st)
	}
	for _, staff := range []string{"/participants", "/cohorts", "/coaches", "/surveys", "Sign out"} {
		if strings.Contains(body, staff) {
			t.Errorf("the survey page shows %q", staff)
		}
	}
	// The staff session ended: staff pages ask for a sign-in.
	if st, body := b.get("/participants"); st != 200 || !strings.Contains(body, `name="password"`) {
		t.Fatalf("a staff page after survey mode began: %d", st)
	}
	st, body = b.post("/survey", url.Values{"s_s04_respected_listened": {"definitely_agree"}})
	if st != 200 || !strings.Contains(body, "Thank you") || !strings.Contains(body, "Next person") {
		t.Fatalf("a survey in survey mode: %d", st)
	}
	st, body = b.post("/survey", url.Values{"s_s04_respected_listened": {"somewhat_agree"}})
	if st != 200 || !strings.Contains(body, "Thank you") {
		t.Fatalf("the next person: %d", st)
	}
	counts, err := s.st.Surveys.SurveyCounts(context.Background())
	s.must(err)
	total := 0
	for _, c := range counts {
		total += c.Waiting
	}
	if total != 3 {
		t.Fatalf("%d surveys, want 3", total)
	}
	if st, body := b.post("/survey/end", url.Values{}); st != 200 || !strings.Contains(body, `name="code"`) {
		t.Fatalf("after ending survey mode: %d", st)
	}
	// Without survey mode the page asks for a code; a wrong one is refused.
	jar, _ := cookiejar.New(nil)
	other := &browser{t: t, base: s.srv.URL, client: &http.Client{Jar: jar}}
	if st, body := other.post("/survey", url.Values{"code": {"WRONG-CODE1"}, "s_s04_respected_listened": {"somewhat_agree"}}); st != 422 || !strings.Contains(body, "not valid") {
		t.Fatalf("a wrong code: %d", st)
	}
}

// TestParticipantPageShowsOutcomes: the three interviews side by side
// with the change, hospitalizations (or why there are none) and the
// participation months.
func TestParticipantPageShowsOutcomes(t *testing.T) {
	s := newSite(t)
	s.user("dir@example.org", "Dana", store.RoleDirector)
	ctx := context.Background()
	p := s.participant("Pom")
	rel := program.Default()
	answers := func(friends bool) map[string]bool {
		m := map[string]bool{}
		for _, it := range rel.Asked() {
			m[it.Code] = it.Code == "pom20_have_friends" && friends
		}
		return m
	}
	_, err := s.st.Participants.RecordInterview(ctx, p.ID, "eligibility", store.InterviewInput{InterviewedOn: "2026-01-12", Answers: answers(false)})
	s.must(err)
	_, err = s.st.Participants.RecordInterview(ctx, p.ID, "midpoint", store.InterviewInput{InterviewedOn: "2026-06-15", Answers: answers(true)})
	s.must(err)
	b := s.browser("dir@example.org")
	body := ""
	for _, tab := range []string{"interviews", "hospitalizations", "participation"} {
		st, page := b.get("/participants/" + p.ID + "?tab=" + tab)
		if st != 200 {
			t.Fatalf("participant page, %s: %d", tab, st)
		}
		body += page
	}
	mustContain(t, "participant page", body, "pom-side-by-side", "▲ now present", "1 of 12", "hosp-no-consent", "Participation by program month")
	if st, body := b.post("/participants/"+p.ID+"/hospitalizations/before", url.Values{"before_count": {"2"}}); st != 422 || !strings.Contains(body, "did not consent") {
		t.Fatalf("hospitalization without consent through the page: %d", st)
	}
	// With consent: the forms, then what was recorded through them.
	in := store.ParticipantInput{FirstName: "Con", LastName: "Sent", BirthDate: "1985-02-03", EnrolledOn: "2026-01-12", InformedConsent: true, ManagesFinances: true,
		SetsGoals: true, AcceptsResponsibilities: true, AgreementSignedOn: "2026-01-12", HospitalizationConsentOn: "2026-01-12"}
	q, err := s.st.Participants.AddParticipant(ctx, in)
	s.must(err)
	st, body := b.get("/participants/" + q.ID + "?tab=hospitalizations")
	mustContain(t, "consented participant page", body, "hosp-before-form", "hosp-stay-form", "service-change-form", "not recorded yet")
	if st != 200 {
		t.Fatalf("consented participant page: %d", st)
	}
	if st, body := b.post("/participants/"+q.ID+"/hospitalizations/before", url.Values{"before_count": {"two"}}); st != 422 || !strings.Contains(body, "whole number") {
		t.Fatalf("a count in words: %d", st)
	}
	if st, body := b.post("/participants/"+q.ID+"/hospitalizations/stays", url.Values{"admitted_on": {"2025-01-01"}}); st != 422 || !strings.Contains(body, "program year") {
		t.Fatalf("a stay before enrollment: %d", st)
	}
	for path, form := range map[string]url.Values{
		"/hospitalizations/before": {"before_count": {"2"}},
		"/hospitalizations/stays":  {"admitted_on": {"2026-03-02"}},
		"/service-changes":         {"service": {"housing_support"}, "change": {"stopped"}, "changed_on": {"2026-04-02"}},
	} {
		if st, _ := b.post("/participants/"+q.ID+path, form); st != 200 {
			t.Fatalf("%s: %d", path, st)
		}
	}
	st, body = b.get("/participants/" + q.ID + "?tab=hospitalizations")
	mustContain(t, "after recording", body, "2 hospitalization(s)", "Mon 2 Mar 2026", "Housing support", "Stopped")
	if st != 200 {
		t.Fatalf("page after recording: %d", st)
	}
}

// TestSurveysAreNotLogged: the access log keeps no time of a survey.
func TestSurveysAreNotLogged(t *testing.T) {
	var buf syncBuffer
	st := openStore(t, func() time.Time { return siteDay })
	srv := httptest.NewServer(server.New(server.Config{}, st, slog.New(slog.NewJSONHandler(&buf, nil))).Handler())
	t.Cleanup(srv.Close)
	s := &site{t: t, st: st, srv: srv}
	codes, err := st.Surveys.IssueSurveyCodes(context.Background(), "midpoint", "", 1)
	s.must(err)
	if code := s.call("", http.MethodPost, "/api/v1/survey/responses", map[string]any{"code": codes[0], "answers": surveyAnswers("somewhat_agree")}, nil); code != 201 {
		t.Fatalf("survey: %d", code)
	}
	if code, _, _ := s.send("", http.MethodPost, "/survey", "application/x-www-form-urlencoded", strings.NewReader("code=x")); code != 422 {
		t.Fatalf("survey page: %d", code)
	}
	for _, path := range []string{"/survey", "/survey/thanks"} {
		if code, _, _ := s.send("", http.MethodGet, path, "", nil); code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
	}
	s.send("", http.MethodGet, "/healthz", "", nil)
	log := buf.String()
	if !strings.Contains(log, `"route":"/healthz"`) || strings.Contains(log, "survey") {
		t.Fatalf("access log:\n%s", log)
	}
}

// syncBuffer is a buffer the server's goroutines may write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }
