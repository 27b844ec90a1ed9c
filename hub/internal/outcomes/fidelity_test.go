package outcomes_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/hub/internal/affiliates"
	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/hub/internal/storetest"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/deident"
)

// participantMonths pushes one participation month for each of n new
// participants of a model at a site: journals and receipts kept or not,
// and how many meetings they had.
func participantMonths(t *testing.T, s *store.Store, site store.Site, n int, model string, kept bool, meetings int) {
	t.Helper()
	now := time.Now()
	var recs []contract.Record
	for range n {
		recs = append(recs, rec(t, deident.NewRecordID(now), contract.TypeParticipation, 1, contract.Participation{ParticipantKey: uuid.NewString(), EnrollmentYear: 2026,
			AgeBand: "35-44", Model: model, ProgramMonth: 1, MeetingsHeld: meetings, MeetingsAttended: meetings, JournalsDue: 4,
			JournalsCompleted: map[bool]int{true: 4, false: 1}[kept], StipendSpentCents: 1000, ReceiptsComplete: kept, OutingsByStage: []int{0, 0, 0, 0}}))
	}
	push(t, s, site.ID, recs...)
}

func siteIn(t *testing.T, s *store.Store, org store.Organization, name string) store.Site {
	t.Helper()
	site, err := intake.New(s).AddSite(context.Background(), org.ID, name)
	if err != nil {
		t.Fatal(err)
	}
	return site
}

// participantFigures is what a fidelity row says that rests on
// participants.
func participantFigures(sf outcomes.SiteFidelity) []outcomes.Figure {
	return []outcomes.Figure{sf.JournalShare, sf.ReceiptShare, sf.SEMeetings}
}

var participantReasons = []string{"journal", "receipt", "Social Explorations"}

// TestFidelityFollowsTheOutcomesSuppression: the fidelity figures that rest
// on participants are shown and hidden exactly as the outcomes report of
// the site shows and hides the head count they rest on, with the same
// minimum cell, and a flag never rests on one that is hidden. A small site
// and the larger site hidden to protect it look the same: nothing on the
// fidelity report tells which of the two is small.
func TestFidelityFollowsTheOutcomesSuppression(t *testing.T) {
	storetest.Each(t, func(ctx context.Context, t *testing.T, s *store.Store) {
		orgX, err := affiliates.New(s).AddOrganization(ctx, "Two Sites Org", "peer_run", "VA")
		if err != nil {
			t.Fatal(err)
		}
		orgY, err := affiliates.New(s).AddOrganization(ctx, "Large Org", "peer_run", "VA")
		if err != nil {
			t.Fatal(err)
		}
		small, larger, large := siteIn(t, s, orgX, "Small"), siteIn(t, s, orgX, "Larger"), siteIn(t, s, orgY, "Large")
		// The small site (3 people) and the larger one (20) miss every
		// participant threshold; the large one (30) too.
		participantMonths(t, s, small, 2, contract.ModelSocialExplorations, false, 1)
		participantMonths(t, s, small, 1, contract.ModelPeerPartners, false, 4)
		participantMonths(t, s, larger, 12, contract.ModelSocialExplorations, false, 1)
		participantMonths(t, s, larger, 8, contract.ModelPeerPartners, false, 4)
		participantMonths(t, s, large, 18, contract.ModelSocialExplorations, false, 1)
		participantMonths(t, s, large, 12, contract.ModelPeerPartners, false, 4)
		projectAll(t, s, 1000)

		for _, minCell := range []int{1, 11, 25} {
			rep, err := outcomes.New(s).Fidelity(ctx, outcomes.OutcomeFilter{}, outcomes.DefaultFidelity(), minCell)
			if err != nil {
				t.Fatal(err)
			}
			if rep.MinCell != minCell || len(rep.Sites) != 3 {
				t.Fatalf("min cell %d: report for %d sites under %d", minCell, len(rep.Sites), rep.MinCell)
			}
			flags, err := outcomes.New(s).FlaggedSites(ctx, outcomes.DefaultFidelity(), minCell)
			if err != nil {
				t.Fatal(err)
			}
			flagged := map[string][]string{}
			for _, fl := range flags {
				flagged[fl.SiteID] = fl.Reasons
			}
			rows := map[string]outcomes.SiteFidelity{}
			for _, sf := range rep.Sites {
				rows[sf.SiteID] = sf
				all, err := outcomes.New(s).Outcomes(ctx, outcomes.OutcomeFilter{SiteID: sf.SiteID}, minCell)
				if err != nil {
					t.Fatal(err)
				}
				se, err := outcomes.New(s).Outcomes(ctx, outcomes.OutcomeFilter{SiteID: sf.SiteID, Model: contract.ModelSocialExplorations}, minCell)
				if err != nil {
					t.Fatal(err)
				}
				for i, want := range []outcomes.Figure{all.Participation.JournalShare, all.Participation.ReceiptShare} {
					if !reflect.DeepEqual(participantFigures(sf)[i], want) {
						t.Errorf("min cell %d, %s: fidelity %v, the outcomes report %v", minCell, sf.Site, participantFigures(sf)[i], want)
					}
				}
				if sf.SEMeetings.Suppressed != se.Participation.Participants.Suppressed {
					t.Errorf("min cell %d, %s: Social Explorations meetings %v, the report's Social Explorations participants %v", minCell, sf.Site, sf.SEMeetings, se.Participation.Participants)
				}
				reasons := strings.Join(sf.Reasons, "; ")
				for i, fig := range participantFigures(sf) {
					if fig.Suppressed && strings.Contains(reasons, participantReasons[i]) {
						t.Errorf("min cell %d, %s: a reason rests on a hidden figure: %q", minCell, sf.Site, reasons)
					}
					if !fig.Suppressed && !strings.Contains(reasons, participantReasons[i]) {
						t.Errorf("min cell %d, %s: %s is shown and below its threshold, but not a reason: %q", minCell, sf.Site, participantReasons[i], reasons)
					}
				}
				if !reflect.DeepEqual(flagged[sf.SiteID], nonEmpty(sf.Reasons)) {
					t.Errorf("min cell %d, %s: TA flags %q, the fidelity report %q", minCell, sf.Site, flagged[sf.SiteID], sf.Reasons)
				}
			}
			a, b := rows[small.ID], rows[larger.ID]
			switch minCell {
			case 1:
				if a.JournalShare.Suppressed || len(a.Reasons) != 3 {
					t.Errorf("nothing hidden under a minimum cell of 1, yet the small site shows %+v", a)
				}
			case 11, 25:
				// The larger site is hidden to protect the small one: the
				// two rows say the same of their participants.
				for _, sf := range []outcomes.SiteFidelity{a, b} {
					for _, fig := range participantFigures(sf) {
						if !fig.Suppressed || fig.Note != outcomes.SuppressedNote(minCell) {
							t.Errorf("min cell %d, %s shows %+v of its participants", minCell, sf.Site, fig)
						}
					}
				}
				if !reflect.DeepEqual(participantFigures(a), participantFigures(b)) || !reflect.DeepEqual(a.Reasons, b.Reasons) || a.FlaggedForTA != b.FlaggedForTA {
					t.Errorf("min cell %d: the small site and the larger one can be told apart:\n%+v\n%+v", minCell, a, b)
				}
			}
			if c := rows[large.ID]; minCell <= 11 && (c.JournalShare.Suppressed || !c.FlaggedForTA) {
				t.Errorf("min cell %d: the large site (30 participants) hides %+v or is not flagged: %q", minCell, c.JournalShare, c.Reasons)
			}
		}
	})
}

func nonEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
