package i18n_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/i18n"
)

func TestCatalogTranslates(t *testing.T) {
	c, err := i18n.Load(fstest.MapFS{"locales/es.json": {Data: []byte(`{"You wrote %d entries.": "Escribiste %d entradas.", "Sign in": "Iniciar sesión"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T("es", "You wrote %d entries.", 3); got != "Escribiste 3 entradas." {
		t.Errorf("es: %q", got)
	}
	if got := c.T("en", "You wrote %d entries.", 3); got != "You wrote 3 entries." {
		t.Errorf("en: %q", got)
	}
	if got := c.T("es", "Not translated yet"); got != "Not translated yet" {
		t.Errorf("missing message: %q", got)
	}
	if got := c.T("fr", "Sign in"); got != "Sign in" {
		t.Errorf("unsupported language: %q", got)
	}
	if !c.Has("es", "Sign in") || c.Has("es", "Sign out") || !c.Has("en", "anything") {
		t.Error("Has")
	}
}

func TestCatalogRefusesBadTranslations(t *testing.T) {
	for name, body := range map[string]string{
		"verb lost":    `{"%d entries": "entradas"}`,
		"verb changed": `{"%d entries": "%s entradas"}`,
		"not json":     `{"a": }`,
		"duplicate":    `{"a": "b", "a": "c"}`,
	} {
		if _, err := i18n.Load(fstest.MapFS{"locales/es.json": {Data: []byte(body)}}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPick(t *testing.T) {
	gin.SetMode(gin.TestMode)
	pick := func(target string, hdr map[string]string) (string, *httptest.ResponseRecorder) {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest(http.MethodGet, target, nil)
		for k, v := range hdr {
			c.Request.Header.Set(k, v)
		}
		return i18n.Pick(c, false), w
	}
	if l, w := pick("/journal?lang=es", nil); l != "es" || !strings.Contains(w.Header().Get("Set-Cookie"), "iml_lang=es") {
		t.Errorf("query: %s %q", l, w.Header().Get("Set-Cookie"))
	}
	if l, _ := pick("/journal?lang=xx", nil); l != "en" {
		t.Errorf("unknown query: %s", l)
	}
	if l, _ := pick("/journal", map[string]string{"Cookie": "iml_lang=es"}); l != "es" {
		t.Errorf("cookie: %s", l)
	}
	if l, _ := pick("/journal", map[string]string{"Cookie": "iml_lang=<script>"}); l != "en" {
		t.Errorf("hostile cookie: %s", l)
	}
	if l, _ := pick("/journal", map[string]string{"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}); l != "es" {
		t.Errorf("accept-language: %s", l)
	}
	if l, _ := pick("/journal", map[string]string{"Accept-Language": "de-DE"}); l != "en" {
		t.Errorf("german: %s", l)
	}
	if l, _ := pick("/journal", map[string]string{"Accept-Language": strings.Repeat("x;q=", 5000)}); l != "en" {
		t.Errorf("garbage header: %s", l)
	}
}

func TestTemplateCalls(t *testing.T) {
	got := i18n.TemplateCalls(`<h1>{{t .Lang "Sign in to your journal"}}</h1>{{- t $.Lang "You wrote %d entries." .N}} {{.Other "x"}} {{t .Lang "Say \"hi\""}} {{template "x" (arr 1 (t .Lang "As an argument"))}}`)
	want := []string{"Sign in to your journal", "You wrote %d entries.", `Say "hi"`, "As an argument"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%q", got)
	}
}

// TestDefaultCatalogue: the catalogue built into the programs loads, and
// every message of it keeps its verbs (Load checks) and is translated.
func TestDefaultCatalogue(t *testing.T) {
	c := i18n.Default()
	keys := c.Keys("es")
	if len(keys) < 50 {
		t.Fatalf("only %d Spanish messages", len(keys))
	}
	for _, k := range keys {
		if tr := c.T("es", k); strings.TrimSpace(tr) == "" {
			t.Errorf("%q has an empty translation", k)
		}
	}
	if got := c.T("es", "Week of %s", "7 Dec"); got != "Semana del 7 Dec" {
		t.Errorf("%q", got)
	}
}

func TestText(t *testing.T) {
	c, err := i18n.Load(fstest.MapFS{"locales/es.json": {Data: []byte(`{"Half of it (50%)": "La mitad (50%)"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Text("es", "Half of it (50%)"); got != "La mitad (50%)" {
		t.Errorf("es: %q", got)
	}
	if got := c.Text("es", "Not there, 50%"); got != "Not there, 50%" {
		t.Errorf("missing: %q", got)
	}
	if got := c.Text("en", "Half of it (50%)"); got != "Half of it (50%)" {
		t.Errorf("en: %q", got)
	}
}
