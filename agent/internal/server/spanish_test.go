package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/i18n"
	"github.com/itsmylife/iml/pkg/program"
)

// getWith opens path on the site with a new client that sends hdr, or
// with b's client when b is not nil; it returns the status, the headers
// and the page.
func getWith(t *testing.T, s *site, b *browser, path string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	client := &http.Client{}
	if b != nil {
		client = b.client
	}
	req, err := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	return res.StatusCode, res.Header, buf.String()
}

// TestLanguageChoice: a participant's page is in the language chosen with
// ?lang= (kept in a cookie), else the browser's; anything else is
// English, and staff pages are always English.
func TestLanguageChoice(t *testing.T) {
	s := newSite(t)
	spanish := []string{`<html lang="es">`, "<h1>Inicia sesión en tu diario</h1>", "Nombre de usuario", `<button type="submit">Iniciar sesión</button>`}
	english := []string{`<html lang="en">`, "<h1>Sign in to your journal</h1>", "Sign-in name"}

	// ?lang=es sets the cookie; the next page keeps Spanish without it.
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: s.srv.URL, client: &http.Client{Jar: jar}}
	st, h, body := getWith(t, s, b, "/journal/login?lang=es", nil)
	mustContain(t, "?lang=es", body, spanish...)
	if st != 200 || !strings.Contains(h.Get("Set-Cookie"), "iml_lang=es") {
		t.Fatalf("?lang=es: %d, Set-Cookie %q", st, h.Get("Set-Cookie"))
	}
	_, _, body = getWith(t, s, b, "/journal/start", nil)
	mustContain(t, "cookie kept", body, `<html lang="es">`, "<h1>Empieza tu diario</h1>", "Código de inicio")
	// The switch goes back to English on the same page.
	mustContain(t, "switch", body, `<nav class="lang" aria-label="Idioma">`, `href="/journal/start?lang=en" lang="en" hreflang="en">English</a>`,
		`href="/journal/start?lang=es" lang="es" hreflang="es" aria-current="true">Español</a>`)
	_, _, body = getWith(t, s, b, "/journal/start?lang=en", nil)
	mustContain(t, "back to English", body, `<html lang="en">`, "<h1>Start your journal</h1>")
	if _, _, body = getWith(t, s, b, "/journal/login", nil); !strings.Contains(body, `<html lang="en">`) {
		t.Error("the choice of English was not kept")
	}

	// The browser's languages choose when the participant has not.
	_, h, body = getWith(t, s, nil, "/journal/login", map[string]string{"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
	mustContain(t, "Accept-Language es", body, spanish...)
	if h.Get("Set-Cookie") != "" && strings.Contains(h.Get("Set-Cookie"), "iml_lang") {
		t.Errorf("Accept-Language set a cookie: %q", h.Get("Set-Cookie"))
	}
	_, _, body = getWith(t, s, nil, "/survey", map[string]string{"Accept-Language": "es"})
	mustContain(t, "survey, Accept-Language es", body, `<html lang="es">`, "¿Cómo te está funcionando el programa?", "Totalmente de acuerdo", "Mi coach me respeta y me escucha")

	// Garbage is refused to English.
	for _, c := range []struct {
		path string
		hdr  map[string]string
	}{
		{"/journal/login?lang=xx", nil},
		{"/journal/login?lang=%3Cscript%3E", nil},
		{"/journal/login", map[string]string{"Cookie": "iml_lang=<script>"}},
		{"/journal/login", map[string]string{"Accept-Language": strings.Repeat("es;q=x,", 500)}},
		{"/journal/login", map[string]string{"Accept-Language": "de-DE,fr;q=0.8"}},
	} {
		st, h, body := getWith(t, s, nil, c.path, c.hdr)
		mustContain(t, c.path+" "+strings.Join(mapValues(c.hdr), ""), body, english...)
		if st != 200 || strings.Contains(h.Get("Set-Cookie"), "iml_lang=es") || strings.Contains(body, "script&gt;") {
			t.Errorf("%s: %d %q", c.path, st, h.Get("Set-Cookie"))
		}
	}

	// Staff pages are English whatever the participant chose, with no
	// switch; a participant's error page is in their language.
	_, _, body = getWith(t, s, b, "/login?lang=es", map[string]string{"Accept-Language": "es"})
	if !strings.Contains(body, `<html lang="en">`) || strings.Contains(body, `class="lang"`) {
		t.Error("a staff page in Spanish or with the language switch")
	}
	st, _, body = getWith(t, s, b, "/journal/nowhere?lang=es", nil)
	mustContain(t, "participant's 404", body, `<html lang="es">`, "<h1>No se encontró</h1>", "No hay ninguna página en esta dirección.", `<a href="/journal">Volver a la página de inicio</a>`)
	if st != 404 {
		t.Errorf("404 page: %d", st)
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestSpanishJournal: a participant signs in and writes their week in
// Spanish; what is stored is the same as from the English page.
func TestSpanishJournal(t *testing.T) {
	s := newMTSite(t)
	ctx := context.Background()
	ann := s.members[0]
	login, code := s.issueAccess(ann)
	b := s.startJournal(login, code, "864213")
	if st, body := b.post("/journal/logout", url.Values{}); st != 200 || !strings.Contains(body, "Sign in to your journal") {
		t.Fatalf("sign out: %d", st)
	}
	st, body := b.get("/journal/login?lang=es")
	if st != 200 || !strings.Contains(body, "Inicia sesión en tu diario") {
		t.Fatalf("Spanish sign-in: %d", st)
	}
	if st, body := b.fill("/journal/login", url.Values{"login": {login}, "pin": {"000000"}}); st != 401 || !strings.Contains(body, "El nombre de usuario o el PIN no es correcto: revisa") {
		t.Fatalf("a wrong PIN in Spanish: %d", st)
	}
	st, body = b.fill("/journal/login", url.Values{"login": {login}, "pin": {"864213"}})
	mustContain(t, "Spanish journal", body, `<html lang="es">`, "<h1>Mi diario</h1>", "Hola, Ann.", "La semana del lunes 15 de junio",
		"Semana del lunes 8 de junio", "Todavía sin escribir", "Resumen de mi semana", "Guardar mi diario", "Cerrar sesión (Ann)")
	if st != 200 {
		t.Fatalf("Spanish journal: %d", st)
	}
	b.csrf = csrfRE.FindStringSubmatch(body)[1]
	// Nothing written: the mistake in Spanish, the question translated.
	st, body = b.post("/journal", url.Values{"week_start": {"2026-06-15"}, "a_week_summary": {"  "}})
	mustContain(t, "an empty week", body, "Revisa tu diario; no se guardó nada.", "Respuestas: Responde al menos una de las preguntas del diario")
	if st != 422 {
		t.Fatalf("an empty week: %d", st)
	}
	// A week that cannot be written: said in Spanish, to the participant,
	// with the dates in words.
	enrolled, err := time.Parse(time.DateOnly, ann.EnrolledOn)
	s.must(err)
	for week, want := range map[string]string{
		"2026-06-22": "Semana: la semana del lunes 22 de junio aún no ha empezado: elige una semana de la lista",
		"2020-01-06": "Semana: la semana del lunes 6 de enero de 2020 empieza antes de tu inscripción, el " + i18n.Date(i18n.Spanish, enrolled, siteDay) + ": elige una semana de la lista",
		"2026-06-16": "Semana: martes 16 de junio no es lunes: elige una semana de la lista",
	} {
		st, body = b.post("/journal", url.Values{"week_start": {week}, "a_week_summary": {"Fui al club de lectura."}})
		if st != 422 || !strings.Contains(body, want) || strings.Contains(body, "the participant") || strings.Contains(body, week+" ") {
			t.Errorf("week %s: %d, does not say %q", week, st, want)
		}
	}
	st, body = b.post("/journal", url.Values{"week_start": {"2026-06-15"}, "a_week_summary": {"Fui al club de lectura."}})
	mustContain(t, "saved", body, "Guardamos tu diario de la semana del lunes 15 de junio. Tu coach lo leerá.", "Escrito por ti; esperando a que tu coach lo lea", "Lo que escribí")
	if st != 200 {
		t.Fatalf("save: %d", st)
	}
	es, err := s.st.Journals.Journals(ctx, ann.ID)
	s.must(err)
	if len(es) != 1 || es[0].WeekStart != "2026-06-15" || es[0].EnteredByKind != store.EnteredByParticipant || len(es[0].AnswersOf()) != 1 || es[0].AnswersOf()["week_summary"] != "Fui al club de lectura." {
		t.Fatalf("stored: %+v", es)
	}
	// The coach reads it: the week's state says so, with the day in Spanish.
	_, err = s.st.Journals.ReviewJournal(ctx, ann.ID, "2026-06-15", s.caseyUser.ID)
	s.must(err)
	_, body = b.get("/journal")
	mustContain(t, "read", body, "Leído por Casey el 20 de junio")
}

// TestSpanishSurveyCountsTheSame: a survey sent from the Spanish page is
// stored, counted and sent upstream exactly as one sent from the English
// page with the same answers.
func TestSpanishSurveyCountsTheSame(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	_, dir := s.user("dir@example.org", "Dana", store.RoleDirector)
	var codes struct{ Codes []string }
	if st := s.call(dir, http.MethodPost, "/api/v1/survey-codes", map[string]any{"timepoint": "midpoint", "count": 2}, &codes); st != 201 || len(codes.Codes) != 2 {
		t.Fatalf("codes: %d", st)
	}
	rel := program.Default()
	form := url.Values{}
	for i, st := range rel.Survey.Statements {
		form.Set("s_"+st.Code, rel.Survey.Answers[i%len(rel.Survey.Answers)].Code)
	}
	send := func(lang, code, want string) {
		jar, _ := cookiejar.New(nil)
		b := &browser{t: t, base: s.srv.URL, client: &http.Client{Jar: jar}}
		st, body := b.get("/survey?lang=" + lang)
		if st != 200 || !strings.Contains(body, `<html lang="`+lang+`">`) {
			t.Fatalf("%s survey page: %d", lang, st)
		}
		f := url.Values{"code": {code}}
		for k, v := range form {
			f[k] = v
		}
		st, body = b.post("/survey", f)
		if st != 200 || !strings.Contains(body, want) {
			t.Fatalf("%s survey: %d, no %q", lang, st, want)
		}
	}
	send("en", codes.Codes[0], "Your answers were saved.")
	send("es", codes.Codes[1], "Tus respuestas se guardaron.")

	counts, err := s.st.Surveys.SurveyCounts(ctx)
	s.must(err)
	if len(counts) != 1 || counts[0].Timepoint != contract.TimepointMidpoint || counts[0].Waiting != 2 {
		t.Fatalf("counts: %+v", counts)
	}
	if n, err := s.st.Surveys.ReleaseSurveys(ctx, 2); err != nil || n != 2 {
		t.Fatalf("release: %d %v", n, err)
	}
	batch, err := s.st.Outbox.PendingBatch(ctx, 0, 100, 1<<20)
	s.must(err)
	var payloads []string
	for _, r := range batch.Records {
		if r.Type == contract.TypeSurveyResponse {
			payloads = append(payloads, string(r.Data))
		}
	}
	if len(payloads) != 2 || payloads[0] != payloads[1] {
		t.Fatalf("the upstream payloads differ:\n%s", strings.Join(payloads, "\n"))
	}
	for _, st := range rel.Survey.Statements {
		if !strings.Contains(payloads[0], `"`+st.Code+`":"`) {
			t.Errorf("payload has no answer to %s: %s", st.Code, payloads[0])
		}
	}
	for _, a := range rel.Survey.Answers {
		if strings.Contains(payloads[0], a.Text) {
			t.Errorf("payload holds the answer's label %q, not its code: %s", a.Text, payloads[0])
		}
	}
	t.Logf("payload: %s", payloads[0])
}
