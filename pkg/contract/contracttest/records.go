// Package contracttest makes synthetic records of the wire contract for
// tests and benchmarks: de-identified, valid, and nothing like any real
// participant's.
package contracttest

import (
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
	"github.com/itsmylife/iml/pkg/program"
)

// Interviews makes n POM interview records of the default release, each of
// a participant of its own, at the three timepoints in turn, every
// indicator answered (a third present).
func Interviews(n int) []contract.Record {
	rel := program.Default()
	now := time.Now()
	out := make([]contract.Record, n)
	for i := range out {
		answers := make(map[string]bool, len(rel.POM.Items))
		for j, it := range rel.POM.Items {
			answers[it.Code] = (i+j)%3 == 0
		}
		r, err := contract.NewRecord(deident.NewRecordID(now), contract.TypePOMInterview, 1, contract.POMInterview{
			ParticipantKey: uuid.NewString(), EnrollmentYear: 2025, AgeBand: "35-44", Timepoint: contract.Timepoints[i%3],
			ProgramMonth: 1 + 5*(i%3), Release: rel.Version, Answers: answers,
		})
		if err != nil {
			panic(err) // the values above are valid by construction
		}
		out[i] = r
	}
	return out
}

// ParticipantYear makes the records of one participant as an agent
// sends them over a program year: the participant, three POM interviews,
// twelve months of participation, a hospitalization record and a survey
// (18 records).
func ParticipantYear(rng *rand.Rand, rel *program.Release) []contract.Record {
	key, year, band := uuid.NewString(), 2024+rng.IntN(3), contract.AgeBands[1+rng.IntN(7)]
	model := contract.Models[rng.IntN(2)]
	now := time.Now()
	var out []contract.Record
	add := func(typ string, p any) {
		r, err := contract.NewRecord(deident.NewRecordID(now), typ, 1, p)
		if err != nil {
			panic(err)
		}
		out = append(out, r)
	}
	add(contract.TypeParticipant, contract.Participant{Key: key, EnrollmentYear: year, AgeBand: band, Model: model})
	for ti, tp := range contract.Timepoints {
		ans := make(map[string]bool, len(rel.POM.Items))
		for _, it := range rel.POM.Items {
			ans[it.Code] = rng.Float64() < 0.3+0.2*float64(ti)
		}
		add(contract.TypePOMInterview, contract.POMInterview{ParticipantKey: key, EnrollmentYear: year, AgeBand: band, Timepoint: tp, ProgramMonth: 1 + 5*ti, Release: rel.Version, Answers: ans})
	}
	for m := 1; m <= 12; m++ {
		held := 2 + rng.IntN(3)
		add(contract.TypeParticipation, contract.Participation{ParticipantKey: key, EnrollmentYear: year, AgeBand: band, ProgramMonth: m, MeetingsHeld: held,
			MeetingsAttended: rng.IntN(held + 1), JournalsDue: 4, JournalsCompleted: rng.IntN(5), StipendSpentCents: int64(rng.IntN(6001)),
			ReceiptsComplete: rng.Float64() < 0.9, OutingsByStage: []int{rng.IntN(2), rng.IntN(2), 0, 0}})
	}
	add(contract.TypeHospitalization, contract.Hospitalization{ParticipantKey: key, EnrollmentYear: year, AgeBand: band, BeforeCount: rng.IntN(4),
		DuringMonths: []int{}, MonthsEnrolled: 12, ServiceChanges: []contract.ServiceChange{}})
	ans := make(map[string]string, len(rel.Survey.Statements))
	for _, st := range rel.Survey.Statements {
		ans[st.Code] = contract.SurveyAnswers[rng.IntN(4)]
	}
	add(contract.TypeSurveyResponse, contract.SurveyResponse{Year: year, Timepoint: contract.TimepointClosing, Model: model, Release: rel.Version, Answers: ans})
	return out
}
