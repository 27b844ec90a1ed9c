package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// interviewBody answers every indicator the release names absent, but the
// first present, the second declined and the third not asked.
func interviewBody() map[string]any {
	asked := program.Default().Asked()
	answers, left := map[string]bool{}, map[string]string{}
	for i, it := range asked {
		switch i {
		case 1:
			left[it.Code] = contract.Declined
		case 2:
			left[it.Code] = contract.NotAsked
		default:
			answers[it.Code] = i == 0
		}
	}
	return map[string]any{"interviewed_on": "2026-01-12", "answers": answers, "unanswered": left}
}

// upstreamInterview is the interview's de-identified record in the outbox.
func upstreamInterview(t *testing.T, st *store.Store, id string) contract.POMInterview {
	t.Helper()
	var rec store.SyncRecord
	if err := st.DB.Last(&rec, "id = ?", id).Error; err != nil {
		t.Fatal(err)
	}
	p, err := contract.DecodePOMInterview([]byte(rec.Data))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUnansweredThroughTheAPI(t *testing.T) {
	s := newSite(t)
	s.minGroup(1)
	_, tok := s.user("dir@example.org", "Dana", store.RoleDirector)
	p := s.participant("Una")
	path := "/api/v1/participants/" + p.ID + "/interviews/eligibility"
	var iv struct {
		ID         string
		Answers    map[string]bool
		Unanswered map[string]string
	}
	if st := s.call(tok, http.MethodPut, path, interviewBody(), &iv); st != 200 {
		t.Fatalf("interview: %d", st)
	}
	asked := program.Default().Asked()
	if len(iv.Answers) != 10 || iv.Unanswered[asked[1].Code] != contract.Declined || iv.Unanswered[asked[2].Code] != contract.NotAsked {
		t.Fatalf("stored %+v", iv)
	}
	up := upstreamInterview(t, s.st, iv.ID)
	if len(up.Answers) != 10 || len(up.Unanswered) != 2 || up.Unanswered[asked[1].Code] != contract.Declined {
		t.Fatalf("upstream %+v", up)
	}
	if _, sent := up.Answers["pom_x13_unnamed"]; sent {
		t.Fatal("the unnamed indicator left the site")
	}

	// Hostile bodies: each refused with a problem naming the field, and
	// nothing changed.
	before := iv
	bad := func(name string, mutate func(m map[string]any), field, text string) {
		t.Helper()
		body := interviewBody()
		mutate(body)
		var prob problem
		if st := s.call(tok, http.MethodPut, path, body, &prob); st != 422 || !prob.has(field, text) {
			t.Errorf("%s: %d %s", name, st, prob.all())
		}
	}
	bad("unnamed indicator answered", func(m map[string]any) { m["answers"].(map[string]bool)["pom_x13_unnamed"] = true }, "answers.pom_x13_unnamed", "does not name it yet")
	bad("unnamed indicator declined", func(m map[string]any) { m["unanswered"].(map[string]string)["pom_x13_unnamed"] = "declined" }, "answers.pom_x13_unnamed", "does not name it yet")
	bad("unknown code", func(m map[string]any) { m["answers"].(map[string]bool)["pom99_flying"] = true }, "answers.pom99_flying", "an indicator release")
	bad("malformed code", func(m map[string]any) { m["answers"].(map[string]bool)["DROP TABLE;"] = true }, "answers", "not an indicator code")
	bad("bad reason", func(m map[string]any) { m["unanswered"].(map[string]string)[asked[1].Code] = "shrugged" }, "unanswered."+asked[1].Code, "not_asked or declined")
	bad("both", func(m map[string]any) { m["answers"].(map[string]bool)[asked[1].Code] = true }, "answers."+asked[1].Code, "it was both answered and left unanswered")
	bad("missing", func(m map[string]any) { delete(m["answers"].(map[string]bool), asked[0].Code) }, "answers."+asked[0].Code, "Choose present")
	bad("too many", func(m map[string]any) {
		for i := range 100 {
			m["answers"].(map[string]bool)[fmt.Sprintf("x%d", i)] = true
		}
	}, "answers", "more indicators")
	raw := func(name, body string, want int) {
		t.Helper()
		if st, _, b := s.do(tok, http.MethodPut, path, "application/json", strings.NewReader(body)); st != want {
			t.Errorf("%s: %d %s", name, st, b)
		}
	}
	c0 := asked[0].Code
	raw("duplicate key", `{"interviewed_on":"2026-01-12","answers":{"`+c0+`":true,"`+c0+`":false}}`, 400)
	raw("control character in a key", `{"interviewed_on":"2026-01-12","answers":{"pom01\u0007":true}}`, 422)
	raw("control character in a reason", `{"interviewed_on":"2026-01-12","unanswered":{"`+c0+`":"declined\u202e"}}`, 422)
	raw("null for an answer (not 'not present')", `{"interviewed_on":"2026-01-12","answers":{"`+c0+`":null}}`, 400)
	raw("null for a reason", `{"interviewed_on":"2026-01-12","unanswered":{"`+c0+`":null}}`, 400)
	raw("a number for an answer", `{"interviewed_on":"2026-01-12","answers":{"`+c0+`":1e999}}`, 400)
	raw("a negative number for a reason", `{"interviewed_on":"2026-01-12","unanswered":{"`+c0+`":-1}}`, 400)
	raw("a huge number of keys", `{"interviewed_on":"2026-01-12","answers":{`+strings.Repeat(`"a":true,`, 0)+hugeKeys(5000)+`}}`, 422)
	var after struct {
		Eligibility struct {
			Answers    map[string]bool
			Unanswered map[string]string
		}
	}
	s.call(tok, http.MethodGet, "/api/v1/participants/"+p.ID+"/interviews", nil, &after)
	if len(after.Eligibility.Answers) != len(before.Answers) || len(after.Eligibility.Unanswered) != 2 {
		t.Fatalf("a refused request changed the interview: %+v", after)
	}

	// The same request many times at once: one interview, the last state.
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for range 20 {
		wg.Go(func() {
			codes <- s.call(tok, http.MethodPut, path, interviewBody(), nil)
		})
	}
	wg.Wait()
	close(codes)
	for st := range codes {
		if st != 200 {
			t.Errorf("a parallel request answered %d", st)
		}
	}
	var n int64
	s.st.DB.Model(&store.POMInterview{}).Where("participant_id = ?", p.ID).Count(&n)
	if n != 1 {
		t.Fatalf("%d interviews after parallel requests", n)
	}
}

func hugeKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":true`, i)
	}
	return b.String()
}

