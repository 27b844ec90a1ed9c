package webui_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/itsmylife/iml/pkg/webui"
)

// onceServer is a form action behind webui.Once that counts what it
// carries out; answer decides each answer from the running count.
func onceServer(answer func(c *gin.Context, n int64)) (*gin.Engine, *atomic.Int64) {
	gin.SetMode(gin.TestMode)
	var done atomic.Int64
	r := gin.New()
	r.Use(webui.NewOnce().Handler(func(c *gin.Context) { c.String(http.StatusConflict, "sent already") },
		func(c *gin.Context, saved string) { c.String(http.StatusConflict, "changed since; saved at "+saved) }))
	r.POST("/add", func(c *gin.Context) { answer(c, done.Add(1)) })
	return r, &done
}

func postForm(r http.Handler, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/add", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// TestOnceCarriesOutAFormOnce: the same form (one token) sent 20 times at
// once is carried out once, and every answer sends the browser where the
// first went; forms without a token, or with another, are each carried out.
func TestOnceCarriesOutAFormOnce(t *testing.T) {
	r, done := onceServer(func(c *gin.Context, n int64) { c.Redirect(http.StatusSeeOther, "/added/1") })
	form := url.Values{"name": {"Ana"}, webui.OnceField: {webui.OnceToken()}}
	var wg sync.WaitGroup
	answers := make([]*httptest.ResponseRecorder, 20)
	for i := range answers {
		wg.Add(1)
		go func() { defer wg.Done(); answers[i] = postForm(r, form) }()
	}
	wg.Wait()
	if done.Load() != 1 {
		t.Fatalf("the same form sent 20 times was carried out %d times", done.Load())
	}
	for i, w := range answers {
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/added/1" {
			t.Errorf("answer %d: %d to %q, want 303 to the first's page", i, w.Code, w.Header().Get("Location"))
		}
	}
	postForm(r, url.Values{"name": {"Ana"}})
	postForm(r, url.Values{"name": {"Ana"}})
	postForm(r, url.Values{"name": {"Ana"}, webui.OnceField: {webui.OnceToken()}})
	if done.Load() != 4 {
		t.Errorf("forms without a token or with their own carried out %d times in all, want 4", done.Load())
	}
}

// TestOnceAfterARefusal: a form refused (nothing saved) may be sent again
// with its token, as after correcting it; one carried out with a page of
// its own (no redirect) is refused the second time.
func TestOnceAfterARefusal(t *testing.T) {
	r, done := onceServer(func(c *gin.Context, n int64) {
		switch n {
		case 1:
			c.String(http.StatusUnprocessableEntity, "check the name")
		default:
			c.String(http.StatusOK, "added")
		}
	})
	form := url.Values{"name": {"Ana"}, webui.OnceField: {webui.OnceToken()}}
	if w := postForm(r, form); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("first: %d", w.Code)
	}
	if w := postForm(r, form); w.Code != http.StatusOK {
		t.Fatalf("sent again after the refusal: %d, want it carried out", w.Code)
	}
	if w := postForm(r, form); w.Code != http.StatusConflict || done.Load() != 2 {
		t.Fatalf("sent a third time: %d, carried out %d times; want 409 and 2", w.Code, done.Load())
	}
}

// TestOnceChangedContent: a form sent again with its token but other
// content (edited after it was sent) is not taken for a repeat: it is
// answered as changed, with where the first went, and nothing is done;
// sent again as the first was (whatever the order of its fields and
// another CSRF token), it is a repeat as before.
func TestOnceChangedContent(t *testing.T) {
	r, done := onceServer(func(c *gin.Context, n int64) { c.Redirect(http.StatusSeeOther, "/added/1") })
	token := webui.OnceToken()
	first := url.Values{"name": {"Ana"}, "city": {"Lima"}, "csrf": {"a"}, webui.OnceField: {token}}
	if w := postForm(r, first); w.Code != http.StatusSeeOther {
		t.Fatalf("first: %d", w.Code)
	}
	for _, changed := range []url.Values{
		{"name": {"Bea"}, "city": {"Lima"}, webui.OnceField: {token}},
		{"name": {"Ana"}, webui.OnceField: {token}},
		{"name": {"Ana"}, "city": {"Lima"}, "note": {""}, webui.OnceField: {token}},
		{"name": {"Ana", "Lima"}, "city": {""}, webui.OnceField: {token}},
		{"name": {"AnaLima"}, "city": {""}, webui.OnceField: {token}},
	} {
		w := postForm(r, changed)
		if w.Code != http.StatusConflict || w.Body.String() != "changed since; saved at /added/1" {
			t.Errorf("sent again changed (%v): %d %q, want the changed answer", changed, w.Code, w.Body.String())
		}
	}
	if done.Load() != 1 {
		t.Fatalf("carried out %d times, want 1", done.Load())
	}
	same := postForm(r, url.Values{"city": {"Lima"}, "name": {"Ana"}, "csrf": {"b"}, webui.OnceField: {token}})
	if same.Code != http.StatusSeeOther || same.Header().Get("Location") != "/added/1" || done.Load() != 1 {
		t.Errorf("sent again as it was: %d to %q, carried out %d times; want 303 to the first's page, once", same.Code, same.Header().Get("Location"), done.Load())
	}
}

// TestOnceChangedFile: a multipart form sent again with its token is a
// repeat only with the same files: another content of the same name and
// size is a change.
func TestOnceChangedFile(t *testing.T) {
	r, done := onceServer(func(c *gin.Context, n int64) { c.Redirect(http.StatusSeeOther, "/added/1") })
	token := webui.OnceToken()
	send := func(content string) *httptest.ResponseRecorder {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField(webui.OnceField, token)
		_ = mw.WriteField("name", "Ana")
		fw, _ := mw.CreateFormFile("file", "receipt.txt")
		_, _ = fw.Write([]byte(content))
		_ = mw.Close()
		req := httptest.NewRequest(http.MethodPost, "/add", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	if w := send("first"); w.Code != http.StatusSeeOther {
		t.Fatalf("first: %d", w.Code)
	}
	if w := send("other"); w.Code != http.StatusConflict {
		t.Errorf("another file of the same name and size: %d, want 409", w.Code)
	}
	if w := send("first"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/added/1" {
		t.Errorf("the same file again: %d to %q, want 303 to the first's page", w.Code, w.Header().Get("Location"))
	}
	if done.Load() != 1 {
		t.Errorf("carried out %d times, want 1", done.Load())
	}
}
