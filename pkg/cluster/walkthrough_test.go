package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/itsmylife/iml/pkg/cluster"
)

// walker drives the agent's pages in headless Chromium as a person would:
// it opens pages, fills fields, presses buttons and reads what the page
// then shows. Every read polls until the page shows what is expected or a
// deadline passes; a failure reports the page's text and keeps a screenshot.
type walker struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// walkEval evaluates a JavaScript expression in the page.
func walkEval[T any](w *walker, expr string) T {
	w.t.Helper()
	c, cancel := within(w.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](expr))
	if err != nil {
		w.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// fail stops the test with what the page shows at the moment.
func (w *walker) fail(format string, args ...any) {
	w.t.Helper()
	c, cancel := within(w.ctx, 10*time.Second)
	defer cancel()
	url, _ := chromedp.Run(c, chromedp.Location())
	body, _ := chromedp.Run(c, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if len(body) > 3000 {
		body = body[:3000] + "…"
	}
	if png, err := chromedp.Run(c, chromedp.FullScreenshot(90)); err == nil {
		dir := os.Getenv("IML_SCREENSHOTS")
		if dir == "" {
			dir = w.t.TempDir()
		}
		path := filepath.Join(dir, "walk-failure.png")
		if os.WriteFile(path, png, 0o600) == nil {
			w.t.Logf("screenshot of the failure: %s", path)
		}
	}
	w.t.Fatalf("%s\n  at %s\n  the page shows:\n%s", fmt.Sprintf(format, args...), url, body)
}

// open loads a page by its address, as from a bookmark.
func (w *walker) open(path string) {
	w.t.Helper()
	c, cancel := within(w.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, chromedp.Navigate(w.base+path)); err != nil {
		w.fail("open %s: %v", path, err)
	}
}

// location is the page's address without the site's base.
func (w *walker) location() string {
	w.t.Helper()
	c, cancel := within(w.ctx, 10*time.Second)
	defer cancel()
	u, err := chromedp.Run(c, chromedp.Location())
	if err != nil {
		w.fail("location: %v", err)
	}
	return strings.TrimPrefix(u, w.base)
}

// fill types text into an (empty) field.
func (w *walker) fill(sel, text string) {
	w.t.Helper()
	c, cancel := within(w.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(c, chromedp.SendKeys(chromedp.CSS(sel), text)); err != nil {
		w.fail("type into %s: %v", sel, err)
	}
}

// set gives a field its value: date and time fields, whose typing depends
// on the browser's locale, and fields the page filled in already.
func (w *walker) set(sel, value string) {
	w.t.Helper()
	c, cancel := within(w.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(c, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SetValue(chromedp.CSS(sel), value)); err != nil {
		w.fail("set %s: %v", sel, err)
	}
}

// click clicks an element that does not leave the page (a box, a radio
// button, a summary).
func (w *walker) click(sel string) {
	w.t.Helper()
	c, cancel := within(w.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(c, chromedp.Click(chromedp.CSS(sel))); err != nil {
		w.fail("click %s: %v", sel, err)
	}
}

// submit clicks a button or link that loads a page, waits for it to load
// and checks the HTTP status of the page that comes (after a redirect).
func (w *walker) submit(sel string, want int64) {
	w.t.Helper()
	c, cancel := within(w.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(c, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		w.fail("press %s: %v", sel, err)
	}
	if resp == nil || resp.Status != want {
		got := int64(0)
		if resp != nil {
			got = resp.Status
		}
		w.fail("after pressing %s the page came with status %d, want %d", sel, got, want)
	}
}

// choose picks the option of a select whose text contains label, as a
// person picks it from the list.
func (w *walker) choose(sel, label string) {
	w.t.Helper()
	ok := walkEval[bool](w, fmt.Sprintf(`(() => {
  const s = document.querySelector(%s);
  if (!s) return false;
  const o = Array.from(s.options).find(o => o.text.includes(%s));
  if (!o) return false;
  s.value = o.value;
  s.dispatchEvent(new Event("change", {bubbles: true}));
  return true;
})()`, jsString(sel), jsString(label)))
	if !ok {
		w.fail("no option %q in %s", label, sel)
	}
}

// count is how many elements match a CSS selector now.
func (w *walker) count(sel string) int {
	w.t.Helper()
	return walkEval[int](w, fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(sel)))
}

// value reads a field's value.
func (w *walker) value(sel string) string {
	w.t.Helper()
	c, cancel := within(w.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		w.fail("value of %s: %v", sel, err)
	}
	return v
}

// see waits until the visible text of the first element matching sel
// contains every one of want, and returns that text.
func (w *walker) see(sel string, want ...string) string {
	w.t.Helper()
	var got string
	err := cluster.WaitFor(context.Background(), 20*time.Second, "the page to show "+strings.Join(want, ", ")+" in "+sel, func() error {
		c, cancel := within(w.ctx, 5*time.Second)
		defer cancel()
		s, err := chromedp.Run(c, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			return err
		}
		got = s
		for _, x := range want {
			if !strings.Contains(s, x) {
				return fmt.Errorf("%q is missing from %q", x, s)
			}
		}
		return nil
	})
	if err != nil {
		w.fail("%v", err)
	}
	return got
}

// signIn signs in with the form of /login.
func (w *walker) signIn(email, password string) {
	w.t.Helper()
	w.see("h1", "Sign in")
	w.fill("#email", email)
	w.fill("#password", password)
	w.submit(`form[action="/login"] button[type="submit"]`, http.StatusOK)
}

// receiptPNG writes a small, valid PNG image: a photo of a receipt, as far
// as the agent can tell.
func receiptPNG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 60, 90))
	for y := range 90 {
		for x := range 60 {
			c := color.RGBA{R: 250, G: 250, B: 245, A: 255}
			if y%12 == 6 && x > 8 && x < 52 {
				c = color.RGBA{R: 40, G: 40, B: 40, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "receipt.png")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCoachMonthInTheBrowser walks a new site through its first month in
// headless Chromium, through the pages only: the Program Director sets the
// site up, adds coaches, certifies one, starts a Peer Partners cohort and
// takes in six participants; the coach then pairs partners, records a
// group meeting, enters and reviews a guided journal, sets goals, plans the
// stipend, records an expense with its receipt and records social outings.
func TestCoachMonthInTheBrowser(t *testing.T) {
	bctx := newBrowser(t)
	ctx := context.Background()
	a := &cluster.Agent{Name: "walkthrough", Bin: agentBin, DataDir: t.TempDir()}
	if err := a.Start(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Stop(); err != nil {
			t.Error(err)
		}
	})
	w := &walker{t: t, ctx: bctx, base: a.URL()}

	// The agent's days are UTC days.
	now := time.Now().UTC()
	date := func(d time.Time) string { return d.Format(time.DateOnly) }
	// dayWords is a date as the pages show it ("Tue 4 Mar 2025").
	dayWords := func(iso string) string {
		d, err := time.Parse(time.DateOnly, iso)
		if err != nil {
			return iso
		}
		return d.Format("Mon 2 Jan 2006")
	}
	today := date(now)
	// Moments (a review, a change) show in words in the agent's zone,
	// which is this machine's.
	todayInWords := time.Now().Format("Mon 2 Jan, ")
	cohortStart := now.AddDate(0, -3, 0)
	enrolledFrom := now.AddDate(0, -4, 0)
	const (
		directorEmail = "dana.reyes@example.org"
		directorPw    = directorPassword
		coachEmail    = "casey.morgan@example.org"
		coachPw       = "a coach's password" //nolint:gosec // G101: a made-up password of the test's own account
		coachName     = "Casey Morgan"
		cohortName    = "Tuesday evening Peer Partners"
	)

	// 1. First run: / leads to /setup, which creates the director; then
	// the director signs in.
	w.open("/")
	w.see("h1", "Set up this site")
	w.fill("#name", "Dana Reyes")
	w.fill("#email", directorEmail)
	w.fill("#password", directorPw)
	w.fill("#password2", directorPw)
	w.submit(`form[action="/setup"] button[type="submit"]`, http.StatusOK)
	w.signIn(directorEmail, directorPw)
	w.see("h1", "This week")
	w.see("#due-interview", "Nothing due.")
	w.see("header nav", "Sign out Dana Reyes", "Stipends", "Audit log")
	w.open("/participants")
	w.see("main", "No participants yet.")

	// 2. The coach's sign-in account, made beforehand at the command line.
	if _, err := a.CLI(ctx, coachPw+"\n", "user", "add", "--email", coachEmail, "--name", coachName, "--role", "coach", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	// Two coaches on the Coaches page.
	w.submit(`header nav a[href="/coaches"]`, http.StatusOK)
	w.see("h1", "Coaches")
	w.see("main", "No coaches yet.")
	linkOnPage := w.count(`form[action="/coaches"] [name="user_id"]`) > 0
	for _, co := range []struct{ name, email, bio string }{
		{coachName, coachEmail, "Peer Life Coach since 2019; loves bowling, gardening and the public library."},
		{"Robin Okafor", "robin.okafor@example.org", "Runs the Saturday walking group; ten years in peer support."},
	} {
		w.fill("#name", co.name)
		w.fill("#email", co.email)
		w.fill("#bio", co.bio)
		if linkOnPage && co.email == coachEmail {
			w.choose(`form[action="/coaches"] [name="user_id"]`, coachName)
		}
		w.submit(`form[action="/coaches"] button[type="submit"]`, http.StatusOK)
		w.see("main table", co.name, co.email, co.bio)
	}
	rowID := walkEval[string](w, `(() => { const r = Array.from(document.querySelectorAll("tr[id^='coach-']")).find(r => r.textContent.includes("Casey Morgan")); return r ? r.id : ""; })()`)
	if rowID == "" {
		w.fail("no table row for %s on the Coaches page", coachName)
	}
	coachID := strings.TrimPrefix(rowID, "coach-")
	row := "#" + rowID
	w.see(row, "none on record")
	// Record the coach's certification.
	certUntil := date(now.AddDate(1, 0, 0))
	w.click(row + ` details:has(form[action$="/certification"]) summary`)
	w.fill("#code-"+coachID, "PLC-2025-0042")
	w.set("#until-"+coachID, certUntil)
	w.submit(row+` form[action$="/certification"] button[type="submit"]`, http.StatusOK)
	w.see(row, "current", "until "+dayWords(certUntil), "PLC-2025-0042", "recorded at this site")
	w.see(`tr[id^="coach-"]:not(`+row+`)`, "Robin Okafor", "none on record")
	t.Logf("screenshot: %s", screenshot(t, bctx, "walk-coaches"))

	if !linkOnPage {
		// The Coaches page cannot link a coach to a sign-in account: its
		// form has no user_id field, and no page shows or changes the link.
		// Without the link the coach, once signed in, sees neither the
		// cohort nor its participants. This one step therefore goes through
		// the API: a director's session links the coach (PUT
		// /api/v1/coaches/:id with user_id); the account's id comes from
		// the account's own API sign-in, which answers it. Everything else
		// in this walkthrough is done on the pages.
		dirTok, err := cluster.Login(ctx, a.URL(), directorEmail, directorPw)
		if err != nil {
			t.Fatal(err)
		}
		var account struct {
			User struct {
				ID string `json:"id"`
			} `json:"user"`
		}
		st, err := cluster.JSON(ctx, http.MethodPost, a.URL()+"/api/v1/auth/login", "", map[string]string{"email": coachEmail, "password": coachPw}, &account)
		if err != nil || st != http.StatusOK || account.User.ID == "" {
			t.Fatalf("the coach account's id: %d %v", st, err)
		}
		var linked struct {
			UserID string `json:"user_id"`
		}
		st, err = cluster.JSON(ctx, http.MethodPut, a.URL()+"/api/v1/coaches/"+coachID, dirTok, map[string]string{
			"name": coachName, "email": coachEmail, "user_id": account.User.ID,
			"bio": "Peer Life Coach since 2019; loves bowling, gardening and the public library."}, &linked)
		if err != nil || st != http.StatusOK || linked.UserID != account.User.ID {
			t.Fatalf("link the coach to the account: %d %v %+v", st, err, linked)
		}
	}

	// A Peer Partners cohort led by the certified coach.
	w.submit(`header nav a[href="/cohorts"]`, http.StatusOK)
	w.see("h1", "Cohorts")
	w.see("main", "No cohorts yet.")
	if leaders := w.see("#coach_id"); !strings.Contains(leaders, coachName) || strings.Contains(leaders, "Robin Okafor") {
		w.fail("the cohort's coach can be %q; want only the certified coach %s", leaders, coachName)
	}
	w.fill("#name", cohortName)
	w.choose("#model", "Peer Partners")
	w.set("#start_date", date(cohortStart))
	w.choose("#coach_id", coachName)
	w.choose("#meeting_day", "Tuesday")
	w.set("#meeting_time", "18:00")
	w.choose("#frequency", "Weekly")
	w.fill("#location", "Community room, Main Street library")
	w.submit(`form[action="/cohorts"] button[type="submit"]`, http.StatusOK)
	w.see("h1", cohortName)
	cohortPath := w.location()
	if !strings.HasPrefix(cohortPath, "/cohorts/") {
		w.fail("after starting the cohort the browser is at %s", cohortPath)
	}
	facts := w.see("dl.facts", "Peer Partners (group)", coachName, dayWords(date(cohortStart)), "Tuesday 18:00 weekly", "Community room")
	if !strings.Contains(facts, "Month ") {
		w.fail("the cohort's facts name no program month: %q", facts)
	}
	w.see("#group-advice", "The group cannot run as it is.", "needs at least 6")
	w.see("main", "No members yet.")

	// 3. Intake: six participants through the intake form.
	type person struct{ first, last, birth, enrolled string }
	people := []person{
		{"Alma", "Quintero", "1961-03-17", ""}, {"Benito", "Rossi", "1975-08-02", ""}, {"Carla", "Stein", "1988-11-23", ""},
		{"Dmitri", "Tanaka", "1969-05-30", ""}, {"Esther", "Uwimana", "1992-01-14", ""}, {"Farid", "Vasquez", "1957-09-09", ""},
	}
	for i := range people {
		p := &people[i]
		p.enrolled = date(enrolledFrom.AddDate(0, 0, i))
		w.submit(`header nav a[href="/participants"]`, http.StatusOK)
		w.see("h2#add", "Add a participant")
		w.fill("#first_name", p.first)
		w.fill("#last_name", p.last)
		w.set("#birth_date", p.birth)
		w.set("#enrolled_on", p.enrolled)
		w.fill("#phone", fmt.Sprintf("555-010%d", i))
		w.fill("#email", strings.ToLower(p.first)+"@example.org")
		w.fill("#address", fmt.Sprintf("%d Elm Street", 10+i))
		for _, box := range []string{"informed_consent", "manages_finances", "sets_goals", "accepts_responsibilities"} {
			w.click(`form[method="post"][action="/participants"] input[name="` + box + `"]`)
		}
		w.set("#agreement_signed_on", p.enrolled)
		w.set("#hospitalization_consent_on", p.enrolled)
		w.submit(`form[method="post"][action="/participants"] button[type="submit"]`, http.StatusOK)
		w.see("h1", p.first+" "+p.last)
		w.see("main", "Participant added.")
		w.see("dl.facts", dayWords(p.birth), dayWords(p.enrolled), "active")
	}
	w.submit(`header nav a[href="/participants"]`, http.StatusOK)
	w.see("main table", "Quintero, Alma", "Vasquez, Farid")

	// Into the cohort, from the cohort's page.
	w.open(cohortPath)
	for i, p := range people {
		w.choose("#participant_id", p.last+", "+p.first)
		w.set("#joined_on", date(cohortStart))
		w.submit(`form[action$="/members"] button[type="submit"]`, http.StatusOK)
		w.see("h1", cohortName)
		w.see("#pairs ~ ul", p.last+", "+p.first)
		switch n := i + 1; {
		case n < 6:
			w.see("#group-advice", "cannot run", fmt.Sprintf("The group has %d participant", n))
		default:
			w.see("p.notice", "The group has 6 members: a size that lets everyone have a peer partner.")
			if w.count("#group-advice") != 0 {
				w.fail("the group of 6 is still said not to run")
			}
		}
	}
	w.see("main", "Every participant you can see is already in a cohort.")

	// 4. The director signs out; the coach signs in.
	w.submit(`form[action="/logout"] button[type="submit"]`, http.StatusOK)
	w.signIn(coachEmail, coachPw)
	w.see("header nav", "Sign out "+coachName)
	if w.count(`header nav a[href="/stipends"]`) != 0 {
		w.fail("a coach is offered the director's Stipends page")
	}
	w.see("h1", "This week")
	w.see("#due-meeting", "No meeting recorded")
	w.submit(`header nav a[href="/participants"]`, http.StatusOK)
	w.see("main table", "Quintero, Alma", "Vasquez, Farid")
	w.submit(`header nav a[href="/cohorts"]`, http.StatusOK)
	w.see("main table", cohortName, coachName)
	w.submit(`main table a[href="`+cohortPath+`"]`, http.StatusOK)
	w.see("h1", cohortName)

	// Pairing: take the first suggestion.
	w.see("#pairs", "No current pairs.")
	w.see("#pair-suggestions li:first-child button", "Pair these two")
	suggested := strings.Split(w.see("#pair-suggestions li:first-child strong"), " and ")
	if len(suggested) != 2 {
		w.fail("the first suggestion pairs %q", suggested)
	}
	w.submit("#pair-suggestions li:first-child button", http.StatusOK)
	w.see("#current-pairs", suggested[0], suggested[1], dayWords(today))
	w.see("#unpaired")
	if n := w.count("#unpaired li"); n != 4 {
		w.fail("%d members without a partner after the first pair, want 4", n)
	}

	// 5. A meeting of this month's theme, with a lesson plan offered for it.
	w.see("#meetings ~ p", "No meetings recorded yet.")
	legend := w.see("#meeting-form fieldset legend", "Lesson plan (")
	theme := strings.TrimSuffix(strings.TrimPrefix(legend, "Lesson plan ("), ")")
	month := strings.TrimSpace(strings.TrimPrefix(strings.Split(w.see("#meetings ~ p.muted", "the theme is "+theme), ")")[0], "This month (month"))
	w.see("dl.facts", "Month "+month+": "+theme)
	if got := w.value("#meeting_held_on"); got != today {
		w.fail("the meeting date starts at %s, want today %s", got, today)
	}
	w.click(`#meeting-form input[name="lesson_plan"]`)
	plan := strings.TrimSpace(w.see(`#meeting-form label:has(input[name="lesson_plan"]) strong`))
	// The last member on the list stays at home.
	absentLabel := strings.TrimSpace(w.see(`#meeting-form fieldset:has(input[name="present"]) label:last-of-type`))
	last, first, _ := strings.Cut(absentLabel, ", ")
	absent := first + " " + last
	w.click(`#meeting-form fieldset:has(input[name="present"]) label:last-of-type input`)
	w.click(`#meeting-form input[name="skills"]`)
	skill := strings.TrimSpace(w.see(`#meeting-form label:has(input[name="skills"])`))
	w.fill("#meeting_notes", "Role play on starting a conversation; the group chose the library talk for next week.")
	w.submit(`#meeting-form button[type="submit"]`, http.StatusOK)
	w.see("main", "Meeting recorded.")
	w.see("#meeting-list tbody tr:first-child", dayWords(today), "Month "+month+": "+theme, plan, "5 of 6 present", "Absent: "+absent, skill, "Role play")

	// 6. The guided journal of this week, on the page of the first partner
	// of the new pair.
	w.submit(`#current-pairs a`, http.StatusOK)
	focus := strings.TrimSpace(w.see("h1"))
	partner := suggested[0]
	switch focus {
	case suggested[0]:
		partner = suggested[1]
	case suggested[1]:
	default:
		w.fail("the pair's first link leads to %q, not to %s or %s", focus, suggested[0], suggested[1])
	}
	var enrolledOn string
	for _, p := range people {
		if p.first+" "+p.last == focus {
			enrolledOn = p.enrolled
		}
	}
	// The record is in sections: the journal is one of them.
	w.see("#tab-profile[aria-current=page]", "Profile")
	w.submit("#tab-journals", http.StatusOK)
	week := w.value("#journal_week_start")
	w.see("#journal_week_start-hint", "This week started on "+dayWords(week))
	if wk, err := time.Parse(time.DateOnly, week); err != nil || wk.Weekday() != time.Monday || week < enrolledOn || week > today {
		w.fail("the journal form opens on the week of %q: not a Monday between the enrollment (%s) and today", week, enrolledOn)
	}
	w.see("main", "No journal entries yet.")
	prompt1 := strings.TrimSpace(w.see(`#journal-form label[for^="journal_a_"]`))
	w.fill(`#journal-form textarea:nth-of-type(1)`, "Went to the library talk with my partner and asked a question.")
	w.fill(`#journal-form textarea:nth-of-type(2)`, "Starting a conversation; listening without interrupting.")
	w.submit(`#journal-form button[type="submit"]`, http.StatusOK)
	w.see("main", "Journal saved.")
	w.see("#journal-completion", "Completion:", "(1 of ")
	w.see("details.journal-entry summary", "Week of "+dayWords(week), "not reviewed")
	w.click("details.journal-entry summary")
	w.see("details.journal-entry", prompt1, "Went to the library talk", "Entered by "+coachName)
	w.submit(`details.journal-entry form[action$="/review"] button`, http.StatusOK)
	if s := w.see("details.journal-entry summary", "Week of "+dayWords(week), "reviewed"); strings.Contains(s, "not reviewed") {
		w.fail("the journal is still not reviewed: %q", s)
	}
	w.click("details.journal-entry summary")
	w.see("details.journal-entry", "reviewed by "+coachName+" on "+todayInWords)

	// 7. Three social goals, a spending plan line, an expense and its receipt.
	w.submit("#tab-goals", http.StatusOK)
	w.see("#goals ~ p.notice", "0 of 3 goals set.")
	goals := []struct{ title, why, plan string }{
		{"Join a bowling league", "Wants a regular evening out with people", "Visit the alley on league night; sign up; go every Thursday"},
		{"Volunteer at the community garden", "Misses gardening since moving", "Call the garden coordinator; go to the Saturday work morning"},
		{"Go to the library's monthly talk", "Likes learning and meeting neighbours", "Check the programme; go with the peer partner; ask one question"},
	}
	for i, g := range goals {
		n := fmt.Sprint(i + 1)
		w.fill("#title_"+n, g.title)
		w.fill("#why_"+n, g.why)
		w.fill("#action_plan_"+n, g.plan)
	}
	w.submit(`#goals-form button[type="submit"]`, http.StatusOK)
	w.see("#goals-form fieldset:nth-of-type(3) legend", "Goal 3", "last changed "+todayInWords)
	for i, g := range goals {
		if got := w.value(fmt.Sprintf("#title_%d", i+1)); got != g.title {
			w.fail("goal %d reads %q after saving, want %q", i+1, got, g.title)
		}
	}
	if w.count("#error-summary") != 0 {
		w.fail("the goals were refused")
	}
	monthName := now.Format("January")
	w.see("h2#stipend", "Social stipend:", monthName)
	w.see("h3#spending-plan + p", "No spending plan for")
	w.choose("#plan_goal_id", "Goal 1: "+goals[0].title)
	w.fill("#plan_amount", "25.00")
	w.fill("#plan_description", "League fees and shoe rental")
	w.submit(`#plan-form button[type="submit"]`, http.StatusOK)
	w.see("h3#spending-plan + table", "Goal 1: "+goals[0].title, "League fees and shoe rental", "$25.00")
	w.see("h2#stipend ~ dl.facts", "Planned this month", "$25.00")

	w.see("h3#expenses + p", "No expenses recorded in")
	w.choose("#expense_line", "League fees and shoe rental")
	if got := w.value("#expense_spent_on"); got != today {
		w.fail("the expense date starts at %s, want today %s", got, today)
	}
	w.fill("#expense_amount", "12.50")
	w.fill("#expense_what", "First league night: shoes and two games")
	w.submit(`#expense-form button[type="submit"]`, http.StatusOK)
	w.see("h3#expenses + table", dayWords(today), "Goal 1: "+goals[0].title, "League fees and shoe rental", "$12.50", "First league night", "no receipt")
	w.see("h2#stipend ~ dl.facts", "Spent this month", "$12.50", "missing")

	receipt := receiptPNG(t)
	c, cancel := within(bctx, 20*time.Second)
	err := chromedp.Do(c, chromedp.SetUploadFiles(chromedp.CSS(`form[action$="/receipts"] input[type="file"]`), []string{receipt}))
	cancel()
	if err != nil {
		w.fail("choose the receipt file: %v", err)
	}
	w.submit(`form[action$="/receipts"] button[type="submit"]`, http.StatusOK)
	w.see("h3#expenses + table", "Receipt (image/png", dayWords(today))
	if w.count(`h3#expenses + table a[href*="/receipts/"]`) != 1 {
		w.fail("the expense does not list exactly one receipt")
	}
	w.see("h2#stipend ~ dl.facts", "receipts complete")

	// 8. Social outings and the progression chart. Stage 1 is an outing
	// with the coach, and the page refuses the peer partner on it: the
	// partner comes along at stage 2 (as the friend) or 3.
	w.submit("#tab-outings", http.StatusOK)
	w.see("#outings", "Social outings")
	w.see("#outing-stage", "Current stage: no outings yet")
	w.see("#current-partner", partner)
	w.choose("#outing_stage", "1: with the coach")
	w.choose("#outing_partner", partner)
	w.fill("#outing_activity", "Walk to the farmers' market")
	w.submit(`#outing-form button[type="submit"]`, http.StatusUnprocessableEntity)
	w.see("#err-partner_id", "stage 2")
	w.choose("#outing_partner", "No peer partner")
	w.submit(`#outing-form button[type="submit"]`, http.StatusOK)
	w.see("#outings-table tbody tr:first-child", dayWords(today), "Walk to the farmers' market", "stage 1, with the coach")
	w.see("#outing-stage", "Current stage: stage 1, with the coach")
	w.choose("#outing_stage", "2: with the coach and a friend")
	w.choose("#outing_partner", partner)
	w.fill("#outing_activity", "Library talk with the peer partner")
	w.fill("#outing_cost", "4.50")
	w.submit(`#outing-form button[type="submit"]`, http.StatusOK)
	w.see("#outings-table", "Library talk with the peer partner", "stage 2, with the coach and a friend", partner, "$4.50")
	w.see("#outing-stage", "Current stage: stage 2", "spent on outings: $4.50")
	if w.count("svg#outings-chart") != 1 || w.count("svg#outings-chart path.step") != 1 || w.count("svg#outings-chart circle.point") < 1 {
		w.fail("the progression chart is missing or has no step line and points")
	}
	cctx, ccancel := within(bctx, 10*time.Second)
	desc, err := chromedp.Run(cctx, chromedp.TextContent(chromedp.CSS("svg#outings-chart desc")))
	ccancel()
	if err != nil || !strings.Contains(desc, ": stage 2") {
		w.fail("the chart's description is %q (%v), want a month at stage 2", desc, err)
	}

	// 9. Full-page screenshots, after all the above.
	w.see("h1", focus)
	t.Logf("screenshot: %s", screenshot(t, bctx, "walk-participant"))
	w.open(cohortPath)
	w.see("#current-pairs", focus, partner)
	w.see("#meeting-list", theme)
	t.Logf("screenshot: %s", screenshot(t, bctx, "walk-cohort"))
}
