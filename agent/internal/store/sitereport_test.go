package store

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// reportSite is a site whose clock stands on 2025-12-20.
func reportSite(t *testing.T) (*Store, context.Context) {
	st := openTestAt(t, time.Date(2025, 12, 20, 10, 0, 0, 0, time.UTC))
	return st, context.Background()
}

func enrollOn(t *testing.T, st *Store, first, day string, consent bool) Participant {
	t.Helper()
	in := eligible(ParticipantInput{FirstName: first, LastName: "Report", BirthDate: "1980-05-05", EnrolledOn: day})
	if consent {
		in.HospitalizationConsentOn = day
	}
	p, err := st.Participants.AddParticipant(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Independent arithmetic, written here apart from pkg/evaluate and
// pkg/stats: the Wilson interval, Newcombe's method 10 and the exact
// McNemar test, from their papers' formulas.
func wilsonByHand(x, n int) (lo, hi float64) {
	const z = 1.959963984540054
	p, nn := float64(x)/float64(n), float64(n)
	c := (2*nn*p + z*z) / (2 * (nn + z*z))
	h := z * math.Sqrt(z*z+4*nn*p*(1-p)) / (2 * (nn + z*z))
	return c - h, c + h
}

// changeByHand is the change after − before in points, its 95% interval
// (Newcombe 1998b, method 10) and the exact McNemar p, for a paired table
// of both, lost (present then absent), gained, neither.
func changeByHand(a, b, c, d int) (diff, lo, hi, p float64) {
	n := a + b + c + d
	p1, p2 := float64(a+b)/float64(n), float64(a+c)/float64(n)
	l1, u1 := wilsonByHand(a+b, n)
	l2, u2 := wilsonByHand(a+c, n)
	phi := 0.0
	if (a+b) > 0 && (c+d) > 0 && (a+c) > 0 && (b+d) > 0 {
		num := float64(a*d - b*c)
		if num > 0 {
			num = math.Max(num-float64(n)/2, 0)
		}
		phi = num / math.Sqrt(float64((a+b)*(c+d)*(a+c)*(b+d)))
	}
	theta := p1 - p2
	sq := func(x float64) float64 { return x * x }
	delta := math.Sqrt(sq(p1-l1) - 2*phi*(p1-l1)*(u2-p2) + sq(u2-p2))
	eps := math.Sqrt(sq(u1-p1) - 2*phi*(u1-p1)*(p2-l2) + sq(p2-l2))
	// After − before is −theta: its interval is the mirror of theta's.
	diff, lo, hi = -100*theta, -100*(theta+eps), -100*(theta-delta)
	m := b + c
	k := min(b, c)
	sum := 0.0
	for i := 0; i <= k; i++ {
		sum += binom(m, i)
	}
	p = math.Min(1, 2*sum/math.Pow(2, float64(m)))
	if m == 0 {
		p = 1
	}
	return diff, lo, hi, p
}

func binom(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestSiteReportFiguresByHand: a small site's year, including a partial
// closing interview, a participant of another year and one who withdrew;
// every figure of the report equals the count or formula done here.
func TestSiteReportFiguresByHand(t *testing.T) {
	st, ctx := reportSite(t)
	asked := program.Default().Asked()
	// choice[k][tp] is person k's answer to indicator i: a function of
	// (k, i, tp) so the hand count can redo it.
	choice := func(k, i, tp int) string {
		switch {
		case k == 2 && tp == 2 && i%3 == 0:
			return contract.Declined // the partial closing interview
		case k == 1 && tp == 1 && i == 4:
			return contract.NotAsked
		case (k+i+tp)%3 == 0:
			return ChoicePresent
		}
		return ChoiceAbsent
	}
	days := [3]string{"2025-01-06", "2025-06-30", "2025-12-15"}
	var ps []Participant
	for k := range 4 {
		p := enrollOn(t, st, fmt.Sprint("P", k), "2025-01-06", k < 2)
		ps = append(ps, p)
		for tp, day := range days {
			if k == 3 && tp > 0 {
				break // person 3 has only a first interview
			}
			in := InterviewInput{InterviewedOn: day}
			for i, it := range asked {
				in.SetChoice(it.Code, choice(k, i, tp))
			}
			_, err := st.Participants.RecordInterview(ctx, p.ID, contract.Timepoints[tp], in)
			must(t, err)
		}
	}
	// Not in the 2025 report: another year's participant, and one who withdrew.
	other := enrollOn(t, st, "Other", "2024-03-04", true)
	_, err := st.Participants.RecordInterview(ctx, other.ID, "eligibility", InterviewInput{InterviewedOn: "2024-03-04", Answers: allAnswers(true)})
	must(t, err)
	gone := enrollOn(t, st, "Gone", "2025-02-03", true)
	_, err = st.Participants.RecordInterview(ctx, gone.ID, "eligibility", InterviewInput{InterviewedOn: "2025-02-03", Answers: allAnswers(true)})
	must(t, err)
	must(t, st.Participants.Withdraw(ctx, gone.ID))
	// Hospitalizations: exact before counts (5 is above the wire's top code).
	must(t, st.Outcomes.SetHospitalizationsBefore(ctx, ps[0].ID, 5))
	must(t, st.Outcomes.SetHospitalizationsBefore(ctx, ps[1].ID, 1))
	for _, day := range []string{"2025-03-03", "2025-08-08"} {
		_, err := st.Outcomes.AddHospitalStay(ctx, ps[0].ID, day)
		must(t, err)
	}
	// Surveys of 2025: statement 1 answered by all three, the others by one.
	stmts := program.Default().Survey.Statements
	for i, a := range []string{contract.AnswerDefinitelyAgree, contract.AnswerSomewhatAgree, contract.AnswerDefinitelyAgree} {
		ans := map[string]string{stmts[0].Code: a}
		if i == 0 {
			ans[stmts[1].Code] = contract.AnswerDefinitelyDisagree
		}
		must(t, st.Surveys.RecordSurvey(ctx, SurveyInput{Timepoint: "closing", Answers: ans}))
	}

	rep, err := st.Outcomes.SiteReport(ctx, 2025)
	must(t, err)
	if rep.Participants != 4 || len(rep.POM) != 12 || rep.Years[0] != 2025 || len(rep.Years) != 2 {
		t.Fatalf("report of %d participants, %d rows, years %v", rep.Participants, len(rep.POM), rep.Years)
	}
	interviewed := func(k, tp int) bool { return k < 3 || tp == 0 }
	for i, r := range rep.POM {
		if r.Code != asked[i].Code {
			t.Fatalf("row %d is %s", i, r.Code)
		}
		for tp, sh := range []struct{ N, Present, NotAsked, Declined int }{
			{r.First.N, r.First.Present, r.First.NotAsked, r.First.Declined}, {r.Mid.N, r.Mid.Present, r.Mid.NotAsked, r.Mid.Declined},
			{r.Closing.N, r.Closing.Present, r.Closing.NotAsked, r.Closing.Declined}} {
			var n, present, notAsked, declined int
			for k := range 4 {
				if !interviewed(k, tp) {
					continue
				}
				switch choice(k, i, tp) {
				case ChoicePresent:
					n, present = n+1, present+1
				case ChoiceAbsent:
					n++
				case contract.NotAsked:
					notAsked++
				case contract.Declined:
					declined++
				}
			}
			if sh.N != n || sh.Present != present || sh.NotAsked != notAsked || sh.Declined != declined {
				t.Errorf("%s at %s: %+v, by hand n %d present %d not asked %d declined %d", r.Code, contract.Timepoints[tp], sh, n, present, notAsked, declined)
			}
		}
		for tp, ch := range map[int]struct {
			got             [4]int
			ok              bool
			diff, lo, hi, p float64
		}{1: {[4]int{r.ToMid.Both, r.ToMid.Lost, r.ToMid.Gained, r.ToMid.Neither}, r.ToMid.OK, r.ToMid.Points, r.ToMid.Lower, r.ToMid.Upper, r.ToMid.P},
			2: {[4]int{r.ToClosing.Both, r.ToClosing.Lost, r.ToClosing.Gained, r.ToClosing.Neither}, r.ToClosing.OK, r.ToClosing.Points, r.ToClosing.Lower, r.ToClosing.Upper, r.ToClosing.P}} {
			var cells [4]int // both, lost, gained, neither
			for k := range 4 {
				b, a := choice(k, i, 0), choice(k, i, tp)
				if !interviewed(k, tp) || (b != ChoicePresent && b != ChoiceAbsent) || (a != ChoicePresent && a != ChoiceAbsent) {
					continue
				}
				switch {
				case b == ChoicePresent && a == ChoicePresent:
					cells[0]++
				case b == ChoicePresent:
					cells[1]++
				case a == ChoicePresent:
					cells[2]++
				default:
					cells[3]++
				}
			}
			if ch.got != cells || !ch.ok {
				t.Errorf("%s paired to %s: %v, by hand %v", r.Code, contract.Timepoints[tp], ch.got, cells)
				continue
			}
			diff, lo, hi, p := changeByHand(cells[0], cells[1], cells[2], cells[3])
			if !near(ch.diff, diff) || !near(ch.lo, lo) || !near(ch.hi, hi) || !near(ch.p, p) {
				t.Errorf("%s to %s: %+.4f [%.4f, %.4f] p %.4f, by hand %+.4f [%.4f, %.4f] p %.4f", r.Code, contract.Timepoints[tp], ch.diff, ch.lo, ch.hi, ch.p, diff, lo, hi, p)
			}
		}
	}
	// Surveys: 3 completed; statement 1: 2 definitely, 1 somewhat agree.
	sv := rep.Survey
	if sv.Completed != 3 || sv.Rows[0].Counts != [4]int{2, 1, 0, 0} || sv.Rows[0].N != 3 || sv.Rows[1].Counts != [4]int{0, 0, 0, 1} || sv.Rows[2].N != 0 {
		t.Errorf("survey %+v", sv)
	}
	if sv.Highest.N != 4 || sv.Highest.Present != 2 {
		t.Errorf("highest %+v", sv.Highest)
	}
	// Hospitalizations: 2 with data, 6 before (exact), 2 during, by 1
	// person; 12 program months each begun by 2025-12-20.
	h := rep.Hospital
	if h.Participants != 2 || h.Before != 6 || h.During != 2 || h.HospitalizedDuring != 1 || h.MonthsEnrolled != 24 {
		t.Errorf("hospitalizations %+v", h)
	}
	if !near(h.RateBefore, 6.0/4) || !near(h.RateDuring, 2.0*12/24) {
		t.Errorf("rates %v %v", h.RateBefore, h.RateDuring)
	}
	// Participation: the sum of each participant's months as the
	// participant's page shows them.
	var held, due int
	for _, p := range ps {
		ms, err := st.Outcomes.ParticipationMonths(ctx, p.ID)
		must(t, err)
		for _, m := range ms {
			held += m.MeetingsHeld
			due += m.JournalsDue
		}
	}
	if rep.Participation.Total.MeetingsHeld != held || rep.Participation.Total.JournalsDue != due {
		t.Errorf("participation %+v, by hand held %d due %d", rep.Participation.Total, held, due)
	}
	// Another year reads only its own.
	if r24, err := st.Outcomes.SiteReport(ctx, 2024); err != nil || r24.Participants != 1 || r24.POM[0].First.N != 1 || r24.Survey.Completed != 0 {
		t.Errorf("2024: %+v %v", r24.POM[0].First, err)
	}
}
