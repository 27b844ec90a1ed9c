// Package demo fills an agent with synthetic participants and interviews:
// made-up people for trying the software, never real ones.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/itsmylife/iml/agent/internal/rules"
	"github.com/itsmylife/iml/agent/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

var firstNames = []string{"Avery", "Jordan", "Riley", "Casey", "Morgan", "Quinn", "Rowan", "Emerson", "Sage", "Parker", "Hayden", "Reese", "Dakota", "Skyler", "Finley", "Harper"}
var lastNames = []string{"Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir", "Ginkgo", "Hazel", "Ivy", "Juniper", "Larch", "Maple", "Oak", "Pine", "Rowan", "Spruce"}

// Seed adds n synthetic participants enrolled over the past year and a half,
// with the interviews their time in the program allows. Closing interviews
// show more outcomes present than eligibility ones, as a working program
// would. seed makes the data repeatable.
func Seed(ctx context.Context, st *store.Store, n int, seed uint64) (int, error) {
	rnd := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) //nolint:gosec // G404: repeatable demo data, not a secret
	rel, err := st.ActiveRelease(ctx)
	if err != nil {
		return 0, err
	}
	today := st.Now()
	made := 0
	var people []store.Participant
	for i := 0; i < n; i++ {
		enrolled := today.AddDate(0, 0, -rnd.IntN(540))
		birth := enrolled.AddDate(-(19 + rnd.IntN(55)), -rnd.IntN(12), -rnd.IntN(28))
		in := store.ParticipantInput{
			FirstName:       firstNames[rnd.IntN(len(firstNames))],
			LastName:        lastNames[rnd.IntN(len(lastNames))] + " (demo)",
			BirthDate:       birth.Format("2006-01-02"),
			Phone:           fmt.Sprintf("555-01%02d", rnd.IntN(100)),
			Email:           fmt.Sprintf("demo%d@example.org", rnd.IntN(100000)),
			Address:         fmt.Sprintf("%d Example Street", 1+rnd.IntN(999)),
			EnrolledOn:      enrolled.Format("2006-01-02"),
			InformedConsent: true, ManagesFinances: true, SetsGoals: true, AcceptsResponsibilities: true,
			AgreementSignedOn: enrolled.Format("2006-01-02"), HospitalizationConsentOn: enrolled.Format("2006-01-02"),
		}
		p, err := st.Participants.AddParticipant(ctx, in)
		// The intake refuses a person already at the site: a made-up
		// person who drew the names and birthday of another (or a second
		// seeding of the same agent) is born a day earlier, until they
		// are someone new. Older stays old enough; no random draw is used,
		// so a seed still makes the same people.
		for store.IsAlreadyAtSite(err) {
			birth = birth.AddDate(0, 0, -1)
			in.BirthDate = birth.Format("2006-01-02")
			p, err = st.Participants.AddParticipant(ctx, in)
		}
		if err != nil {
			return made, err
		}
		made++
		people = append(people, p)
		base := map[string]float64{}
		for _, it := range rel.Asked() {
			base[it.Code] = 0.15 + rnd.Float64()*0.35
		}
		for k, tp := range contract.Timepoints {
			day := enrolled.AddDate(0, 6*k, 0)
			if k == 2 {
				day = enrolled.AddDate(0, 12, -3)
			}
			if day.After(today) {
				break
			}
			in := store.InterviewInput{InterviewedOn: day.Format("2006-01-02"), Answers: map[string]bool{}, Unanswered: map[string]string{}}
			for code, b := range base {
				switch r := rnd.Float64(); {
				case r < 0.03:
					in.Unanswered[code] = contract.Declined
				case r < 0.05:
					in.Unanswered[code] = contract.NotAsked
				default:
					in.Answers[code] = rnd.Float64() < b+0.18*float64(k)
				}
			}
			if _, err := st.Participants.RecordInterview(ctx, p.ID, tp, in); err != nil {
				return made, err
			}
		}
	}
	if err := seedOutcomes(ctx, st, rnd, rel, people[:min(len(people), outcomePeople)], today); err != nil {
		return made, err
	}
	return made, seedProgram(ctx, st, rnd, rel, people, today)
}

