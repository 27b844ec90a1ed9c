// Package demo fills an agent with synthetic participants and interviews:
// made-up people for trying the software, never real ones.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

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
		p, err := st.AddParticipant(ctx, store.ParticipantInput{
			FirstName:       firstNames[rnd.IntN(len(firstNames))],
			LastName:        lastNames[rnd.IntN(len(lastNames))] + " (demo)",
			BirthDate:       birth.Format("2006-01-02"),
			Phone:           fmt.Sprintf("555-01%02d", rnd.IntN(100)),
			Email:           fmt.Sprintf("demo%d@example.org", rnd.IntN(100000)),
			Address:         fmt.Sprintf("%d Example Street", 1+rnd.IntN(999)),
			EnrolledOn:      enrolled.Format("2006-01-02"),
			InformedConsent: true, ManagesFinances: true, SetsGoals: true, AcceptsResponsibilities: true,
			AgreementSignedOn: enrolled.Format("2006-01-02"), HospitalizationConsentOn: enrolled.Format("2006-01-02"),
		})
		if err != nil {
			return made, err
		}
		made++
		people = append(people, p)
		base := map[string]float64{}
		for _, it := range rel.POM.Items {
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
			answers := map[string]bool{}
			for code, b := range base {
				answers[code] = rnd.Float64() < b+0.18*float64(k)
			}
			if _, err := st.RecordInterview(ctx, p.ID, tp, store.InterviewInput{InterviewedOn: day.Format("2006-01-02"), Answers: answers}); err != nil {
				return made, err
			}
		}
	}
	return made, seedProgram(ctx, st, people, today)
}

// seedProgram gives a demo site two certified coaches (once), a Peer
// Partners group of eight and a Social Explorations caseload, so that the
// program's pages have something to show.
func seedProgram(ctx context.Context, st *store.Store, people []store.Participant, today time.Time) error {
	if cs, err := st.Coaches(ctx); err != nil || len(cs) > 0 || len(people) < 8 {
		return err
	}
	var coaches []store.Coach
	for _, c := range []store.CoachInput{
		// The hub's demo (deploy/demo) certifies these two by their emails.
		{Name: "Casey Morgan (demo)", Email: "casey.morgan@demo.example.org", Bio: "Peer Life Coach since 2019; likes bowling, gardening and the public library."},
		{Name: "Robin Okafor (demo)", Email: "robin.okafor@demo.example.org", Bio: "Runs the Saturday walking group; ten years in peer support."},
	} {
		co, err := st.AddCoach(ctx, c)
		if err != nil {
			return err
		}
		if _, err := st.RecordCertification(ctx, co.ID, "site", store.Certification{Code: "DEMO-" + co.ID[:6], CertifiedUntil: today.AddDate(1, 0, 0).Format("2006-01-02")}); err != nil {
			return err
		}
		coaches = append(coaches, co)
	}
	start := today.AddDate(0, -3, 0).Format("2006-01-02")
	groups := []struct {
		in      store.CohortInput
		members []store.Participant
	}{
		{store.CohortInput{Name: "Tuesday evening group", Model: program.ModelPeerPartners, StartDate: start, CoachID: coaches[0].ID, MeetingDay: "tuesday", MeetingTime: "18:00", Location: "Community room", MixedPairs: true}, people[:8]},
		{store.CohortInput{Name: "One-to-one caseload", Model: program.ModelSocialExplorations, StartDate: start, CoachID: coaches[1].ID, Frequency: "biweekly"}, people[8:min(len(people), 13)]},
	}
	for _, g := range groups {
		coh, err := st.AddCohort(ctx, g.in)
		if err != nil {
			return err
		}
		for _, p := range g.members {
			if err := st.AddMember(ctx, coh.ID, p.ID, start); err != nil {
				return err
			}
		}
	}
	return nil
}
