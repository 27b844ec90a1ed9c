package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/webui"
)

// TestAuditPageNamesWhatWasCreated: an affiliate added on its form is
// named on the audit page's line of that addition, marked done; the same
// form sent again adds nothing and its line says so; an addition refused
// (no name) reads as refused with nothing changed, without an HTTP status.
func TestAuditPageNamesWhatWasCreated(t *testing.T) {
	eachHub(t, func(t *testing.T, h *hub) {
		cookie, csrf := h.pageLogin(t, "admin@example.org", store.RoleAdmin, "")
		post := func(form url.Values) int {
			form.Set("csrf", csrf)
			resp, _ := h.do(t, request{method: http.MethodPost, path: "/affiliates", body: []byte(form.Encode()),
				header: map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}})
			return resp.StatusCode
		}
		if st := post(url.Values{"name": {""}, "type": {"church"}, "state": {"NC"}}); st != http.StatusUnprocessableEntity {
			t.Fatalf("an affiliate without a name: %d", st)
		}
		// The form sent twice (one token): added once, the second line
		// says it was a repeat.
		once := webui.OnceToken()
		for i := range 2 {
			if st := post(url.Values{"name": {"Harbor Peer Center"}, "type": {"peer_run"}, "state": {"VA"}, webui.OnceField: {once}}); st != http.StatusSeeOther {
				t.Fatalf("an affiliate, send %d: %d", i+1, st)
			}
		}
		var added int64
		if err := h.st.DB.Table("organizations").Where("name = ?", "Harbor Peer Center").Count(&added).Error; err != nil || added != 1 {
			t.Fatalf("the form sent twice added %d affiliates (%v)", added, err)
		}
		resp, b := h.do(t, request{method: http.MethodGet, path: "/admin/audit", header: map[string]string{"Cookie": cookie}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("audit page: %d", resp.StatusCode)
		}
		var named, refused, repeat bool
		for _, row := range strings.Split(string(b), "<tr")[1:] {
			if !strings.Contains(row, "Added an affiliate") {
				continue
			}
			named = named || strings.Contains(row, "Harbor Peer Center") && strings.Contains(row, "Done")
			refused = refused || strings.Contains(row, "Refused: nothing was changed")
			repeat = repeat || strings.Contains(row, "Harbor Peer Center") && strings.Contains(row, webui.RepeatedOutcome)
		}
		if !named || !refused || !repeat {
			t.Errorf("audit page: the addition named and done %v, the refusal shown %v, the repeat shown %v", named, refused, repeat)
		}
		if strings.Contains(string(b), "Refused (") {
			t.Error("the audit page shows an HTTP status")
		}
	})
}