// seedProgram gives a demo site two certified coaches (once), a Peer
// Partners group of eight and a Social Explorations caseload, so that the
// program's pages have something to show.
func seedProgram(ctx context.Context, st *store.Store, rnd *rand.Rand, rel program.Release, people []store.Participant, today time.Time) error {
	if cs, err := st.Coaches.Coaches(ctx); err != nil || len(cs) > 0 || len(people) < 8 {
		return err
	}
	var coaches []store.Coach
	for _, c := range []store.CoachInput{
		// The hub's demo (deploy/demo) certifies these two by their emails.
		{Name: "Casey Morgan (demo)", Email: "casey.morgan@demo.example.org", Bio: "Peer Life Coach since 2019; likes bowling, gardening and the public library."},
		{Name: "Robin Okafor (demo)", Email: "robin.okafor@demo.example.org", Bio: "Runs the Saturday walking group; ten years in peer support."},
	} {
		co, err := st.Coaches.AddCoach(ctx, c)
		if err != nil {
			return err
		}
		if _, err := st.Coaches.RecordCertification(ctx, co.ID, "site", store.Certification{Code: "DEMO-" + co.ID[:6], CertifiedUntil: today.AddDate(1, 0, 0).Format("2006-01-02")}); err != nil {
			return err
		}
		coaches = append(coaches, co)
	}
	start := today.AddDate(0, -3, 0).Format("2006-01-02")
	// The cohorts' members enrolled by the day the cohorts started: no one
	// joins before they enrolled.
	var enrolled []store.Participant
	for _, p := range people {
		if p.EnrolledOn <= start {
			enrolled = append(enrolled, p)
		}
	}
	if len(enrolled) < 8 {
		return nil
	}
	people = enrolled
	groups := []struct {
		in      store.CohortInput
		members []store.Participant
	}{
		{store.CohortInput{Name: "Tuesday evening group", Model: program.ModelPeerPartners, StartDate: start, CoachID: coaches[0].ID, MeetingDay: "tuesday", MeetingTime: "18:00", Location: "Community room", MixedPairs: true}, people[:8]},
		{store.CohortInput{Name: "One-to-one caseload", Model: program.ModelSocialExplorations, StartDate: start, CoachID: coaches[1].ID, Frequency: "biweekly"}, people[8:min(len(people), 13)]},
	}
	for _, g := range groups {
		coh, err := st.Cohorts.AddCohort(ctx, g.in)
		if err != nil {
			return err
		}
		for _, p := range g.members {
			if err := st.Cohorts.AddMember(ctx, coh.ID, p.ID, start, store.ConfirmYearEnded); err != nil {
				return err
			}
		}
		if err := seedActivity(ctx, st, rnd, rel, coh, g.members, today); err != nil {
			return fmt.Errorf("demo activity of %s: %w", g.in.Name, err)
		}
	}
	return nil
}

// outcomePeople is how many participants of each seeding get surveys and
// hospitalizations (a bounded number, so large seedings stay quick).
const outcomePeople = 30

// seedOutcomes records hospitalizations and changes in other services for
// some participants, and anonymous surveys at the mid-point and end of
// those whose time in the program has come that far.
func seedOutcomes(ctx context.Context, st *store.Store, rnd *rand.Rand, rel program.Release, people []store.Participant, today time.Time) error {
	for _, p := range people {
		enrolled, _ := time.Parse("2006-01-02", p.EnrolledOn)
		if err := st.Outcomes.SetHospitalizationsBefore(ctx, p.ID, rnd.IntN(5)); err != nil {
			return err
		}
		end := enrolled.AddDate(1, 0, -1)
		if today.Before(end) {
			end = today
		}
		days := int(end.Sub(enrolled).Hours() / 24)
		if days > 0 && rnd.IntN(4) == 0 {
			if _, err := st.Outcomes.AddHospitalStay(ctx, p.ID, enrolled.AddDate(0, 0, rnd.IntN(days)).Format("2006-01-02")); err != nil {
				return err
			}
		}
		if days > 0 && rnd.IntN(3) == 0 {
			sc := store.ServiceChange{Service: contract.Services[rnd.IntN(len(contract.Services))], Change: contract.ServiceChangeKinds[rnd.IntN(len(contract.ServiceChangeKinds))],
				ChangedOn: enrolled.AddDate(0, 0, rnd.IntN(days)).Format("2006-01-02")}
			if _, err := st.Outcomes.AddServiceChange(ctx, p.ID, sc); err != nil {
				return err
			}
		}
		for k, tp := range []string{contract.TimepointMidpoint, contract.TimepointClosing} {
			if enrolled.AddDate(0, 6*(k+1), 0).After(today) || rnd.IntN(5) == 0 {
				continue
			}
			answers := map[string]string{}
			for _, s := range rel.Survey.Statements {
				if rnd.IntN(20) == 0 {
					continue // left blank
				}
				// Mostly agreeing, more so at the end.
				answers[s.Code] = rel.Survey.Answers[min(rnd.IntN(4), rnd.IntN(4-k))].Code
			}
			if err := st.Surveys.RecordSurvey(ctx, store.SurveyInput{Timepoint: tp, Answers: answers}); err != nil {
				return err
			}
		}
	}
	return nil
}

