// Package contracttest makes synthetic records of the wire contract for
// tests and benchmarks: de-identified, valid, and nothing like any real
// participant's.
package contracttest

import (
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
