package server_test

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// homeDay is the home tests' clock: Wednesday 2026-06-17, 10:00 UTC. Last
// week's journal week starts on Monday 8 June; the stipends waiting are
// May's.
var homeDay = time.Date(2026, 6, 17, 10, 0, 0, 0, time.UTC)

// homeSite is a site with something of every kind due on homeDay:
//   - Eli (no coach) enrolled on 1 June, no eligibility interview, no
//     journal for last week;
//   - Mia enrolled on 10 December 2025: mid-point interview overdue (month
//     7), every journal of May (so May's stipend is payable, not
//     approved), an expense of June without a receipt;
//   - Yara enrolled on 1 July 2025: her year ends on 30 June 2026, the
//     closing interview is due;
//   - Mia and Yara in the coach's group, paired, with no meeting and no
//     joint outing in June; the coach's certification expires on 15 July;
//   - a TA request answered by the national office, not read;
//   - a last sync round that failed.
type homeSite struct {
	*site
	dir, coachTok  string
	dirUser, coach store.User
	coachRec       store.Coach
	cohort         store.Cohort
	eli, mia, yara store.Participant
	expense        store.Expense
	ta             store.TARequest
}

func (s *site) enroll(first, last, enrolled, coachID string) store.Participant {
	s.t.Helper()
	p, err := s.st.Participants.AddParticipant(context.Background(), store.ParticipantInput{FirstName: first, LastName: last, BirthDate: "1980-04-05", EnrolledOn: enrolled,
		InformedConsent: true, ManagesFinances: true, SetsGoals: true, AcceptsResponsibilities: true, AgreementSignedOn: enrolled, CoachID: coachID})
	s.must(err)
	return p
}

// interview records a POM interview with every indicator present.
func (s *site) interview(p store.Participant, tp, day string) {
	s.t.Helper()
	ans := map[string]bool{}
	for _, it := range program.Default().Asked() {
		ans[it.Code] = true
	}
	_, err := s.st.Participants.RecordInterview(context.Background(), p.ID, tp, store.InterviewInput{InterviewedOn: day, Answers: ans})
	s.must(err)
}

func newHomeSite(t *testing.T) *homeSite {
	t.Helper()
	ctx := context.Background()
	hs := &homeSite{site: newSiteAt(t, homeDay)}
	s := hs.site
	s.minGroup(1)
	hs.dirUser, hs.dir = s.user("dir@example.org", "Dana Director", store.RoleDirector)
	hs.coach, hs.coachTok = s.user("casey@example.org", "Casey Coach", store.RoleCoach)
	var err error
	hs.coachRec, err = s.st.Coaches.AddCoach(ctx, store.CoachInput{Name: "Casey Coach", UserID: hs.coach.ID})
	s.must(err)
	_, err = s.st.Coaches.RecordCertification(ctx, hs.coachRec.ID, "site", store.Certification{Code: "PLC-9", CertifiedUntil: "2026-07-15"})
	s.must(err)
	hs.eli = s.enroll("Eli", "Nakamura", "2026-06-01", "")
	hs.mia = s.enroll("Mia", "Okafor", "2025-12-10", "")
	hs.yara = s.enroll("Yara", "Lindqvist", "2025-07-01", "")
	s.interview(hs.mia, contract.TimepointEligibility, "2025-12-10")
	s.interview(hs.yara, contract.TimepointEligibility, "2025-07-01")
	s.interview(hs.yara, contract.TimepointMidpoint, "2026-01-02")
	hs.cohort, err = s.st.Cohorts.AddCohort(ctx, store.CohortInput{Name: "Thursday group", Model: program.ModelPeerPartners, StartDate: "2025-12-01",
		CoachID: hs.coachRec.ID, MeetingDay: "thursday", MeetingTime: "18:00", Frequency: "weekly"})
	s.must(err)
	s.must(s.st.Cohorts.AddMember(ctx, hs.cohort.ID, hs.mia.ID, "2025-12-11"))
	s.must(s.st.Cohorts.AddMember(ctx, hs.cohort.ID, hs.yara.ID, "2025-12-11"))
	_, _, err = s.st.Pairs.FormPair(ctx, hs.cohort.ID, store.PairInput{ParticipantIDs: []string{hs.mia.ID, hs.yara.ID}, FormedOn: "2026-01-08"})
	s.must(err)
	s.journals(hs.mia.ID, "2026-04-27", "2026-05-04", "2026-05-11", "2026-05-18", "2026-05-25", "2026-06-08")
	s.journals(hs.yara.ID, "2026-06-08")
	goals, err := s.st.Stipends.SaveGoals(ctx, hs.mia.ID, []store.GoalInput{{Slot: 1, Title: "Join a choir", ActionPlan: "Visit two choirs"}})
	s.must(err)
	lines, err := s.st.Stipends.SavePlan(ctx, hs.mia.ID, "2026-06", []store.PlanLineInput{{GoalID: goals[0].ID, Description: "choir fee", PlannedCents: 2000}})
	s.must(err)
	hs.expense, err = s.st.Stipends.AddExpense(ctx, hs.coach, hs.mia.ID, store.ExpenseInput{GoalID: goals[0].ID, PlanLineID: lines[0].ID, SpentOn: "2026-06-12", AmountCents: 1500, What: "choir term"})
	s.must(err)
	hs.ta, err = s.st.TA.RaiseTARequest(ctx, hs.dirUser, store.TARequestInput{Subject: "Evening meetings", Category: contract.TACategories[0], Text: "How do other sites run evening groups?"})
	s.must(err)
	_, err = s.st.TA.SaveTAAnswers(ctx, []contract.TAAnswerWire{{RequestID: hs.ta.ID, Seq: 1, Status: contract.TAAnswered, Answer: "Try a shared taxi.", AnsweredBy: "TA", AnsweredAt: homeDay}})
	s.must(err)
	s.must(s.st.SetMeta(ctx, store.MetaLastSuccess, "2026-06-16T08:00:00Z"))
	s.must(s.st.SetMeta(ctx, store.MetaLastSync, "2026-06-17T09:00:00Z"))
	s.must(s.st.SetMeta(ctx, store.MetaLastError, "the hub could not be reached"))
	return hs
}

