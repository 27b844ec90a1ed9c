package cluster_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/itsmylife/iml/pkg/cluster"
)

// TestSpanishJournalInABrowser: a participant chooses Spanish, starts
// their journal, writes a week, signs out and in again, on a phone (390
// px) and on a desktop (1280 px) window; every Spanish page is in Spanish,
// fits the window and has no serious or critical accessibility violation
// (axe-core, WCAG 2.1 AA).
func TestSpanishJournalInABrowser(t *testing.T) {
	bctx, a, dir := demoInBrowser(t, "spanish")
	ctx := context.Background()
	people := participantsOf(t, a, dir, 2)
	w := &walker{t: t, ctx: bctx, base: a.URL()}
	checked := func(width int, name string) {
		t.Helper()
		w.see("html", "") // the page is there
		if lang := walkEval[string](w, "document.documentElement.lang"); lang != "es" {
			w.fail("%s: <html lang=%q>", name, lang)
		}
		if over := walkEval[float64](w, "document.documentElement.scrollWidth - window.innerWidth"); over > 1 {
			w.fail("%s is %.0f px wider than a %d px window", name, over, width)
		}
		vs, err := cluster.Axe(bctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			t.Errorf("%s at %d px: %s", name, width, v)
		}
		t.Logf("screenshot: %s", screenshot(t, bctx, fmt.Sprintf("es-%s-%d", name, width)))
	}

	for i, width := range []int{390, 1280} {
		var access struct {
			Access struct {
				Login string `json:"login"`
			} `json:"access"`
			StartCode string `json:"start_code"`
		}
		if st, err := cluster.JSON(ctx, http.MethodPost, a.URL()+"/api/v1/participants/"+people[i].ID+"/journal-access", dir, nil, &access); err != nil || st != http.StatusCreated {
			t.Fatalf("journal access: %d %v", st, err)
		}
		do(t, bctx, chromedp.EmulateViewport(int64(width), 900))

		// The sign-in page in English; the participant chooses Spanish
		// with the keyboard.
		w.open("/journal/login?lang=en")
		w.see("h1", "Sign in to your journal")
		do(t, bctx, chromedp.Focus(chromedp.CSS(`nav.lang a[lang="es"]`)), chromedp.KeyEvent(kb.Enter))
		w.see("h1", "Inicia sesión en tu diario")
		w.see("nav.lang", "English", "Español")
		checked(width, "sign-in")

		w.submit(`a[href="/journal/start"]`, http.StatusOK)
		w.see("h1", "Empieza tu diario")
		checked(width, "start")
		w.fill("#login", access.Access.Login)
		w.fill("#code", access.StartCode)
		w.fill("#pin", "482916")
		w.fill("#pin2", "482916")
		w.submit(`#start-form button[type="submit"]`, http.StatusOK)
		w.see("h1", "Mi diario")
		w.see("#own-weeks", "Semana del ")
		week := walkEval[string](w, `document.querySelector("#own-journal-form input[name=week_start]").value`)
		w.see("#write", "La semana del ")
		w.see("#own-journal-form", "Resumen de mi semana", "Guardar mi diario")
		checked(width, "journal")

		w.fill("#a_week_summary", "Fui al club de lectura y hablé con dos personas.")
		w.submit(`#own-journal-form button[type="submit"]`, http.StatusOK)
		w.see("#journal-saved", "Guardamos tu diario de la semana del ")
		w.see("#week-"+week, "Escrito por ti; esperando a que tu coach lo lea")
		w.click("#week-" + week + " details summary")
		w.see("#week-"+week, "Lo que escribí", "Fui al club de lectura")
		checked(width, "journal-saved")

		// Signed out and in again: Spanish is kept.
		w.submit(`header form[action="/journal/logout"] button`, http.StatusOK)
		w.see("h1", "Inicia sesión en tu diario")
		w.fill("#login", access.Access.Login)
		w.fill("#pin", "000000")
		w.submit(`#journal-login button[type="submit"]`, http.StatusUnauthorized)
		w.see("#error-summary", "El nombre de usuario o el PIN no es correcto")
		w.see("#err-pin", "revisa tu nombre de usuario")
		checked(width, "sign-in-error")
		w.fill("#pin", "482916")
		w.submit(`#journal-login button[type="submit"]`, http.StatusOK)
		w.see("h1", "Mi diario")
		w.see("#week-"+week, "Escrito por ti")
		w.submit(`header form[action="/journal/logout"] button`, http.StatusOK)

		// The anonymous survey in Spanish.
		w.open("/survey")
		w.see("h1", "¿Cómo te está funcionando el programa?")
		w.see("#survey-form", "Totalmente de acuerdo", "Código de encuesta")
		checked(width, "survey")
	}
}
