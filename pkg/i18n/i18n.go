// Package i18n holds the languages participants may read their pages in,
// and the catalogue of messages a translator edits: one JSON file per
// language in locales/ (locales/es.json), each mapping the English text of
// a message to its translation. The English text is the key, so a page
// written in English needs nothing more, and a message missing from a
// catalogue shows in English rather than not at all (the tests say which
// are missing).
//
// Formatting verbs (%d, %s, %v) in a message must appear in its
// translation in the same number and order; golang.org/x/text/message
// fills them.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"github.com/itsmylife/iml/pkg/jsonx"
)

// English and Spanish are the languages participant pages are offered in;
// English is the default.
const (
	English = "en"
	Spanish = "es"
)

// Languages lists the codes offered, the default first, with the name of
// each in its own language (for the language switch).
var Languages = []struct{ Code, Name string }{{English, "English"}, {Spanish, "Español"}}

// Cookie is the cookie that keeps a participant's choice.
const Cookie = "iml_lang"

//go:embed locales/*.json
var locales embed.FS

// Catalog is the messages of every language.
type Catalog struct {
	builder  *catalog.Builder
	messages map[string]map[string]string // language → English → translation
	printers sync.Map                     // language → *message.Printer
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Default is the catalogue built into the program. It panics if a locale
// file is malformed (a test reads them all).
func Default() *Catalog {
	defaultOnce.Do(func() { defaultCat, defaultErr = Load(locales) })
	if defaultErr != nil {
		panic(defaultErr)
	}
	return defaultCat
}

var verbRE = regexp.MustCompile(`%[-+# 0-9.*]*[a-zA-Z%]`)

// Verbs lists the formatting verbs of a message, in order.
func Verbs(s string) []string { return verbRE.FindAllString(s, -1) }

// Load reads locales/<code>.json from fsys for every language but English.
func Load(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{builder: catalog.NewBuilder(catalog.Fallback(language.English)), messages: map[string]map[string]string{}}
	for _, l := range Languages[1:] {
		raw, err := fs.ReadFile(fsys, path.Join("locales", l.Code+".json"))
		if err != nil {
			return nil, err
		}
		var m map[string]string
		if err := jsonx.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("locales/%s.json: %w", l.Code, err)
		}
		tag := language.MustParse(l.Code)
		for en, tr := range m {
			if !slices.Equal(Verbs(en), Verbs(tr)) {
				return nil, fmt.Errorf("locales/%s.json: %q has verbs %v, its translation %v", l.Code, en, Verbs(en), Verbs(tr))
			}
			if err := c.builder.SetString(tag, en, tr); err != nil {
				return nil, err
			}
		}
		c.messages[l.Code] = m
	}
	return c, nil
}

// Has reports whether lang's catalogue translates key (English always
// has it).
func (c *Catalog) Has(lang, key string) bool {
	if lang == English {
		return true
	}
	_, ok := c.messages[lang][key]
	return ok
}

// Keys lists the messages of a language's catalogue.
func (c *Catalog) Keys(lang string) []string {
	var out []string
	for k := range c.messages[lang] {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// T translates key into lang, filling its verbs with args.
func (c *Catalog) T(lang, key string, args ...any) string {
	p, ok := c.printers.Load(lang)
	if !ok {
		p, _ = c.printers.LoadOrStore(lang, message.NewPrinter(language.Make(Supported(lang)), message.Catalog(c.builder)))
	}
	return p.(*message.Printer).Sprintf(key, args...)
}

// Text translates a text that is not a format (a release's journal
// prompt or survey statement, a message marked with M): its translation
// as it is written, else the text itself.
func (c *Catalog) Text(lang, text string) string {
	if tr, ok := c.messages[lang][text]; ok {
		return tr
	}
	return text
}

// M marks a message a participant may read that is translated where it is
// shown, not where it is written (a store's refusal, an error page's
// text): it returns msg. The agent's tests find every M call and check the
// catalogue translates it.
func M(msg string) string { return msg }

// Supported returns lang if it is offered, else English.
func Supported(lang string) string {
	for _, l := range Languages {
		if l.Code == lang {
			return lang
		}
	}
	return English
}

var matcher = language.NewMatcher([]language.Tag{language.English, language.Spanish})

// Pick returns the language of a request: a ?lang= the participant chose
// (kept in a cookie for their next pages), else the cookie, else the
// browser's Accept-Language, else English.
func Pick(c *gin.Context, secure bool) string {
	if q := c.Query("lang"); q != "" {
		lang := Supported(q)
		http.SetCookie(c.Writer, &http.Cookie{Name: Cookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
		return lang
	}
	if v, err := c.Cookie(Cookie); err == nil {
		return Supported(v)
	}
	if al := c.GetHeader("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, i, conf := matcher.Match(tags...)
			if conf >= language.High && i < len(Languages) {
				return Languages[i].Code
			}
		}
	}
	return English
}

// ContextKey is where Middleware leaves the language of a request.
const ContextKey = "iml.lang"

// Middleware picks the language of each request (Pick) and leaves it in
// the context under ContextKey.
func Middleware(secure bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(ContextKey, Pick(c, secure))
		c.Next()
	}
}

// Lang is the language Middleware picked for a request (English without).
func Lang(c *gin.Context) string {
	if v, ok := c.Get(ContextKey); ok {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return English
}

// TemplateCalls finds the messages a template asks for with the t
// function ({{t .Lang "English text" ...}}, or as an argument, (t .Lang
// "English text")), for tests that check a catalogue has them all.
func TemplateCalls(src string) []string {
	var out []string
	for _, m := range tCallRE.FindAllStringSubmatch(src, -1) {
		out = append(out, strings.ReplaceAll(m[1], `\"`, `"`))
	}
	return out
}

var tCallRE = regexp.MustCompile(`(?:\{\{-?|\()\s*t\s+\S+\s+"((?:[^"\\]|\\.)*)"`)
