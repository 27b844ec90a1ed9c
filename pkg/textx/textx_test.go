package textx

import "testing"

func TestClean(t *testing.T) {
	for s, want := range map[string]bool{
		"Ana María Núñez": true, "line one\nline two\r\n\tindented": true, "日本語 😀": true, "": true,
		"a\x00b": false, "a\x07b": false, "\x1b[31mred": false, "a\x7fb": false, "a\u0085b": false,
		"evil\u202egnp.exe": false, "a\u2066b": false, "\ufeffBOM": false, "bad \xff utf8": false, "a\u200fb": false,
		"zero\u200bwidth": false, "line\u2028sep": false, "family 👨\u200d👩\u200d👧": true,
	} {
		if got := Clean(s); got != want {
			t.Errorf("Clean(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestFirstUnclean(t *testing.T) {
	type inner struct {
		Note string `json:"note"`
	}
	type body struct {
		Name   string            `json:"name,omitempty"`
		Items  []inner           `json:"items"`
		Labels map[string]string `json:"labels"`
		Ptr    *inner            `json:"ptr"`
		Raw    []byte            `json:"raw"`
		hidden string
	}
	ok := body{Name: "fine", Items: []inner{{"ok"}}, Labels: map[string]string{"k": "v"}, Ptr: &inner{"x"}, Raw: []byte{0, 1}, hidden: "\x00"}
	if p := FirstUnclean(ok); p != "" {
		t.Fatalf("clean value flagged at %s", p)
	}
	for want, b := range map[string]body{
		"name":           {Name: "a\x00"},
		"items[1].note":  {Items: []inner{{"ok"}, {"\x1b"}}},
		"labels.k":       {Labels: map[string]string{"k": "\u202e"}},
		"labels.(a key)": {Labels: map[string]string{"\x00": "v"}},
		"ptr.note":       {Ptr: &inner{"\x07"}},
	} {
		if got := FirstUnclean(&b); got != want {
			t.Errorf("FirstUnclean = %q, want %q", got, want)
		}
	}
}

func TestStrip(t *testing.T) {
	for in, want := range map[string]string{
		"Ana María": "Ana María", "a\x00b\x07c": "abc", "evil\u202egnp.exe": "evilgnp.exe", "bad \xff utf8": "bad  utf8",
		"line\r\none\ttab": "line\r\none\ttab", "\ufeff": "", "family 👨\u200d👩": "family 👨\u200d👩",
	} {
		if got := Strip(in); got != want || !Clean(got) {
			t.Errorf("Strip(%q) = %q, want %q", in, got, want)
		}
	}
}
