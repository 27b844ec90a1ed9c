package server_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"github.com/itsmylife/iml/hub/internal/intake"
	"github.com/itsmylife/iml/hub/internal/outcomes"
	"github.com/itsmylife/iml/hub/internal/store"
	"github.com/itsmylife/iml/pkg/contract"
	"github.com/itsmylife/iml/pkg/program"
)

// synth is random synthetic outcome data for a few sites, kept as the
// sites hold it: every record's latest version (nil payload when it was
// withdrawn). The test computes every expected figure from it alone.
type synth struct {
	rng    *rand.Rand
	sites  []store.Site
	orgOf  map[string]store.Organization // by site id
	latest map[string]synthRecord        // by record id
	order  []string
}

type synthRecord struct {
	site, typ string
	version   int64
	payload   any // nil: withdrawn (tombstone)
}

func (g *synth) put(site, typ string, payload any) string {
	id := newID()
	g.latest[id] = synthRecord{site: site, typ: typ, version: 1, payload: payload}
	g.order = append(g.order, id)
	return id
}

func (g *synth) model(unknown float64) string {
	if g.rng.Float64() < unknown {
		return ""
	}
	return contract.Models[g.rng.IntN(2)]
}

// generate makes records for every site: participants with interviews,
// hospitalizations and monthly participation, anonymous surveys and
// cohort months.
func (g *synth) generate(rel program.Release) map[string][]string {
	byKey := map[string][]string{} // participant key -> its record ids
	for _, site := range g.sites {
		n := 2 + g.rng.IntN(25)
		for range n {
			key := uuid.NewString()
			year := 2025 + g.rng.IntN(2)
			// Any band: the finest, and the coarser ones of the
			// quasi-identifier rule.
			band := contract.AgeBands[g.rng.IntN(len(contract.AgeBands))]
			pm := g.model(0.15)
			ids := []string{g.put(site.ID, contract.TypeParticipant, contract.Participant{Key: key, EnrollmentYear: year, AgeBand: band, Model: pm})}
			for ti, tp := range contract.Timepoints {
				if g.rng.Float64() < 0.15 {
					continue
				}
				ans := map[string]bool{}
				for _, it := range rel.Asked() {
					if g.rng.Float64() < 0.9 {
						ans[it.Code] = g.rng.Float64() < 0.3+0.2*float64(ti)
					}
				}
				if len(ans) == 0 {
					ans[rel.Asked()[0].Code] = true
				}
				im := ""
				if g.rng.Float64() < 0.3 {
					im = g.model(0)
				}
				ids = append(ids, g.put(site.ID, contract.TypePOMInterview, contract.POMInterview{ParticipantKey: key, EnrollmentYear: year, AgeBand: band, Model: im,
					Timepoint: tp, ProgramMonth: 1 + 5*ti, Release: rel.Version, Answers: ans}))
			}
			months := 1 + g.rng.IntN(12)
			if g.rng.Float64() < 0.7 {
				var during []int
				for range g.rng.IntN(3) {
					during = append(during, 1+g.rng.IntN(months))
				}
				ids = append(ids, g.put(site.ID, contract.TypeHospitalization, contract.Hospitalization{ParticipantKey: key, EnrollmentYear: year, AgeBand: band,
					Model: g.model(0.6), BeforeCount: g.rng.IntN(9), DuringMonths: during, MonthsEnrolled: months, ServiceChanges: []contract.ServiceChange{}}))
			}
			for m := 1; m <= months; m++ {
				held := g.rng.IntN(5)
				due := 4
				spent := int64(0)
				if g.rng.Float64() < 0.7 {
					spent = int64(g.rng.IntN(6000))
				}
				ids = append(ids, g.put(site.ID, contract.TypeParticipation, contract.Participation{ParticipantKey: key, EnrollmentYear: year, AgeBand: band, Model: g.model(0.7),
					ProgramMonth: m, MeetingsHeld: held, MeetingsAttended: g.rng.IntN(held + 1), JournalsDue: due, JournalsCompleted: g.rng.IntN(due + 1),
					StipendSpentCents: spent, ReceiptsComplete: g.rng.Float64() < 0.85, OutingsByStage: []int{g.rng.IntN(2), g.rng.IntN(2), g.rng.IntN(2), g.rng.IntN(2)}}))
			}
			byKey[key] = ids
		}
		for range g.rng.IntN(30) {
			ans := map[string]string{}
			for _, st := range rel.Survey.Statements {
				if g.rng.Float64() < 0.9 {
					ans[st.Code] = contract.SurveyAnswers[min(g.rng.IntN(5), 3)]
				}
			}
			if len(ans) == 0 {
				ans[rel.Survey.Statements[0].Code] = contract.AnswerDefinitelyAgree
			}
			g.put(site.ID, contract.TypeSurveyResponse, contract.SurveyResponse{Year: 2025 + g.rng.IntN(2), Timepoint: []string{contract.TimepointMidpoint, contract.TimepointClosing}[g.rng.IntN(2)],
				Model: g.model(0.2), Release: rel.Version, Answers: ans})
		}
		for range 1 + g.rng.IntN(2) {
			ck, model, year := uuid.NewString(), contract.Models[g.rng.IntN(2)], 2025+g.rng.IntN(2)
			for m := 1; m <= 1+g.rng.IntN(12); m++ {
				members := 4 + g.rng.IntN(10)
				held := g.rng.IntN(6)
				g.put(site.ID, contract.TypeCohortMonth, contract.CohortMonth{CohortKey: ck, Model: model, StartYear: year, ProgramMonth: m, Members: members,
					Pairs: members / 2, MeetingsHeld: held, MeetingsOnTheme: g.rng.IntN(held + 1)})
			}
		}
	}
	return byKey
}