func TestUnansweredThroughTheForm(t *testing.T) {
	s := newSite(t)
	s.user("dir@example.org", "Dana", store.RoleDirector)
	p := s.participant("Form")
	b := s.browser("dir@example.org")
	_, page := b.get("/participants/" + p.ID + "?tab=interviews")
	if strings.Contains(page, "pom_x13_unnamed") || strings.Contains(page, "Thirteenth indicator") {
		t.Fatal("the form asks the unnamed indicator")
	}
	mustContain(t, "form", page, `value="not_asked"`, `value="declined"`)
	asked := program.Default().Asked()
	form := func() url.Values {
		f := url.Values{"timepoint": {"eligibility"}, "interviewed_on": {"2026-01-12"}}
		for i, it := range asked {
			f.Set("a_"+it.Code, []string{"present", "not_asked", "declined", "absent"}[i%4])
		}
		return f
	}
	bad := func(name string, f url.Values, want string) {
		t.Helper()
		st, body := b.post("/participants/"+p.ID+"/interviews", f)
		if st != 422 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, the page does not say %q", name, st, want)
		}
		if ivs, _ := s.st.Participants.Interviews(context.Background(), p.ID); len(ivs) != 0 {
			t.Fatalf("%s: a refused form saved an interview", name)
		}
	}
	f := form()
	f.Set("a_pom_x13_unnamed", "present")
	bad("unnamed", f, "does not name it yet")
	f = form()
	f.Add("a_"+asked[0].Code, "absent")
	bad("sent twice", f, "was sent more than once")
	f = form()
	f.Set("a_"+asked[0].Code, "maybe")
	bad("not a choice", f, "Choose one of present, absent, not_asked, declined")
	f = form()
	f.Set("a_pom77_unknown", "present")
	bad("unknown", f, "does not have: reload the page")
	f = form()
	f.Set("a_"+asked[0].Code, "present\x00")
	if st, _ := b.post("/participants/"+p.ID+"/interviews", f); st != 422 && st != 400 {
		t.Errorf("control character: %d", st)
	}
	if st, _ := b.post("/participants/"+p.ID+"/interviews", form()); st != 200 {
		t.Fatalf("good form: %d", st)
	}
	ivs, _ := s.st.Participants.Interviews(context.Background(), p.ID)
	iv := ivs["eligibility"]
	if got := iv.ChoicesOf(); got[asked[1].Code] != contract.NotAsked || got[asked[2].Code] != contract.Declined || got[asked[0].Code] != store.ChoicePresent || len(got) != len(asked) {
		t.Fatalf("stored %v", got)
	}
	_, page = b.get("/participants/" + p.ID + "?tab=interviews")
	mustContain(t, "side by side", page, ">not asked<", ">declined<")
}

