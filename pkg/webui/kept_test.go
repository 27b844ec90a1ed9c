package webui

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

type keptForm struct {
	Name  string
	Notes string
	Tick  bool
	inner string
}

// TestShortenKept: a text over MaxKept is cut wherever a page's data holds
// it (a struct, a map, url.Values, nested); the rest is left as it is, and
// the caller's values are not changed.
func TestShortenKept(t *testing.T) {
	long := strings.Repeat("é", MaxKept+5)
	form := keptForm{Name: long, Notes: "short", Tick: true, inner: long}
	posted := url.Values{"a": {"x", long}}
	data := gin.H{"Form": form, "Posted": posted, "Nested": gin.H{"Form": &form, "Answers": map[string]string{"q": long}},
		"List": []string{"fine"}, "Title": "Page", "N": 3}
	ShortenKept(data)
	cut := strings.Repeat("é", MaxKept)
	if f := data["Form"].(keptForm); f.Name != cut || f.Notes != "short" || !f.Tick || f.inner != long {
		t.Errorf("the struct: %d characters, %+v", len([]rune(f.Name)), f.Notes)
	}
	if p := data["Posted"].(url.Values); p["a"][0] != "x" || p["a"][1] != cut {
		t.Errorf("url.Values not cut")
	}
	if a := data["Nested"].(gin.H)["Answers"].(map[string]string); a["q"] != cut {
		t.Errorf("a nested map not cut")
	}
	if form.Name != long || posted["a"][1] != long {
		t.Error("the caller's values were changed")
	}
	if data["Title"] != "Page" || data["N"] != 3 || data["List"].([]string)[0] != "fine" {
		t.Errorf("other data changed: %v", data)
	}
}