// records is every record as the hub should now hold it, by site.
func (g *synth) records(t *testing.T, ids []string) map[string][]contract.Record {
	t.Helper()
	out := map[string][]contract.Record{}
	for _, id := range ids {
		r := g.latest[id]
		if r.payload == nil {
			out[r.site] = append(out[r.site], contract.NewTombstone(id, r.typ, r.version))
			continue
		}
		rec, err := contract.NewRecord(id, r.typ, r.version, r.payload)
		if err != nil {
			t.Fatal(err)
		}
		out[r.site] = append(out[r.site], rec)
	}
	return out
}

// push sends the records' current versions through the store's ingest.
func (g *synth) push(t *testing.T, h *hub, ids []string, seq int64) {
	t.Helper()
	for site, recs := range g.records(t, ids) {
		res, _, err := intake.New(h.st).Push(context.Background(), site, seq, recs, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Fate != contract.FateStored {
				t.Fatalf("record %s: fate %s %s", r.ID, r.Fate, r.Detail)
			}
		}
	}
}

// correct gives some records a new version with other content.
func (g *synth) correct(share float64) []string {
	var changed []string
	for _, id := range g.order {
		r := g.latest[id]
		if r.payload == nil || g.rng.Float64() >= share {
			continue
		}
		switch p := r.payload.(type) {
		case contract.POMInterview:
			ans := map[string]bool{}
			for k, v := range p.Answers {
				ans[k] = v != (g.rng.Float64() < 0.5)
			}
			p.Answers, p.Model = ans, g.model(0.5)
			r.payload = p
		case contract.Participant:
			p.Model = g.model(0.1)
			r.payload = p
		case contract.SurveyResponse:
			ans := map[string]string{}
			for k := range p.Answers {
				ans[k] = contract.SurveyAnswers[g.rng.IntN(4)]
			}
			p.Answers = ans
			r.payload = p
		case contract.Hospitalization:
			p.BeforeCount = g.rng.IntN(9) // above 3 only from agents older than the top code
			r.payload = p
		case contract.Participation:
			p.JournalsCompleted = g.rng.IntN(p.JournalsDue + 1)
			r.payload = p
		case contract.CohortMonth:
			p.Members = 4 + g.rng.IntN(10)
			p.Pairs = p.Members / 2
			r.payload = p
		}
		r.version++
		g.latest[id] = r
		changed = append(changed, id)
	}
	return changed
}

// withdraw removes every record of some participants (consent withdrawn)
// and some surveys.
func (g *synth) withdraw(byKey map[string][]string, share float64) []string {
	var gone []string
	for _, key := range sortedMapKeys(byKey) {
		if g.rng.Float64() >= share {
			continue
		}
		gone = append(gone, byKey[key]...)
	}
	for _, id := range g.order {
		if g.latest[id].typ == contract.TypeSurveyResponse && g.rng.Float64() < share/2 {
			gone = append(gone, id)
		}
	}
	for _, id := range gone {
		r := g.latest[id]
		r.payload, r.version = nil, r.version+1
		g.latest[id] = r
	}
	return gone
}

func sortedMapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// truth is the independent computation of a filter's raw counts from the
// sites' records, in cells named like the report's figures.
func (g *synth) truth(f outcomes.OutcomeFilter) map[string]float64 {
	c := map[string]float64{}
	pmodel := map[[2]string]string{}
	for _, r := range g.latest {
		if p, ok := r.payload.(contract.Participant); ok {
			pmodel[[2]string{r.site, p.Key}] = p.Model
		}
	}
	eff := func(site, key, own string) string {
		if own != "" {
			return own
		}
		return pmodel[[2]string{site, key}]
	}
	match := func(site string, year int, model string) bool {
		o := g.orgOf[site]
		return (f.SiteID == "" || f.SiteID == site) && (f.OrgID == "" || f.OrgID == o.ID) && (f.OrgType == "" || f.OrgType == o.Type) &&
			(f.State == "" || f.State == o.State) && (f.Model == "" || f.Model == model) && (f.Year == 0 || f.Year == year)
	}
	partSeen := map[string]bool{}
	site := func(s, col string, n float64) {
		c["site/"+s+"/"+col] += n
		c["total/"+col] += n
	}
	for _, r := range g.latest {
		switch p := r.payload.(type) {
		case contract.Participant:
			if match(r.site, p.EnrollmentYear, p.Model) {
				site(r.site, "participants", 1)
			}
		case contract.POMInterview:
			m := eff(r.site, p.ParticipantKey, p.Model)
			if !match(r.site, p.EnrollmentYear, m) {
				continue
			}
			switch p.Timepoint {
			case contract.TimepointEligibility:
				site(r.site, "first_interviews", 1)
			case contract.TimepointClosing:
				site(r.site, "closing_interviews", 1)
			}
			for code, present := range p.Answers {
				k := "pom/" + p.Timepoint + "/" + code + "/"
				c[k+"n"]++
				if present {
					c[k+"present"]++
				} else {
					c[k+"absent"]++
				}
			}
		case contract.SurveyResponse:
			if !match(r.site, p.Year, p.Model) {
				continue
			}
			site(r.site, "surveys", 1)
			for code, a := range p.Answers {
				c["survey/"+code+"/"+a]++
				c["survey/"+code+"/n"]++
			}
		case contract.Hospitalization:
			if !match(r.site, p.EnrollmentYear, eff(r.site, p.ParticipantKey, p.Model)) {
				continue
			}
			site(r.site, "hosp_participants", 1)
			c["hosp/before"] += float64(min(p.BeforeCount, contract.BeforeCountTop)) // 3 or more counts as 3
			c["hosp/during"] += float64(len(p.DuringMonths))
			c["hosp/months"] += float64(p.MonthsEnrolled)
		case contract.Participation:
			m := eff(r.site, p.ParticipantKey, p.Model)
			if !match(r.site, p.EnrollmentYear, m) {
				continue
			}
			if k := r.site + strconv.Itoa(p.EnrollmentYear) + m + p.ParticipantKey; !partSeen[k] {
				partSeen[k] = true
				c["total/part_participants"]++
			}
			c["part/months"]++
			c["part/stipend"] += float64(p.StipendSpentCents)
			mk := fmt.Sprintf("month/%02d/", p.ProgramMonth)
			c[mk+"participants"]++ // one record per participant and month
			c[mk+"held"] += float64(p.MeetingsHeld)
			c[mk+"attended"] += float64(p.MeetingsAttended)
			c[mk+"due"] += float64(p.JournalsDue)
			c[mk+"done"] += float64(p.JournalsCompleted)
			c[mk+"stipend"] += float64(p.StipendSpentCents)
			c["part/held"] += float64(p.MeetingsHeld)
			c["part/attended"] += float64(p.MeetingsAttended)
			c["part/due"] += float64(p.JournalsDue)
			c["part/done"] += float64(p.JournalsCompleted)
			if p.StipendSpentCents > 0 {
				c["part/spend"]++
				if p.ReceiptsComplete {
					c["part/receipts"]++
				}
			}
			for i, n := range p.OutingsByStage {
				c[fmt.Sprintf("part/outings%d", i+1)] += float64(n)
			}
		}
	}
	return c
}

func ratioOf(num, den, scale float64, places int) *float64 {
	if den == 0 {
		return nil
	}
	p := math.Pow(10, float64(places))
	v := math.Round(num/den*scale*p) / p
	return &v
}