var homeSectionRE = regexp.MustCompile(`(?s)<section class="card stack" id="due-([a-z_]+)".*?</section>`)

// homeSections reads the home page's groups: the body of each, by kind.
func homeSections(t *testing.T, page string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range homeSectionRE.FindAllStringSubmatch(page, -1) {
		out[m[1]] = html.UnescapeString(m[0])
	}
	if len(out) < 8 {
		t.Fatalf("the home shows %d groups:\n%s", len(out), page)
	}
	return out
}

// home opens the home page in a signed-in browser.
func home(t *testing.T, b *browser) map[string]string {
	t.Helper()
	st, page := b.get("/")
	if st != 200 {
		t.Fatalf("home: %d", st)
	}
	return homeSections(t, page)
}

// wantItem checks a group lists an item that links to link and says what.
func wantItem(t *testing.T, sections map[string]string, kind, link, what string) {
	t.Helper()
	sec := sections[kind]
	if !strings.Contains(sec, `<a href="`+link+`">`) || !strings.Contains(sec, what) {
		t.Errorf("home group %s lacks a link to %s with %q:\n%s", kind, link, what, sec)
	}
}

// TestHomeDueItems builds something due of every kind, checks each shows
// with the link where it is done, does it, and checks it is gone.
func TestHomeDueItems(t *testing.T) {
	hs := newHomeSite(t)
	ctx := context.Background()
	b := hs.browser("dir@example.org")
	sec := home(t, b)
	p := func(x store.Participant) string { return "/participants/" + x.ID }
	wantItem(t, sec, "interview", p(hs.eli)+"?tab=interviews#interview-form", "Eligibility interview, due since Mon 1 Jun 2026")
	wantItem(t, sec, "interview", p(hs.mia)+"?tab=interviews#interview-form", "overdue")
	wantItem(t, sec, "interview", p(hs.mia)+"?tab=interviews#interview-form", "Mid-point interview (month 6), overdue since Wed 10 Jun 2026")
	wantItem(t, sec, "interview", p(hs.yara)+"?tab=interviews#interview-form", "Closing interview (month 12), due since Mon 1 Jun 2026")
	wantItem(t, sec, "journal", p(hs.eli)+"?tab=journals#journal-form", "No journal for the week of Monday 8 June")
	wantItem(t, sec, "stipend", p(hs.mia)+"?stipend_month=2026-05#stipend", "May 2026 stipend payable")
	wantItem(t, sec, "receipts", p(hs.mia)+"?stipend_month=2026-06#expenses", "1 expense of June 2026 without a receipt")
	wantItem(t, sec, "meeting", "/cohorts/"+hs.cohort.ID+"#meetings", "No meeting recorded in June 2026")
	wantItem(t, sec, "pair", "/cohorts/"+hs.cohort.ID+"#current-pairs", "no joint outing recorded in June 2026")
	wantItem(t, sec, "year_end", p(hs.yara)+"?tab=interviews#interview-form", "Program year ends in 13 days (Tue 30 Jun 2026)")
	wantItem(t, sec, "certification", "/coaches#coach-"+hs.coachRec.ID, "Certification expires on Wed 15 Jul 2026")
	wantItem(t, sec, "ta_answer", "/ta-requests/"+hs.ta.ID, "not read yet")
	for kind, who := range map[string]string{"journal": "Mia Okafor", "interview": "Dana", "stipend": "Yara"} {
		if strings.Contains(sec[kind], who) {
			t.Errorf("group %s lists %s, who has nothing of it due", kind, who)
		}
	}
	_, page := b.get("/")
	mustContain(t, "home, sync", page, "Last successful sync: <strong>", " (yesterday)</strong>", "The last sync round failed: the hub could not be reached")

	// Do each thing.
	s := hs.site
	s.interview(hs.eli, contract.TimepointEligibility, "2026-06-02")
	s.interview(hs.mia, contract.TimepointMidpoint, "2026-06-15")
	s.interview(hs.yara, contract.TimepointClosing, "2026-06-16")
	s.journals(hs.eli.ID, "2026-06-08")
	if st, body := b.post(p(hs.mia)+"/payments", map[string][]string{"month": {"2026-05"}}); st != 303 && st != 200 {
		t.Fatalf("approve May: %d %.300s", st, body)
	}
	_, err := s.st.Stipends.AddReceipt(ctx, hs.coach, hs.mia.ID, hs.expense.ID, "image/png", stpPNG)
	s.must(err)
	_, err = s.st.Meetings.RecordMeeting(ctx, hs.cohort.ID, hs.coach.ID, store.MeetingInput{HeldOn: "2026-06-11", LessonPlan: "si_conversations", Skills: []string{"listening"}, Attendance: map[string]bool{hs.mia.ID: true, hs.yara.ID: true}})
	s.must(err)
	_, err = s.st.Outings.AddOuting(ctx, hs.mia.ID, store.OutingInput{Date: "2026-06-13", Activity: "Market stroll", Stage: 3, PartnerID: hs.yara.ID})
	s.must(err)
	_, err = s.st.Coaches.RecordCertification(ctx, hs.coachRec.ID, "site", store.Certification{Code: "PLC-9", CertifiedUntil: "2028-07-15"})
	s.must(err)
	if st, _ := b.get("/ta-requests/" + hs.ta.ID); st != 200 {
		t.Fatalf("TA request page: %d", st)
	}
	s.must(s.st.SetMeta(ctx, store.MetaLastSuccess, "2026-06-17T09:30:00Z"))

	sec = home(t, b)
	for _, kind := range []string{"interview", "journal", "stipend", "receipts", "meeting", "pair", "certification", "ta_answer"} {
		if !strings.Contains(sec[kind], "Nothing due.") || strings.Contains(sec[kind], "<li>") {
			t.Errorf("group %s after it was done:\n%s", kind, sec[kind])
		}
	}
	// The year still ends: that is done by time passing, not by a click.
	wantItem(t, sec, "year_end", p(hs.yara)+"?tab=interviews#interview-form", "Program year ends in 13 days")
	_, page = b.get("/")
	if strings.Contains(page, "The last sync round failed") || !strings.Contains(page, " (30 minutes ago)</strong>") {
		t.Errorf("home after a successful sync shows the old error or time")
	}
}