// seedActivity gives a cohort its months so far: weekly group meetings
// (Peer Partners, with pairs, one of them changed) or a visit every two
// weeks (Social Explorations), weekly journals and monthly outings.
func seedActivity(ctx context.Context, st *store.Store, rnd *rand.Rand, rel program.Release, coh store.Cohort, members []store.Participant, today time.Time) error {
	start, _ := time.Parse("2006-01-02", coh.StartDate)
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	if coh.Model == program.ModelPeerPartners {
		var pairs []store.PairInfo
		for i := 0; i+1 < len(members); i += 2 {
			pr, _, err := st.Pairs.FormPair(ctx, coh.ID, store.PairInput{ParticipantIDs: []string{members[i].ID, members[i+1].ID}, FormedOn: day(start.AddDate(0, 0, 7))})
			if err != nil {
				return err
			}
			pairs = append(pairs, pr)
		}
		if len(pairs) >= 2 {
			// Two pairs swap partners in the second month.
			changed := day(start.AddDate(0, 1, 3))
			for _, pr := range pairs[:2] {
				if _, err := st.Pairs.EndPair(ctx, coh.ID, pr.ID, store.EndPairInput{EndedOn: changed, Reason: "different_progression"}); err != nil {
					return err
				}
			}
			for _, ids := range [][]string{{members[0].ID, members[2].ID}, {members[1].ID, members[3].ID}} {
				if _, _, err := st.Pairs.FormPair(ctx, coh.ID, store.PairInput{ParticipantIDs: ids, FormedOn: changed}); err != nil {
					return err
				}
			}
		}
	}
	step := 7
	if coh.Model == program.ModelSocialExplorations {
		step = 14
	}
	for d := start.AddDate(0, 0, 1); !d.After(today.AddDate(0, 0, -1)); d = d.AddDate(0, 0, step) {
		th, _ := rules.ThemeOf(rel, coh.Model, rules.ProgramMonth(start, d))
		plan, skills := "", []string{rel.Skills[0].Code}
		if ps := rel.PlansFor(th.Code); len(ps) > 0 {
			plan = ps[rnd.IntN(len(ps))].Code
			if sk := ps[0].Skills; len(sk) > 0 && plan == ps[0].Code {
				skills = sk[:1]
			}
		}
		// Those a meeting on the day lists: not before they joined nor
		// after their program year ended.
		present, err := st.Meetings.Attendees(ctx, coh.ID, day(d))
		if err != nil {
			return err
		}
		if len(present) == 0 {
			continue
		}
		if coh.Model == program.ModelSocialExplorations {
			for _, p := range present {
				if _, err := st.Meetings.RecordMeeting(ctx, coh.ID, "demo", store.MeetingInput{HeldOn: day(d), LessonPlan: plan, Skills: skills, Attendance: map[string]bool{p.ID: true}}); err != nil {
					return err
				}
			}
			continue
		}
		att := map[string]bool{}
		for i, p := range present {
			att[p.ID] = i == 0 || rnd.IntN(6) > 0
		}
		if _, err := st.Meetings.RecordMeeting(ctx, coh.ID, "demo", store.MeetingInput{HeldOn: day(d), LessonPlan: plan, Skills: skills, Attendance: att}); err != nil {
			return err
		}
	}
	for _, p := range members {
		enrolled, _ := time.Parse("2006-01-02", p.EnrolledOn)
		from := rules.WeekStart(start)
		if from.Before(enrolled) {
			from = rules.WeekStart(enrolled).AddDate(0, 0, 7)
		}
		for w := from; !w.After(today); w = w.AddDate(0, 0, 7) {
			if rnd.IntN(4) == 0 {
				continue
			}
			if _, err := st.Journals.SaveJournal(ctx, p.ID, day(w), "demo", map[string]string{rel.JournalPrompts[0].Code: "A made-up week (demo)."}); err != nil {
				return err
			}
		}
		for k, o := 0, start.AddDate(0, 0, 10); !o.After(today); k, o = k+1, o.AddDate(0, 1, 0) {
			if o.Before(enrolled) {
				continue
			}
			if _, err := st.Outings.AddOuting(ctx, p.ID, store.OutingInput{Date: day(o), Activity: "demo outing", Stage: min(1+k, 3)}); err != nil {
				return err
			}
		}
	}
	return nil
}