func TestUnansweredThroughTheCSVImport(t *testing.T) {
	s := newSite(t)
	_, dir := s.user("dir@example.org", "Dana", store.RoleDirector)
	s.participant("Csv")
	rel := program.Default()
	cols := store.InterviewColumns(rel)
	if strings.Contains(strings.Join(cols, ","), "x13") {
		t.Fatal("the template has the unnamed indicator")
	}
	row := func(first, tp string, choice func(i int) string) string {
		cells := []string{first, "Example", "1985-02-03", tp, "2026-01-12"}
		for i := range rel.Asked() {
			cells = append(cells, choice(i))
		}
		return strings.Join(append(cells, "note"), ",") + "\n"
	}
	header := strings.Join(cols, ",") + "\n"
	choice := func(i int) string { return []string{"present", "Not Asked", "declined", "not present"}[i%4] }
	post := func(body string) (int, string) {
		st, _, b := s.do(dir, http.MethodPost, "/api/v1/import/interviews", "text/csv", strings.NewReader(body))
		return st, string(b)
	}
	for name, c := range map[string]struct{ body, want string }{
		"unnamed column":   {strings.TrimSuffix(header, "\n") + ",pom_x13_unnamed\n" + strings.TrimSuffix(row("Csv", "eligibility", choice), "\n") + ",present\n", "does not name this indicator yet"},
		"unknown person":   {header + row("Nobody", "eligibility", choice), "no participant at the site"},
		"bad choice":       {header + row("Csv", "eligibility", func(int) string { return "-1" }), "Choose one of present"},
		"duplicate row":    {header + row("Csv", "eligibility", choice) + row("Csv", "eligibility", choice), "the same participant and timepoint as row 2"},
		"bad timepoint":    {header + row("Csv", "month13", choice), "timepoint"},
		"control char":     {header + row("Csv\x07", "eligibility", choice), "control"},
		"duplicate column": {strings.TrimSuffix(header, "\n") + "," + cols[5] + "\n", "appears twice"},
	} {
		if st, body := post(c.body); st != 422 || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s", name, st, body)
		}
	}
	var n int64
	if s.st.DB.Model(&store.POMInterview{}).Count(&n); n != 0 {
		t.Fatal("a refused file recorded an interview")
	}
	if st, body := post(header + row("Csv", "eligibility", choice)); st != 200 || !strings.Contains(body, `"imported":1`) {
		t.Fatalf("good file: %d %s", st, body)
	}
	var iv store.POMInterview
	s.st.DB.First(&iv)
	if got := iv.ChoicesOf(); got[rel.Asked()[1].Code] != contract.NotAsked || got[rel.Asked()[3].Code] != store.ChoiceAbsent || len(got) != 12 {
		t.Fatalf("imported %v", got)
	}
	_, page := s.browserGet("dir@example.org", "/import")
	mustContain(t, "import page", page, "interview-columns", "not_asked")
	if strings.Contains(page, "x13") {
		t.Error("the import page lists the unnamed indicator")
	}
}

// browserGet signs in as email and opens a page.
func (s *site) browserGet(email, path string) (int, string) {
	s.t.Helper()
	return s.browser(email).get(path)
}