// TestHomeCoachSeesTheirOwn: a coach's home lists their participants,
// cohort and certification, never someone else's nor the director's TA
// answers.
func TestHomeCoachSeesTheirOwn(t *testing.T) {
	hs := newHomeSite(t)
	other := hs.site.enroll("Zed", "Quinlan", "2026-06-01", "")
	_ = other
	sec := home(t, hs.browser("casey@example.org"))
	wantItem(t, sec, "interview", "/participants/"+hs.mia.ID+"?tab=interviews#interview-form", "Mid-point interview")
	wantItem(t, sec, "meeting", "/cohorts/"+hs.cohort.ID+"#meetings", "No meeting")
	wantItem(t, sec, "certification", "/coaches#coach-"+hs.coachRec.ID, "expires on Wed 15 Jul 2026")
	all := strings.Join([]string{sec["interview"], sec["journal"], sec["stipend"], sec["receipts"], sec["year_end"]}, "\n")
	for _, name := range []string{"Eli", "Zed"} {
		if strings.Contains(all, name) {
			t.Errorf("the coach's home lists %s, who is not theirs", name)
		}
	}
	if _, ok := sec["ta_answer"]; ok {
		t.Errorf("the coach's home shows the director's TA answers")
	}
	dirSec := home(t, hs.browser("dir@example.org"))
	if !strings.Contains(dirSec["interview"], "Zed Quinlan") || !strings.Contains(dirSec["interview"], "Eli Nakamura") {
		t.Errorf("the director's home lacks participants without a coach:\n%s", dirSec["interview"])
	}
}
