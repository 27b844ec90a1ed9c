package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/webui"
)

// TestAffiliateFormSentAgainChanged: the add-affiliate form sent, then
// edited and sent again with the same token, is not taken for a repeat:
// the second answer is a 409 page linking to the affiliate the first
// added and saying the changes were not saved, and nothing else is added;
// sent again as it first was, it goes where the first went, adding nothing.
func TestAffiliateFormSentAgainChanged(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		cookie, csrf := h.pageLogin(t, "admin@example.org", store.RoleAdmin, "")
		once := webui.OnceToken()
		post := func(name string) (*answer, string) {
			form := url.Values{"name": {name}, "type": {"peer_run"}, "state": {"VA"}, "csrf": {csrf}, webui.OnceField: {once}}
			resp, b := h.do(t, request{method: http.MethodPost, path: "/affiliates", body: []byte(form.Encode()),
				header: map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}})
			return resp, string(b)
		}
		count := func(name string) int64 {
			var n int64
			if err := h.st.DB.Table("organizations").Where("name = ?", name).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		first, _ := post("Harbor Peer Center")
		saved := first.Header.Get("Location")
		if first.StatusCode != http.StatusSeeOther || !strings.HasPrefix(saved, "/affiliates/") {
			t.Fatalf("first sending: %d to %q", first.StatusCode, saved)
		}
		resp, page := post("Harbour Peer Centre")
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("sent again with another name: %d, want 409", resp.StatusCode)
		}
		for _, want := range []string{`href="` + saved + `"`, "This form was already sent and saved",
			"What you changed since was not saved: open the form again and send your changes."} {
			if !strings.Contains(page, want) {
				t.Errorf("the page of the changed form does not show %q", want)
			}
		}
		if n := count("Harbour Peer Centre"); n != 0 {
			t.Errorf("the changed form added %d affiliates", n)
		}
		again, _ := post("Harbor Peer Center")
		if again.StatusCode != http.StatusSeeOther || again.Header.Get("Location") != saved {
			t.Errorf("sent again unchanged: %d to %q, want 303 to %q", again.StatusCode, again.Header.Get("Location"), saved)
		}
		if n := count("Harbor Peer Center"); n != 1 {
			t.Errorf("the form sent three times added %d affiliates", n)
		}
	})
}
